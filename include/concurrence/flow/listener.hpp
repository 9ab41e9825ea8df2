// A done-callback target that is not a future itself: what wait(), as_completed() and
// TaskGroup register on the tasks they watch (Python's add_done_callback of a bound method).
// It lives in its owner (often a coroutine frame) and must be removed from every future it
// still watches before it goes away (remove_waiter: Python's remove_done_callback).
#pragma once

#include <coroutine>
#include <exception>
#include <string>

#include "concurrence/task/task_core.hpp"

namespace concurrence::asyncio::detail {

class Listener : public FutureBase {
public:
    Listener() : FutureBase(nullptr) {}
    ~Listener() = default;
    Listener(const Listener&) = delete;

protected:
    std::exception_ptr stored_exception() const override { return nullptr; }
    void set_stored_exception(std::exception_ptr) override {}
    void destroy() override {}
};

// Waits until `target` is done without cancelling it when the awaiting task is cancelled
// (Python's `await waiter` on a separate future, as in _cancel_and_wait).
class DoneWait final : public Waitable, public Listener {
public:
    explicit DoneWait(FutureBase& target) : target_(target) {}
    bool await_ready() const noexcept { return target_.done(); }
    void await_suspend(std::coroutine_handle<> h) {
        task_ = &current_task_for_await();
        task_->suspend_at(h, this);
        target_.add_waiter(this);
    }
    void await_resume() {
        if (cancelled_) task_->throw_cancelled();
        if (task_) task_->throw_if_cancel_requested();
    }
    bool cancel_wait(TaskCore& task, const std::string&) override {
        target_.remove_waiter(this);
        cancelled_ = true;
        task.clear_waiting();
        task.schedule();
        return true;
    }

private:
    void on_future_done(FutureBase&) override { task_->on_future_done(target_); }

    FutureBase& target_;
    TaskCore* task_ = nullptr;
    bool cancelled_ = false;
};

}  // namespace concurrence::asyncio::detail
