// threading.Condition: wait until notified, around a Lock or an RLock.
//
//     threading::Condition cond;                        // cond = threading.Condition()
//     {
//         std::unique_lock guard(cond);                 // with cond:
//         cond.wait_for([&] { return !items.empty(); }); //     cond.wait_for(lambda: items)
//     }
//     { std::lock_guard guard(cond); items.push_back(x); cond.notify(); }
//
// As in Python the lock is an RLock made for the condition, or one given to the constructor
// (a Lock or an RLock, which several conditions may share). wait() lets go of the lock however
// many times an RLock is held, and takes it back as many times before returning. Waiting or
// notifying without holding the lock throws RuntimeError with Python's messages.
//
// Waiters are woken in the order they started waiting. Each sleeps on a futex word in its own
// stack frame, linked into the condition's list: nothing is allocated per wait, and notify(n)
// wakes exactly n sleepers, never all of them.
//
// Unlike Python, a wait whose timeout passes just as a notify() picks it returns true: the
// notification is never spent on a waiter that reports a timeout.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>

#include "concurrence/base/timeout.hpp"
#include "concurrence/threading/lock.hpp"
#include "concurrence/threading/lockable.hpp"
#include "concurrence/threading/rlock.hpp"

namespace concurrence::threading {

class Condition : public detail::Lockable<Condition> {
public:
    // Condition(): with a new RLock of its own.
    Condition();
    // Condition(lock): the lock must outlive the condition.
    explicit Condition(Lock& lock) noexcept : plain_(&lock) {}
    explicit Condition(RLock& lock) noexcept : recursive_(&lock) {}
    Condition(const Condition&) = delete;
    Condition& operator=(const Condition&) = delete;
    ~Condition();

    // The underlying lock's acquire() and release().
    bool acquire(bool blocking = true, Delay timeout = -1);
    template <Seconds S>
    bool acquire(S) = delete;  // acquire(0.5) would mean blocking=true: write acquire(true, 0.5)
    void release();

    // Lockable (detail::Lockable): `with cond:` is std::lock_guard / std::unique_lock on it.

    // Releases the lock, sleeps until notified (or until the timeout passes), takes the lock
    // back. Returns false only if the timeout passed; a timeout <= 0 only releases and retakes.
    // Throws RuntimeError "cannot wait on un-acquired lock".
    bool wait();
    bool wait(std::optional<Delay> timeout);

    // Waits until predicate() is true, or the timeout passes (measured from the call, however
    // many wake-ups there are); returns predicate()'s last value, as Python does.
    template <class Predicate>
    auto wait_for(Predicate predicate, std::optional<Delay> timeout = std::nullopt) -> decltype(predicate());

    // Wakes up to n waiters, the longest waiting first. Throws RuntimeError "cannot notify on
    // un-acquired lock".
    void notify(std::size_t n = 1);
    void notify_all() { notify(std::numeric_limits<std::size_t>::max()); }

private:
    struct Waiter;
    bool is_owned() const noexcept;
    // Lets go of the lock however deeply held; returns what restore_lock needs.
    std::size_t release_lock() noexcept;
    void restore_lock(std::size_t saved);
    void unlink(Waiter& waiter) noexcept;  // waiters_mutex_ held

    std::unique_ptr<RLock> own_lock_;
    Lock* plain_ = nullptr;
    RLock* recursive_ = nullptr;

    std::mutex waiters_mutex_;  // guards the list; never held while sleeping
    Waiter* first_ = nullptr;
    Waiter* last_ = nullptr;
};

template <class Predicate>
auto Condition::wait_for(Predicate predicate, std::optional<Delay> timeout) -> decltype(predicate()) {
    using clock = std::chrono::steady_clock;
    std::optional<clock::time_point> deadline;
    if (timeout && !timeout->is_nan())
        deadline = clock::now() + std::chrono::nanoseconds(timeout->nanoseconds());
    auto result = predicate();
    while (!result) {
        std::optional<Delay> remaining;
        if (timeout) {
            if (timeout->is_nan()) return result;  // Python: NaN <= 0 is false, wait(NaN) does not sleep
            detail::check_timeout_max(*timeout);   // Python: wait(timeout) raises, once it must wait
            remaining = Delay(*deadline - clock::now());
            if (!remaining->is_positive()) break;
        }
        wait(remaining);
        result = predicate();
    }
    return result;
}

}  // namespace concurrence::threading
