#include "base/describe_exception.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>
#include <typeinfo>
#include <utility>

#include "concurrence/base/errors.hpp"

namespace concurrence::detail {
namespace {
std::string demangle(const char* name) {
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> out(abi::__cxa_demangle(name, nullptr, nullptr, &status), std::free);
    return status == 0 && out ? std::string(out.get()) : std::string(name);
}
}  // namespace

namespace {
// The exception's type (without "concurrence::") and its what(), or an empty what for a
// type not derived from std::exception.
std::pair<std::string, std::string> type_and_what(const std::exception_ptr& e) {
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        std::string type = demangle(typeid(ex).name());
        const std::string prefix = "concurrence::";
        if (type.rfind(prefix, 0) == 0) type.erase(0, prefix.size());
        const char* what = ex.what();
        return {type, what ? what : ""};
    } catch (...) {
        const std::type_info* t = abi::__cxa_current_exception_type();
        return {t ? demangle(t->name()) : std::string("unknown exception"), ""};
    }
}
}  // namespace

std::string describe_exception(const std::exception_ptr& e) {
    auto [type, what] = type_and_what(e);
    std::string text = what.empty() ? type : type + ": " + what;
    // Python prints a group's sub-exceptions under it.
    try {
        std::rethrow_exception(e);
    } catch (const ExceptionGroup& group) {
        int n = 0;
        for (const std::exception_ptr& sub : group.exceptions())
            text += "\n  +-- " + std::to_string(++n) + ": " + describe_exception(sub);
    } catch (...) {
    }
    return text;
}

std::string exception_type_name(const std::exception_ptr& e) { return type_and_what(e).first; }

std::string exception_repr(const std::exception_ptr& e) {
    auto [type, what] = type_and_what(e);
    return type + "('" + what + "')";
}

}  // namespace concurrence::detail
