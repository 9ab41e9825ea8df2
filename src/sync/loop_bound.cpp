#include "concurrence/sync/loop_bound.hpp"

#include <cstdio>

#include "concurrence/base/errors.hpp"

namespace concurrence::asyncio::detail {

void LoopBound::check_loop_slow(EventLoop* running) const {
    if (!loop_) {
        if (running) {  // first use inside a loop: bind
            loop_ = running;
            thread_ = std::this_thread::get_id();
        }
        return;
    }
    if (running) throw RuntimeError(repr() + " is bound to a different event loop");
    // No loop running here: fine on the loop's own thread (the loop is not running either),
    // a data race from any other thread.
    if (std::this_thread::get_id() == thread_) return;
    throw RuntimeError(repr() +
                       " is bound to an event loop of another thread: asyncio objects are not "
                       "thread-safe (hand work to the loop with call_soon_threadsafe)");
}

std::string object_repr(const char* type, const void* self, const std::string& state) {
    char address[32];
    std::snprintf(address, sizeof address, "%p", self);
    return std::string("<") + type + " at " + address + " [" + state + "]>";
}

}  // namespace concurrence::asyncio::detail
