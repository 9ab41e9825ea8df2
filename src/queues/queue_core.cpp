#include "concurrence/queues/queue_core.hpp"

#include <algorithm>

#include "concurrence/base/errors.hpp"

namespace concurrence::asyncio::detail {

bool QueueWaiter::cancel_wait(TaskCore& task, const std::string&) {
    unlink();
    wake_cancelled(task);
    return true;
}

void QueueWaiter::run() {
    TaskCore& task = *waiting_task();
    // A woken waiter stays linked until now, unless its queue is gone (orphaned).
    if (!linked()) [[unlikely]] {  // the task resumes and throws
        task.step();
        return;
    }
    unlink_linked();
    if (queue_.can_serve(getter_) && !task.cancel_requested()) [[likely]] {
        proceeds_ = true;
        task.step_woken();
        return;
    }
    if (!queue_.can_proceed(getter_) && !task.cancel_requested()) {
        // Another task took the item (or the slot) first: wait again, at the back.
        (getter_ ? queue_.getters_ : queue_.putters_).push_back(*this);
        task.wait_again_on(this);
        return;
    }
    task.step();
}

void QueueCore::task_done() {
    check_loop();
    if (unfinished_ == 0) throw ValueError("task_done() called too many times");
    if (--unfinished_ == 0) finished_.set();
}

void QueueCore::shutdown(bool immediate) {
    check_loop();
    shutdown_ = true;
    if (immediate) {
        const std::size_t dropped = size_;
        drop_items();
        size_ = 0;
        unfinished_ -= std::min(unfinished_, dropped);
        if (unfinished_ == 0) finished_.set();
    }
    // Every waiter checks again, and throws QueueShutDown.
    for (WaitNode* w = getters_.first_not_woken(); w; w = w->next())
        if (!w->woken()) static_cast<QueueWaiter*>(w)->wake_to_check();
    for (WaitNode* w = putters_.first_not_woken(); w; w = w->next())
        if (!w->woken()) static_cast<QueueWaiter*>(w)->wake_to_check();
}

void QueueCore::throw_empty() const {
    if (shutdown_) throw QueueShutDown();
    throw QueueEmpty();
}

std::string QueueCore::repr() const {
    std::string state = "maxsize=" + std::to_string(maxsize_);
    if (size_) state += " qsize=" + std::to_string(size_);
    // Python's counts leave out the woken waiters (it pops them when it wakes them).
    if (const std::size_t n = getters_.count_not_woken()) state += " _getters[" + std::to_string(n) + "]";
    if (const std::size_t n = putters_.count_not_woken()) state += " _putters[" + std::to_string(n) + "]";
    if (unfinished_) state += " tasks=" + std::to_string(unfinished_);
    if (shutdown_) state += " shutdown";
    return object_repr(type_name(), this, state);
}

}  // namespace concurrence::asyncio::detail
