// threading.RLock: ownership and recursion over a threading::Lock.
#include "concurrence/threading/rlock.hpp"

namespace concurrence::threading {

bool RLock::acquire(bool blocking, Delay timeout) {
    if (is_owned()) {
        // Python checks the arguments before looking at the owner.
        if (timeout.nanoseconds() != detail::no_acquire_timeout_ns) detail::check_acquire_arguments(blocking, timeout);
        ++count_;
        return true;
    }
    if (!lock_.acquire(blocking, timeout)) return false;
    owner_.store(get_ident(), std::memory_order_relaxed);
    count_ = 1;
    return true;
}

void RLock::release() {
    if (!is_owned()) throw RuntimeError("cannot release un-acquired lock");
    if (--count_ > 0) return;
    owner_.store(0, std::memory_order_relaxed);
    lock_.release();
}

std::size_t RLock::release_all() noexcept {
    const std::size_t count = count_;
    count_ = 0;
    owner_.store(0, std::memory_order_relaxed);
    lock_.release();
    return count;
}

void RLock::acquire_again(std::size_t count) {
    lock_.acquire();
    owner_.store(get_ident(), std::memory_order_relaxed);
    count_ = count;
}

}  // namespace concurrence::threading
