// asyncio::sleep(delay) and sleep(delay, result).
//
//   co_await asyncio::sleep(2);        // seconds, as in Python
//   co_await asyncio::sleep(500ms);    // or any std::chrono duration
//   int x = co_await asyncio::sleep(1, 42);
//
// sleep(0) (or a negative delay) yields: the task goes to the back of the ready queue and
// the others run first. A positive delay arms a timer in the loop's heap; the timer lives in
// the awaiting coroutine's frame, so sleeping allocates nothing.
// Cancellation: cancelling the sleeping task disarms the timer and throws CancelledError here.
#pragma once

#include <coroutine>
#include <cstdint>
#include <string>
#include <utility>

#include "concurrence/base/timeout.hpp"
#include "concurrence/task/task_core.hpp"

namespace concurrence::asyncio {

namespace detail {

class SleepWait : public Waitable {
public:
    explicit SleepWait(Delay d) : delay_or_seq_(d.nanoseconds()) {
        if (d.is_nan()) throw ValueError("Invalid value NaN (not a number)");
    }
    SleepWait(const SleepWait&) = default;

    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) {
        TaskCore& task = current_task_for_await();
        task_ = &task;
        EventLoop& loop = task.loop();
        if (delay_or_seq_ <= 0) {  // a bare yield (Python's __sleep0)
            task.suspend_at(h);
            task.schedule();
            return;
        }
        task.suspend_at(h, this);
        task.add_ref();  // the timer's reference
        delay_or_seq_ = static_cast<std::int64_t>(loop.add_timer(loop.now_ns() + delay_or_seq_, &task));
    }
    void resume_checks() {
        if (cancelled_) throw CancelledError(task_->cancel_message());
        task_->throw_if_cancel_requested();
    }

    bool cancel_wait(const std::string&) override {
        cancelled_ = true;
        task_->clear_waiting();
        task_->loop().note_timer_cancelled();
        task_->schedule();
        return true;
    }
    bool owns_timer(std::uint64_t seq) const override { return static_cast<std::uint64_t>(delay_or_seq_) == seq; }

private:
    std::int64_t delay_or_seq_;  // the delay until armed, then the timer's sequence number
    TaskCore* task_ = nullptr;
    bool cancelled_ = false;
};

class SleepAwaiter : public SleepWait {
public:
    using SleepWait::SleepWait;
    void await_resume() { resume_checks(); }
};

template <class R>
class SleepResultAwaiter : public SleepWait {
public:
    SleepResultAwaiter(Delay d, R result) : SleepWait(d), result_(std::move(result)) {}
    R await_resume() {
        resume_checks();
        return std::move(result_);
    }

private:
    R result_;
};

}  // namespace detail

[[nodiscard]] inline detail::SleepAwaiter sleep(Delay delay) { return detail::SleepAwaiter(delay); }

template <class R>
[[nodiscard]] detail::SleepResultAwaiter<R> sleep(Delay delay, R result) {
    return detail::SleepResultAwaiter<R>(delay, std::move(result));
}

}  // namespace concurrence::asyncio
