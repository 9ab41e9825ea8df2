#include "concurrence/task/task_core.hpp"

#include <atomic>
#include <vector>

#include "base/describe_exception.hpp"
#include "base/short_function_name.hpp"
#include "concurrence/task/coro.hpp"

namespace concurrence::asyncio::detail {

namespace {
// Python's itertools.count() behind "Task-N": process-wide.
std::atomic<std::uint32_t> task_counter{0};
}  // namespace

void throw_await_outside_task() {
    throw RuntimeError("await outside of a task: run coroutines with asyncio::run or create_task");
}

void report_never_awaited(bool in_debug_build, const TaskCore& coroutine) {
    EventLoop* loop = running_loop_or_null();
    if (loop ? !(in_debug_build || loop->get_debug()) : !in_debug_build) return;
    ExceptionContext context{"coroutine '" + coroutine.function_name() + "' was never awaited\nCoroutine defined at " +
                                 coroutine.file() + ":" + std::to_string(coroutine.line()),
                             nullptr, {}};
    if (loop)
        loop->call_exception_handler(context);
    else
        EventLoop::default_exception_handler(context);
}

namespace {
// contextvars asks here where the running task keeps its context.
std::shared_ptr<contextvars::detail::ContextData>* running_task_context(bool make) noexcept {
    TaskCore* task = t_current_task;
    return task ? task->context_slot(make) : nullptr;
}
[[maybe_unused]] const bool context_hook_installed = (contextvars::detail::set_task_slot_hook(&running_task_context), true);
}  // namespace

std::shared_ptr<contextvars::detail::ContextData>* TaskCore::context_slot(bool make) noexcept {
    static std::shared_ptr<contextvars::detail::ContextData> empty;  // read only: a task's empty context
    if (!make && !extra_) return &empty;
    return &extra().context;
}

void TaskCore::start(EventLoop& loop, std::coroutine_handle<> root, std::string_view name, bool eager) {
    // Python: a task runs in a copy of the context it is created in (unless given one).
    if (contextvars::detail::t_contexts_used && !(extra_ && extra_->context)) [[unlikely]] {
        if (std::shared_ptr<contextvars::detail::ContextData> inherited = contextvars::detail::copy_current_for_task())
            extra().context = std::move(inherited);
    }
    loop_ = &loop;
    resume_point_ = root;
    flags_ |= is_task_flag;
    number_ = task_counter.fetch_add(1, std::memory_order_relaxed) + 1;
    if (!name.empty()) extra().name = name;
    registry_index_ = loop.task_registry().add(this);
    if (trace::detail::recording()) [[unlikely]] {
        const TaskCore* parent = t_current_task;
        trace::detail::record(trace::detail::Kind::task_create, trace_lane(), function_signature(), parent ? parent->trace_lane() : 0);
        if (extra_ && !extra_->name.empty()) trace::detail::name_lane(trace_lane(), extra_->name);
    }
    refs_ += 1;  // the loop's, until the task is done and its callbacks have run
    if (!eager) {
        loop.schedule(this);
        return;
    }
    // Python's eager start: the first step runs now, as if the caller had awaited the task's
    // coroutine, but as a task of its own (current_task() is the new task meanwhile).
    // The caller holds a Task handle, so the frame outlives this step even if it finishes.
    const std::coroutine_handle<> caller_next = std::exchange(t_next_resume, nullptr);
    run();
    t_next_resume = caller_next;
}

std::string TaskCore::name() const {
    if (extra_ && !extra_->name.empty()) return extra_->name;
    return "Task-" + std::to_string(number_);
}

std::string TaskCore::repr() const {
    std::string out = "<Task ";
    switch (state_) {
        case FutureState::pending: out += (flags_ & must_cancel_flag) ? "cancelling" : "pending"; break;
        case FutureState::cancelled: out += "cancelled"; break;
        case FutureState::finished:
        case FutureState::failed: out += "finished"; break;
    }
    out += " name='" + name() + "' coro=" + coro_repr();
    if (state_ == FutureState::failed)
        out += " exception=" + concurrence::detail::exception_repr(stored_exception());
    return out + ">";
}

std::string TaskCore::function_name() const { return concurrence::detail::short_function_name(function_signature()); }

std::string TaskCore::coro_repr() const {
    std::string out = "<" + function_name() + "() ";
    if (done()) return out + "done, defined at " + file() + ":" + std::to_string(line()) + ">";
    return out + "running at " + file() + ":" + std::to_string(await_line_ ? await_line_ : line()) + ">";
}

void TaskCore::traced_step() {
    trace::detail::record(trace::detail::Kind::task_step, trace_lane(), nullptr, reinterpret_cast<std::uintptr_t>(function_signature()));
    step_body<true>();
}

void TaskCore::trace_suspended() noexcept {
    if (done()) return;  // on_step_finished records the end
    trace::detail::record(trace::detail::Kind::task_suspend, trace_lane(), fut_waiter_ ? fut_waiter_->wait_kind() : "ready");
}

bool TaskCore::cancel(const std::string& message) {
    if (done()) return false;
    ++cancel_requests_;
    if (!message.empty()) extra().cancel_message = message;
    if (fut_waiter_ && fut_waiter_->cancel_wait(*this, message)) return true;
    // Thrown into the coroutine where it resumes next (Python's _must_cancel).
    flags_ |= must_cancel_flag;
    return true;
}

void TaskCore::run() {
    if (done()) {  // the callbacks phase
        FutureBase::run();
        return;
    }
    step();
}

// Cancelled before its first step: the body never runs.
void TaskCore::cancel_before_first_step() {
    flags_ &= static_cast<std::uint8_t>(~must_cancel_flag);
    set_stored_exception(std::make_exception_ptr(CancelledError(cancel_message())));
    state_ = FutureState::cancelled;
    on_step_finished();
}

void TaskCore::after_step() {
    if (flags_ & must_cancel_flag) {
        if (done()) {
            // Python: a task asked to cancel that returns anyway ends cancelled.
            if (state_ == FutureState::finished) {
                flags_ &= static_cast<std::uint8_t>(~must_cancel_flag);
                replace_result_with_cancel(cancel_message());
            }
        } else if (fut_waiter_ && fut_waiter_->cancel_wait(*this, cancel_message())) {
            // Python's __step: it suspended on something cancellable while a cancel was pending.
            flags_ &= static_cast<std::uint8_t>(~must_cancel_flag);
        }
    }
    if (done()) on_step_finished();
}

void TaskCore::on_step_finished() {
    if (trace::detail::recording()) [[unlikely]] {
        const char* how = state_ == FutureState::cancelled ? "cancelled" : state_ == FutureState::failed ? "failed" : "finished";
        trace::detail::record(trace::detail::Kind::task_done, trace_lane(), how, reinterpret_cast<std::uintptr_t>(function_signature()));
    }
    loop_->task_registry().remove(registry_index_);
    mark_done(state_);
    release();  // the loop's; the frame lives on while Task handles or callbacks need it
}

void TaskCore::timer_fired(EventLoop& loop, std::uint64_t) {
    fut_waiter_ = nullptr;
    loop.schedule(this);
    release();  // the timer's
}

std::string TaskCore::created_at_note() const {
    if (!extra_ || !extra_->created_file) return {};
    return std::string("\nTask created at ") + extra_->created_file + ":" + std::to_string(extra_->created_line);
}

void TaskCore::abandon() {
    loop_->call_exception_handler({"Task was destroyed but it is pending!" + created_at_note(), nullptr, repr()});
    release();
}

}  // namespace concurrence::asyncio::detail

namespace concurrence::asyncio::detail {
namespace {
thread_local std::vector<std::coroutine_handle<>> t_frames_to_destroy;
}

void destroy_later(std::coroutine_handle<> h) { t_frames_to_destroy.push_back(h); }

void destroy_queued() {
    while (!t_frames_to_destroy.empty()) {
        std::coroutine_handle<> h = t_frames_to_destroy.back();
        t_frames_to_destroy.pop_back();
        h.destroy();  // may queue more
    }
}

}  // namespace concurrence::asyncio::detail
