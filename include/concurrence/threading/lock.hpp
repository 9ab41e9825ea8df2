// threading.Lock: a non-reentrant lock that any thread may release, as Python's.
//
//     threading::Lock lock;
//     if (lock.acquire(true, 0.5)) { ...; lock.release(); }   // lock.acquire(timeout=0.5)
//     { std::lock_guard guard(lock); ... }                     // with lock:
//
// lock()/unlock()/try_lock() (and try_lock_for/until) make it a C++ (Timed)Lockable, so
// std::lock_guard, std::scoped_lock and std::unique_lock are the spelling of `with lock:`.
//
// Not owner-checked, so not a std::mutex: one thread may acquire and another release, which is
// how Python code uses a Lock as a one-shot signal. It is a futex word (0 unlocked, 1 locked,
// 2 locked with possible sleepers): acquiring and releasing an uncontended lock are one atomic
// instruction each, and a release makes a system call only when somebody may be asleep.
// Not fair: a releasing thread may take the lock again before a woken sleeper gets it.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "concurrence/base/errors.hpp"
#include "concurrence/base/timeout.hpp"
#include "concurrence/threading/lockable.hpp"
#include "concurrence/threading/timeout_max.hpp"

namespace concurrence::threading {

namespace detail {
// Python's timeout=-1, "no timeout", in nanoseconds.
inline constexpr Delay::rep no_acquire_timeout_ns = -1'000'000'000;
// Python's checks of acquire(blocking, timeout), in its order (Python/thread.c,
// PyThread_ParseTimeoutArg): ValueError "can't specify a timeout for a non-blocking call",
// "Invalid value NaN (not a number)", "timeout value must be a non-negative number"; then
// OverflowError "timeout value is too large" past TIMEOUT_MAX.
// Called only when a timeout was given (timeout != -1).
void check_acquire_arguments(bool blocking, Delay timeout);
}  // namespace detail

class Lock : public detail::Lockable<Lock> {
public:
    Lock() = default;
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;

    // Python's acquire(blocking=True, timeout=-1): true if the lock was acquired. A timeout of -1
    // means none. Throws ValueError "can't specify a timeout for a non-blocking call",
    // "timeout value must be a non-negative number", or for NaN "Invalid value NaN (not a number)".
    bool acquire(bool blocking = true, Delay timeout = -1);
    // acquire(0.5) would silently mean blocking=true without a timeout: write acquire(true, 0.5).
    template <Seconds S>
    bool acquire(S) = delete;

    // Throws RuntimeError "release unlocked lock".
    void release();

    [[nodiscard]] bool locked() const noexcept { return state_.load(std::memory_order_acquire) != unlocked; }

    // Lockable / TimedLockable: lock(), unlock(), try_lock_for(), try_lock_until() come from
    // detail::Lockable; try_lock() is the one-instruction path.
    [[nodiscard]] bool try_lock() noexcept { return try_acquire(); }

private:
    static constexpr int unlocked = 0;
    static constexpr int locked_alone = 1;  // nobody sleeps on it
    static constexpr int contended = 2;     // somebody may sleep on it: release must wake one

    bool try_acquire() noexcept {
        int expected = unlocked;
        return state_.compare_exchange_strong(expected, locked_alone, std::memory_order_acquire,
                                              std::memory_order_relaxed);
    }
    // Sleeps until acquired; deadline_ns is on std::chrono::steady_clock, or < 0 for none.
    // Returns false only when the deadline passed.
    bool acquire_contended(std::int64_t deadline_ns);
    bool acquire_checked(bool blocking, Delay timeout);
    void release_contended(int previous);

    std::atomic<int> state_{unlocked};
};

inline bool Lock::acquire(bool blocking, Delay timeout) {
    if (timeout.nanoseconds() != detail::no_acquire_timeout_ns) return acquire_checked(blocking, timeout);
    if (try_acquire()) return true;
    return blocking && acquire_contended(-1);
}

inline void Lock::release() {
    int previous = state_.exchange(unlocked, std::memory_order_release);
    if (previous != locked_alone) release_contended(previous);
}

}  // namespace concurrence::threading
