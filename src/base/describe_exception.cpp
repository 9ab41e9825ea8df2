#include "base/describe_exception.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>
#include <typeinfo>

namespace concurrence::detail {
namespace {
std::string demangle(const char* name) {
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> out(abi::__cxa_demangle(name, nullptr, nullptr, &status), std::free);
    return status == 0 && out ? std::string(out.get()) : std::string(name);
}
}  // namespace

std::string describe_exception(const std::exception_ptr& e) {
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        std::string type = demangle(typeid(ex).name());
        const std::string prefix = "concurrence::";
        if (type.rfind(prefix, 0) == 0) type.erase(0, prefix.size());
        const char* what = ex.what();
        return what && *what ? type + ": " + what : type;
    } catch (...) {
        const std::type_info* t = abi::__cxa_current_exception_type();
        return t ? demangle(t->name()) : std::string("unknown exception");
    }
}

}  // namespace concurrence::detail
