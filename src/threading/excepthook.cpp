// threading.excepthook: the replaceable hook, the default one, and the call from a dying target.
#include "concurrence/threading/excepthook.hpp"

#include <cstdio>
#include <mutex>
#include <string>
#include <utility>

#include "concurrence/threading/thread.hpp"
#include "base/describe_exception.hpp"
#include "threading/uncaught.hpp"
#include "base/write_stderr.hpp"

namespace concurrence::threading {

namespace {

using concurrence::detail::write_stderr;

struct HookSlot {
    std::mutex mutex;
    ExceptHook hook = default_excepthook;
};

// Leaked: a daemon thread may report an exception while static destructors run.
HookSlot& hook_slot() {
    static auto* const slot = new HookSlot;
    return *slot;
}

// Python's last traceback line: "Type: message".
std::string describe(const std::exception_ptr& exc) {
    return exc ? concurrence::detail::describe_exception(exc) : std::string("unknown exception");
}

}  // namespace

void excepthook(const ExceptHookArgs& args) {
    ExceptHook hook;
    {
        auto& slot = hook_slot();
        std::lock_guard lock(slot.mutex);
        hook = slot.hook;
    }
    hook(args);  // outside the lock: the hook may replace itself
}

ExceptHook set_excepthook(ExceptHook hook) {
    if (!hook) hook = default_excepthook;
    auto& slot = hook_slot();
    std::lock_guard lock(slot.mutex);
    std::swap(slot.hook, hook);
    return hook;
}

void default_excepthook(const ExceptHookArgs& args) {
    const std::string name = args.thread ? args.thread->name() : std::to_string(get_ident());
    write_stderr("Exception in thread " + name + ":\n" + describe(args.exc_value) + "\n");
}

namespace detail {

void report_uncaught_exception(Thread* thread) noexcept {
    try {
        excepthook(ExceptHookArgs{std::current_exception(), thread});
    } catch (...) {
        try {
            write_stderr("Exception in threading.excepthook:\n" + describe(std::current_exception()) + "\n");
        } catch (...) {
            // Out of memory while reporting: nothing sensible is left to do.
        }
    }
}

}  // namespace detail

}  // namespace concurrence::threading
