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
#include <type_traits>
#include <utility>

#include "concurrence/base/timeout.hpp"
#include "concurrence/task/task_core.hpp"

namespace concurrence::asyncio {

namespace detail {

class SleepWait : public Waitable {
public:
    explicit SleepWait(Delay d) : state_(d.nanoseconds()) {
        if (d.is_nan()) throw ValueError("Invalid delay: NaN (not a number)");
    }
    SleepWait(const SleepWait&) = default;

    bool await_ready() const noexcept { return false; }
    template <class P>
    void await_suspend(std::coroutine_handle<P> h, unsigned line = __builtin_LINE()) {
        ::concurrence::asyncio::detail::note_suspension(h, line);
        TaskCore& task = current_task_for_await();
        if (state_ <= 0) {  // a bare yield (Python's __sleep0)
            state_ = 0;
            task.suspend_at(h);
            task.schedule();
            return;
        }
        EventLoop& loop = task.loop();
        task.suspend_at(h, this);
        task.add_ref();  // the timer's reference
        state_ = static_cast<std::int64_t>(loop.add_timer(loop.now_ns() + state_, &task));
    }
    void resume_checks() {
        TaskCore& task = *current_task_or_null();
        if (state_ == cancelled) task.throw_cancelled();
        task.throw_if_cancel_requested();
    }

    const char* wait_kind() const noexcept override { return "sleep"; }
    bool cancel_wait(TaskCore& task, const std::string&) override {
        state_ = cancelled;
        task.clear_waiting();
        task.loop().note_timer_cancelled();
        task.schedule();
        return true;
    }
    bool owns_timer(std::uint64_t seq) const override { return static_cast<std::uint64_t>(state_) == seq; }

private:
    static constexpr std::int64_t cancelled = -1;
    // The delay (ns) until armed; then the timer's sequence number (>= 1); 0 for a yield;
    // `cancelled` once cancelled. One word keeps the awaiter, which lives in the frame, small.
    std::int64_t state_;
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

// Templates rather than a Delay parameter: a Delay converted at the call is a temporary of the
// co_await's full-expression, which g++ keeps in the coroutine frame. `sleep(0)` and
// `sleep(0.5)` then cost the frame nothing beyond the awaiter (W1: 8 bytes per task, which took
// its frame from the 176-byte class to the 160-byte one).
template <class D>
    requires std::is_constructible_v<Delay, D>
[[nodiscard, gnu::always_inline]] inline detail::SleepAwaiter sleep(D delay) {
    return detail::SleepAwaiter(Delay(delay));
}

template <class D, class R>
    requires std::is_constructible_v<Delay, D>
[[nodiscard]] detail::SleepResultAwaiter<R> sleep(D delay, R result) {
    return detail::SleepResultAwaiter<R>(Delay(delay), std::move(result));
}

}  // namespace concurrence::asyncio
