// threading.Condition: a FIFO list of sleeping waiters, each on a futex word of its own.
#include "concurrence/base/trace.hpp"
#include "concurrence/threading/condition.hpp"

#include "threading/futex.hpp"

namespace concurrence::threading {

// Lives in the waiting thread's frame for the duration of one wait().
struct Condition::Waiter {
    std::atomic<int> notified{0};  // the futex word: 1 once notify() has taken it off the list
    Waiter* next = nullptr;
    Waiter* prev = nullptr;
};

Condition::Condition() : own_lock_(std::make_unique<RLock>()), recursive_(own_lock_.get()) {}

Condition::~Condition() = default;

bool Condition::acquire(bool blocking, Delay timeout) {
    return plain_ ? plain_->acquire(blocking, timeout) : recursive_->acquire(blocking, timeout);
}

void Condition::release() {
    if (plain_) {
        plain_->release();
    } else {
        recursive_->release();
    }
}

bool Condition::is_owned() const noexcept {
    if (recursive_) return recursive_->is_owned();
    // A Lock has no owner: Python's guess is "held by somebody" (Condition._is_owned).
    if (plain_->try_lock()) {
        plain_->release();
        return false;
    }
    return true;
}

std::size_t Condition::release_lock() noexcept {
    if (recursive_) return recursive_->release_all();
    plain_->release();
    return 1;
}

void Condition::restore_lock(std::size_t saved) {
    if (recursive_) {
        recursive_->acquire_again(saved);
    } else {
        plain_->acquire();
    }
}

void Condition::unlink(Waiter& waiter) noexcept {
    (waiter.prev ? waiter.prev->next : first_) = waiter.next;
    (waiter.next ? waiter.next->prev : last_) = waiter.prev;
    waiter.next = waiter.prev = nullptr;
}

bool Condition::wait() { return wait(std::nullopt); }

bool Condition::wait(std::optional<Delay> timeout) {
    if (!is_owned()) throw RuntimeError("cannot wait on un-acquired lock");
    std::int64_t deadline_ns = -1;
    if (timeout) {
        detail::check_timeout_max(*timeout);
        // Python: a timeout that is not > 0 (NaN included) only polls.
        const bool positive = !timeout->is_nan() && timeout->is_positive();
        deadline_ns = positive ? detail::monotonic_now_ns() + timeout->nanoseconds() : 0;
    }

    Waiter waiter;
    {
        std::lock_guard guard(waiters_mutex_);
        waiter.prev = last_;
        (last_ ? last_->next : first_) = &waiter;
        last_ = &waiter;
    }
    const std::size_t saved = release_lock();
    const trace::detail::ScopedWait traced(deadline_ns == 0 ? nullptr : "Condition.wait");

    while (waiter.notified.load(std::memory_order_acquire) == 0) {
        if (deadline_ns >= 0 && detail::monotonic_now_ns() >= deadline_ns) break;
        detail::futex_wait(waiter.notified, 0, deadline_ns);
    }
    bool notified = false;
    {
        // Always through waiters_mutex_ before the frame goes: notify() may still be waking
        // this futex word. A timeout loses to a notify() that took us off the list meanwhile:
        // it counted us, so report the notification rather than lose it.
        std::lock_guard guard(waiters_mutex_);
        notified = waiter.notified.load(std::memory_order_acquire) != 0;
        if (!notified) unlink(waiter);
    }
    restore_lock(saved);
    return notified;
}

void Condition::notify(std::size_t n) {
    if (!is_owned()) throw RuntimeError("cannot notify on un-acquired lock");
    std::lock_guard guard(waiters_mutex_);
    for (; n > 0 && first_; --n) {
        Waiter& waiter = *first_;
        unlink(waiter);
        waiter.notified.store(1, std::memory_order_release);
        // Woken under waiters_mutex_, which the waiter takes before it returns: the futex
        // word in its frame is still there.
        detail::futex_wake_one(waiter.notified);
    }
}

}  // namespace concurrence::threading
