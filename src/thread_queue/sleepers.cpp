// The sleeper lists: linking, unlinking and waking (the futex calls live here).
#include "concurrence/thread_queue/sleepers.hpp"

#include <climits>
#include <mutex>

#include "thread_queue/sleeper.hpp"
#include "threading/futex.hpp"

namespace concurrence::queue::detail {

using threading::detail::futex_wait;
using threading::detail::futex_wake_one;
using threading::detail::monotonic_now_ns;

void Sleeper::sleep(std::int64_t deadline_ns) noexcept {
    while (woken.load(std::memory_order_acquire) == 0) {
        if (deadline_ns >= 0 && monotonic_now_ns() >= deadline_ns) return;
        futex_wait(woken, 0, deadline_ns);
    }
}

void Sleepers::link(Sleeper& sleeper) noexcept {
    std::lock_guard guard(lock_);
    sleeper.prev = last_;
    sleeper.next = nullptr;
    (last_ ? last_->next : first_) = &sleeper;
    last_ = &sleeper;
    sleeper.linked = true;
    // seq_cst: ordered before the caller's re-check of its condition (see any()).
    count_.fetch_add(1, std::memory_order_seq_cst);
}

void Sleepers::unlink(Sleeper& sleeper) noexcept {
    // Taken even when woken: the waker holds the lock until its futex call returns, so the
    // sleeper's stack frame stays alive until then.
    std::lock_guard guard(lock_);
    if (sleeper.linked) unlink_locked(sleeper);
}

void Sleepers::unlink_locked(Sleeper& sleeper) noexcept {
    (sleeper.prev ? sleeper.prev->next : first_) = sleeper.next;
    (sleeper.next ? sleeper.next->prev : last_) = sleeper.prev;
    sleeper.linked = false;
    count_.fetch_sub(1, std::memory_order_seq_cst);
}

void Sleepers::wake_locked(Sleeper& sleeper) noexcept {
    unlink_locked(sleeper);
    sleeper.woken.store(1, std::memory_order_release);
    futex_wake_one(sleeper.woken);
}

void Sleepers::wake_one() noexcept {
    std::lock_guard guard(lock_);
    if (first_) wake_locked(*first_);
}

void Sleepers::wake_all() noexcept {
    std::lock_guard guard(lock_);
    while (first_) wake_locked(*first_);
}

}  // namespace concurrence::queue::detail
