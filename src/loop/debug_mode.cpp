// The loop's debug mode (Python's asyncio debug mode) and its observed iterations: slow
// callbacks, calls from the wrong thread, and the loop thread's lane in traces.
#include <cxxabi.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "concurrence/base/trace.hpp"
#include "concurrence/loop/event_loop.hpp"

namespace concurrence::asyncio {

namespace detail {
std::string HandleCore::describe() const {
    const char* mangled = callable_type().name();
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> demangled(abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free);
    std::string out = cancelled() ? "<Handle cancelled " : "<Handle ";
    return out + (status == 0 && demangled ? demangled.get() : mangled) + ">";
}
}  // namespace detail

void EventLoop::set_slow_callback_duration(Delay duration) {
    if (duration.is_nan()) throw ValueError("Invalid value NaN (not a number)");
    slow_callback_ns_ = duration.nanoseconds() > 0 ? duration.nanoseconds() : 0;
}

void EventLoop::check_thread() const {
    if (detail::t_running_loop != this && running_in_a_thread_.load(std::memory_order_relaxed))
        throw RuntimeError("Non-thread-safe operation invoked on an event loop other than the current one");
}

void EventLoop::run_ready_observed() {
    const bool tracing = trace::detail::recording();
    const std::uint64_t lane = tracing ? trace::detail::thread_lane() : 0;
    for (std::size_t n = ready_.size(); n > 0; --n) {
        detail::Runnable* r = ready_.pop();
        // Described before it runs: a task is then where it resumes, and the entry may be
        // gone once it has run.
        std::string what;
        std::int64_t began = 0;
        if (debug_) {
            what = r->describe();
            began = now_ns();
        }
        if (tracing) trace::detail::record(trace::detail::Kind::callback_begin, lane);
        r->run();
        if (tracing) trace::detail::record(trace::detail::Kind::callback_end, lane);
        if (debug_) {
            const std::int64_t took = now_ns() - began;
            if (took >= slow_callback_ns_) {
                char seconds[32];
                std::snprintf(seconds, sizeof seconds, "%.3f", static_cast<double>(took) / 1e9);
                call_exception_handler({"Executing " + what + " took " + seconds + " seconds"});
            }
        }
    }
}

}  // namespace concurrence::asyncio
