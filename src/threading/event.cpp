// threading.Event on a mutex and a condition variable, deadlines on the steady clock.
#include "concurrence/base/trace.hpp"
#include "concurrence/threading/event.hpp"

#include <chrono>

namespace concurrence::threading {

bool Event::is_set() const {
    std::lock_guard lock(mutex_);
    return flag_;
}

void Event::set() {
    // Notified under the lock: a waiter that wakes may destroy the Event at once (a common
    // "set, then the waiter cleans up" hand-off), so set() must be done with it by then.
    std::lock_guard lock(mutex_);
    if (flag_) return;
    flag_ = true;
    ++sets_;
    changed_.notify_all();
}

void Event::clear() {
    std::lock_guard lock(mutex_);
    flag_ = false;
}

bool Event::wait() {
    std::unique_lock lock(mutex_);
    const auto seen = sets_;
    const trace::detail::ScopedWait traced(flag_ ? nullptr : "Event.wait");
    changed_.wait(lock, [&] { return flag_ || sets_ != seen; });
    return true;
}

bool Event::wait(Delay timeout) {
    if (timeout.is_nan()) throw ValueError("Invalid value NaN (not a number)");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(timeout.nanoseconds());
    std::unique_lock lock(mutex_);
    if (flag_ || !timeout.is_positive()) return flag_;
    detail::check_timeout_max(timeout);  // as Python: only when it would wait
    const auto seen = sets_;
    const trace::detail::ScopedWait traced("Event.wait");
    return changed_.wait_until(lock, deadline, [&] { return flag_ || sets_ != seen; });
}

}  // namespace concurrence::threading
