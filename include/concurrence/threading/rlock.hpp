// threading.RLock: a reentrant lock, owned by the thread that acquired it.
//
//     threading::RLock lock;
//     lock.acquire(); lock.acquire();          // the owner may acquire again
//     lock.release(); lock.release();          // ... and releases as many times
//     { std::lock_guard guard(lock); ... }     // with lock:
//
// Only the owner may release: anybody else gets RuntimeError "cannot release un-acquired lock",
// as in Python. lock()/unlock()/try_lock() make it a (Timed)Lockable for std::lock_guard,
// std::unique_lock and std::scoped_lock.
//
// A threading::Lock underneath, plus the owner's ident and a recursion count. Only the owner
// writes those two, and only while holding the lock, so a thread asking "do I own it?" reads
// them without any other synchronisation: it can only see its own ident there if it wrote it.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>

#include "concurrence/base/timeout.hpp"
#include "concurrence/threading/lock.hpp"
#include "concurrence/threading/lockable.hpp"
#include "concurrence/threading/thread.hpp"

namespace concurrence::threading {

class RLock : public detail::Lockable<RLock> {
public:
    RLock() = default;
    RLock(const RLock&) = delete;
    RLock& operator=(const RLock&) = delete;

    // As Lock::acquire(blocking, timeout): true once acquired (at once if the caller owns it),
    // false when a non-blocking call or the timeout failed. The same ValueErrors as Lock's.
    bool acquire(bool blocking = true, Delay timeout = -1);
    template <Seconds S>
    bool acquire(S) = delete;  // acquire(0.5) would mean blocking=true: write acquire(true, 0.5)

    // Throws RuntimeError "cannot release un-acquired lock" unless the caller owns the lock.
    void release();

    // Held by some thread (Python 3.14's RLock.locked()).
    [[nodiscard]] bool locked() const noexcept { return lock_.locked(); }
    // Held by the calling thread (Python's private _is_owned(), public here for Condition and
    // for assertions in user code).
    [[nodiscard]] bool is_owned() const noexcept {
        return owner_.load(std::memory_order_relaxed) == get_ident();
    }
    // How many times the calling thread holds it (0 if it does not).
    [[nodiscard]] std::size_t recursion_count() const noexcept { return is_owned() ? count_ : 0; }

    // Lockable / TimedLockable (lock(), try_lock(), unlock(), ...): from detail::Lockable.

private:
    friend class Condition;
    // Condition::wait lets go of every level and takes them all back afterwards (Python's
    // _release_save / _acquire_restore). The caller must own the lock.
    std::size_t release_all() noexcept;
    void acquire_again(std::size_t count);

    Lock lock_;
    std::atomic<unsigned long> owner_{0};  // get_ident() of the owner, 0 when free
    std::size_t count_ = 0;                // written only by the owner
};

}  // namespace concurrence::threading
