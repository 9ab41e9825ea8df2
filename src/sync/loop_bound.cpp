#include "concurrence/sync/loop_bound.hpp"

#include <cstdio>

#include "concurrence/base/errors.hpp"

namespace concurrence::asyncio::detail {

void LoopBound::check_loop_slow(EventLoop* running) const {
    if (serial_ == 0) {
        if (running) {  // first use inside a loop: bind
            serial_ = running->serial();
            thread_ = std::this_thread::get_id();
        }
        return;
    }
    const std::string name = object_repr(type_name(), this);
    if (running) throw RuntimeError(name + " is bound to a different event loop");
    // No loop running here: fine on the loop's own thread (the loop is not running either),
    // a data race from any other thread.
    if (std::this_thread::get_id() == thread_) return;
    throw RuntimeError(name +
                       " is bound to an event loop of another thread: asyncio objects are not "
                       "thread-safe (hand work to the loop with call_soon_threadsafe)");
}

std::string object_repr(const char* type, const void* self, const std::string& state) {
    char address[32];
    std::snprintf(address, sizeof address, "%p", self);
    std::string out = std::string("<") + type + " at " + address;
    if (!state.empty()) out += " [" + state + "]";
    return out + ">";
}

}  // namespace concurrence::asyncio::detail
