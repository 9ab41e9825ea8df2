#include "concurrence/sync/condition.hpp"

#include "concurrence/base/errors.hpp"

namespace concurrence::asyncio {

Coro<bool> Condition::wait() {
    check_loop();
    if (!locked()) throw RuntimeError("cannot wait on un-acquired lock");
    release();
    std::exception_ptr error;
    NotifyWait notified(*this);
    try {
        co_await notified;
    } catch (...) {
        error = std::current_exception();
    }
    if (notified.orphaned()) std::rethrow_exception(error);  // the condition is gone: touch nothing
    // The lock is taken back whatever happened; a cancellation meanwhile is remembered and
    // thrown once the lock is held (the latest one wins, as Python's `raise err`).
    for (;;) {
        try {
            co_await lock_->acquire();
            break;
        } catch (const CancelledError&) {
            error = std::current_exception();
        }
    }
    if (error) {
        // We may have been notified: make sure the notification is not lost.
        wake(1);
        std::rethrow_exception(error);
    }
    co_return true;
}

void Condition::notify(std::size_t n) {
    check_loop();
    if (!locked()) throw RuntimeError("cannot notify on un-acquired lock");
    wake(n);
}

void Condition::wake(std::size_t n) {
    std::size_t woken = 0;
    for (detail::WaitNode* w = waiters_.front(); w && woken < n; w = w->next()) {
        if (w->woken()) continue;
        w->wake_up();
        ++woken;
    }
}

std::string Condition::repr() const {
    std::string state = lock_->locked_ ? "locked" : "unlocked";
    if (!waiters_.empty()) state += ", waiters:" + std::to_string(waiters_.size());
    return detail::object_repr("asyncio::Condition", this, state);
}

}  // namespace concurrence::asyncio
