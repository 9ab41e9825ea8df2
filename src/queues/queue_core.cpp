#include "concurrence/queues/queue_core.hpp"

#include <algorithm>

#include "concurrence/base/errors.hpp"

namespace concurrence::asyncio::detail {

bool QueueWaiter::cancel_wait(TaskCore& task, const std::string&) {
    (getter_ ? queue_.getters_ : queue_.putters_).remove(*this);
    wake_cancelled(task);
    return true;
}

void QueueWaiter::run() {
    TaskCore& task = *waiting_task();
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
    while (!getters_.empty()) static_cast<QueueWaiter&>(getters_.pop_front()).wake_to_check();
    while (!putters_.empty()) static_cast<QueueWaiter&>(putters_.pop_front()).wake_to_check();
}

void QueueCore::throw_empty() const {
    if (shutdown_) throw QueueShutDown();
    throw QueueEmpty();
}

std::string QueueCore::repr() const {
    std::string state = "maxsize=" + std::to_string(maxsize_);
    if (size_) state += " qsize=" + std::to_string(size_);
    if (!getters_.empty()) state += " _getters[" + std::to_string(getters_.size()) + "]";
    if (!putters_.empty()) state += " _putters[" + std::to_string(putters_.size()) + "]";
    if (unfinished_) state += " tasks=" + std::to_string(unfinished_);
    if (shutdown_) state += " shutdown";
    return object_repr(type_name(), this, state);
}

}  // namespace concurrence::asyncio::detail
