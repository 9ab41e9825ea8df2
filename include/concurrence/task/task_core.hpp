// A task's state, embedded in the promise of its root coroutine (one allocation per task:
// the frame). A task step resumes the innermost suspended coroutine of the task's await
// chain; transfers along the chain go through a trampoline, so a chain of any depth never
// grows the machine stack.
#pragma once

#include <coroutine>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <version>
#ifdef __cpp_lib_source_location
#include <source_location>
#endif

#include "concurrence/base/trace.hpp"
#include "concurrence/task/future_core.hpp"

namespace concurrence::asyncio::detail {

class TaskCore;

// Where a coroutine function is defined, when std::source_location is missing (clang 14).
struct SourceSite {
    const char* function_name() const noexcept { return function; }
    const char* file_name() const noexcept { return file; }
    unsigned line() const noexcept { return line_number; }
    const char* function = "?";
    const char* file = "?";
    unsigned line_number = 0;
};
#ifdef __cpp_lib_source_location
using CodeSite = std::source_location;
#else
using CodeSite = SourceSite;
#endif

// The coroutine the trampoline resumes next (set by an await_suspend that transfers control).
[[gnu::tls_model("initial-exec")]] inline thread_local std::coroutine_handle<> t_next_resume;
// The task whose step is running on this thread (Python's current_task()).
[[gnu::tls_model("initial-exec")]] inline thread_local TaskCore* t_current_task = nullptr;

// t_next_resume is null outside this loop: it is cleared only when it was set.
inline void resume_chain(std::coroutine_handle<> h) {
    while (h) {
        h.resume();
        h = t_next_resume;
        if (h) t_next_resume = nullptr;
    }
}

class TaskCore : public FutureBase {
public:
    // Task.cancel(msg): Python's rules (a done task: false; else cancel what it awaits, or
    // throw CancelledError at its next resumption).
    bool cancel(const std::string& message) override;
    int cancelling() const { return cancel_requests_; }
    // Python 3.13: when no request is left, a pending one is dropped too.
    int uncancel() {
        if (cancel_requests_ > 0 && --cancel_requests_ == 0) flags_ &= static_cast<std::uint8_t>(~must_cancel_flag);
        return cancel_requests_;
    }

    std::string name() const;
    std::string repr() const override;
    void set_name(std::string n) { extra().name = std::move(n); }

    // The loop's step (pending) or callbacks phase (done).
    void run() override;
    bool timer_stale(std::uint64_t seq) const override { return !(fut_waiter_ && fut_waiter_->owns_timer(seq)); }
    void timer_fired(EventLoop& loop, std::uint64_t seq) override;
    void abandon() override;

    // ---- for awaiters
    // Called by an awaiter that suspends this task: where to resume, and what it waits on.
    void suspend_at(std::coroutine_handle<> h, Waitable* waiting_on = nullptr) {
        resume_point_ = h;
        fut_waiter_ = waiting_on;
    }
    void clear_waiting() { fut_waiter_ = nullptr; }
    // A woken task goes back to waiting on `w` before it ran (its resume point is unchanged).
    void wait_again_on(Waitable* w) { fut_waiter_ = w; }
    // Python's _must_cancel: CancelledError will be thrown where the task resumes.
    bool cancel_requested() const { return flags_ & must_cancel_flag; }
    void schedule() { loop_->schedule(this); }
    // Python's __step check: a pending cancel request is thrown at the resumption point.
    void throw_if_cancel_requested() {
        if (flags_ & must_cancel_flag) {
            flags_ &= static_cast<std::uint8_t>(~must_cancel_flag);
            throw CancelledError(cancel_message());
        }
    }
    // An awaiter throws its own CancelledError (its wait was cancelled): that delivery also
    // answers a request made meanwhile (Python's __step clears _must_cancel when it throws).
    [[noreturn]] void throw_cancelled() {
        flags_ &= static_cast<std::uint8_t>(~must_cancel_flag);
        throw CancelledError(cancel_message());
    }
    // A future this task awaited is done (Python's Task.__wakeup): step now.
    void on_future_done(FutureBase&) override { run(); }
    // One step of a pending task: resumes it where it suspended. Inline, so that a waiter
    // the loop runs in the task's place (a queue's) steps the task without another call.
    [[gnu::always_inline]] void step() {
        fut_waiter_ = nullptr;
        if (!(flags_ & started_flag)) [[unlikely]] {
            flags_ |= started_flag;
            if (flags_ & must_cancel_flag) [[unlikely]] {
                cancel_before_first_step();
                return;
            }
        }
        if (trace::detail::recording()) [[unlikely]] {
            traced_step();
            return;
        }
        step_body<false>();
    }
    // step() of a task woken from a wait it suspended in: started, and no longer waiting.
    [[gnu::always_inline]] void step_woken() {
        if (trace::detail::recording()) [[unlikely]] {
            traced_step();
            return;
        }
        step_body<false>();
    }

    // ---- set up by create_task
    // Registers the task and schedules its first step (or runs it now, `eager`).
    void start(EventLoop& loop, std::coroutine_handle<> root, std::string_view name, bool eager = false);
    bool is_task() const { return flags_ & is_task_flag; }
    // Where this task keeps its contextvars context (made if `make`; else maybe an empty slot).
    std::shared_ptr<contextvars::detail::ContextData>* context_slot(bool make) noexcept;
    // create_task(..., context): the task runs in this context, not in a copy of its creator's.
    // (Before start(), which then copies nothing.)
    void use_context(std::shared_ptr<contextvars::detail::ContextData> context) { extra().context = std::move(context); }

    // ---- where it is (debug reports, traces, call graphs)
    // The coroutine function as the compiler names it (static storage; g++ gives the whole
    // signature) and as reports show it ("dire_bonjour"), and where it is defined.
    const char* function_signature() const noexcept { return site_.function_name(); }
    std::string function_name() const;
    const char* file() const noexcept { return site_.file_name(); }
    unsigned line() const noexcept { return static_cast<unsigned>(site_.line()); }
    // The line of the co_await this coroutine is suspended at (or was, last); 0: none yet.
    unsigned await_line() const noexcept { return await_line_; }
    // The coroutine this one awaits inline (co_await child()), while it does.
    TaskCore* awaiting() const noexcept { return awaiting_; }
    void set_awaiting(TaskCore* child, unsigned line = 0) noexcept {
        awaiting_ = child;
        if (line) await_line_ = line;
    }
    void set_await_line(unsigned line) noexcept { await_line_ = line; }
    // The innermost coroutine of this task's await chain.
    const TaskCore& innermost() const noexcept {
        const TaskCore* c = this;
        while (c->awaiting_) c = c->awaiting_;
        return *c;
    }
    // What the task waits on now (null: running, ready or done).
    const Waitable* waiting_on() const noexcept { return fut_waiter_; }
    // Python's "coro=<main() running at file.cpp:12>".
    std::string coro_repr() const;
    // Debug mode: where create_task was called, for the task's reports.
    void set_created_at(CallSite where) {
        extra().created_file = where.file;
        extra().created_line = where.line;
    }
    // "\nTask created at file:line", or "" if not known.
    std::string created_at_note() const override;
    // The task's lane in traces.
    std::uint64_t trace_lane() const noexcept { return trace::detail::task_lane_base + number_; }

protected:
    TaskCore() : FutureBase(nullptr) {}
    ~TaskCore() = default;
    const char* kind() const override { return "Task"; }

    // The root coroutine's body ended (value, exception or CancelledError).
    void root_finished(FutureState s) { state_ = s; }
    // A finished task becomes cancelled: its value is dropped.
    virtual void replace_result_with_cancel(const std::string& message) = 0;

    // Root coroutine of a task: where the next step resumes. An awaited (inline) coroutine:
    // the coroutine that awaits it.
    std::coroutine_handle<> resume_point_;
    Waitable* fut_waiter_ = nullptr;
    std::uint32_t registry_index_ = 0;  // position in the loop's pending-task registry
    std::uint32_t number_ = 0;          // N of the default name "Task-N"
    CodeSite site_;
    std::uint32_t await_line_ = 0;
    TaskCore* awaiting_ = nullptr;

private:
    template <bool Traced>
    [[gnu::always_inline]] void step_body() {
        TaskCore* const outer = t_current_task;
        t_current_task = this;
        resume_chain(resume_point_);
        t_current_task = outer;
        if constexpr (Traced) trace_suspended();
        // Rare cases out of line: the common step keeps few registers to save.
        if ((flags_ & must_cancel_flag) || done()) [[unlikely]]
            after_step();
    }
    [[gnu::noinline]] void traced_step();
    void trace_suspended() noexcept;
    void on_step_finished();
    // run()'s rare paths: a cancel before the first step; a pending cancel or the end after one.
    // (The first step's test stays inline: a call saved six registers for it, W1: 22
    // instructions per task.)
    [[gnu::noinline]] void cancel_before_first_step();
    [[gnu::noinline]] void after_step();
};

inline TaskCore* current_task_or_null() noexcept { return t_current_task; }

// An awaiter's await_suspend records where the coroutine suspends: its `line` parameter
// defaults to __builtin_LINE(), which the compiler evaluates at the co_await.
//   template <class P> void await_suspend(std::coroutine_handle<P> h, unsigned line = __builtin_LINE())
template <class P>
void note_suspension(std::coroutine_handle<P> h, unsigned line) noexcept {
    if constexpr (std::is_base_of_v<TaskCore, P>) h.promise().set_await_line(line);
}
[[noreturn]] void throw_await_outside_task();
// The task running now; an awaiter that must suspend a task calls this.
inline TaskCore& current_task_for_await() {
    if (!t_current_task) throw_await_outside_task();
    return *t_current_task;
}

// The common part of an awaiter that parks the current task in a wait of its own (a queue of
// waiters, a watch on a future) and that cancelling the task ends with CancelledError.
class TaskWait : public Waitable {
protected:
    TaskWait() = default;
    // A wait built at the moment its task suspends (see park_task).
    explicit TaskWait(TaskCore& task) : task_(&task) {}
    // In await_suspend, for a wait built with its task: parks the task here.
    void park_task(std::coroutine_handle<> h) { task_->suspend_at(h, this); }
    // In await_suspend: parks the running task here.
    void suspend(std::coroutine_handle<> h) {
        task_ = &current_task_for_await();
        task_->suspend_at(h, this);
    }
    // In cancel_wait, once the wait is undone: the task resumes and sees CancelledError.
    void wake_cancelled(TaskCore& task) {
        cancelled_ = true;
        task.clear_waiting();
        task.schedule();
    }
    // Resumes the parked task normally (its wait is over).
    void wake() {
        task_->clear_waiting();
        task_->schedule();
    }
    // True if resume_checks() will throw CancelledError.
    bool resumes_cancelled() const { return cancelled_ || (task_ && task_->cancel_requested()); }
    // In await_resume: the cancellation, or a cancel request that came meanwhile.
    void resume_checks() {
        if (cancelled_) task_->throw_cancelled();
        if (task_) task_->throw_if_cancel_requested();
    }
    TaskCore* waiting_task() const { return task_; }

private:
    TaskCore* task_ = nullptr;
    bool cancelled_ = false;
};

}  // namespace concurrence::asyncio::detail
