// threading.Lock's slow paths: argument checks, sleeping, waking (the fast paths are inline).
#include "concurrence/base/trace.hpp"
#include "concurrence/threading/lock.hpp"

#include "threading/futex.hpp"

namespace concurrence::threading {

void detail::check_acquire_arguments(bool blocking, Delay timeout) {
    if (!blocking) throw ValueError("can't specify a timeout for a non-blocking call");
    if (timeout.is_nan()) throw ValueError("Invalid value NaN (not a number)");
    if (timeout.nanoseconds() < 0) throw ValueError("timeout value must be a non-negative number");
    check_timeout_max(timeout);
}

bool Lock::acquire_checked(bool blocking, Delay timeout) {
    detail::check_acquire_arguments(blocking, timeout);
    if (try_acquire()) return true;
    if (!timeout.is_positive()) return false;
    return acquire_contended(detail::monotonic_now_ns() + timeout.nanoseconds());
}

bool Lock::acquire_contended(std::int64_t deadline_ns) {
    // Drepper's "Futexes are tricky", mutex #3: whoever sleeps marks the word contended first,
    // so that the release wakes somebody. A woken thread also takes the lock as contended: it
    // cannot know whether others still sleep.
    const trace::detail::ScopedWait traced("Lock.acquire");
    for (;;) {
        if (state_.exchange(contended, std::memory_order_acquire) == unlocked) return true;
        if (deadline_ns >= 0 && detail::monotonic_now_ns() >= deadline_ns) return false;
        detail::futex_wait(state_, contended, deadline_ns);
    }
}

void Lock::release_contended(int previous) {
    if (previous == unlocked) throw RuntimeError("release unlocked lock");  // the store changed nothing
    detail::futex_wake_one(state_);
}

}  // namespace concurrence::threading
