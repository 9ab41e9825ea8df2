#include "concurrence/flow/task_group.hpp"

#include "concurrence/flow/awaiting_set.hpp"

namespace concurrence::asyncio {

namespace {
// Python's _is_base_error: SystemExit and KeyboardInterrupt are not collected in the group.
bool is_base_error(const std::exception_ptr& e) { return exception_is<KeyboardInterrupt>(e); }
}  // namespace

TaskGroup::TaskGroup(TaskGroup&& o) {
    if (o.entered_) throw RuntimeError("a TaskGroup cannot be moved once entered");
}

TaskGroup::~TaskGroup() {
    // Normally nothing is left: aexit waited for every task. If the group is dropped early
    // (its frame destroyed with the loop), no task may call back into it.
    if (pending_ > 0)
        for (TaskRef& t : tasks_) unwatch(*t.core());
}

std::string TaskGroup::repr() const {
    std::string info;
    if (pending_) info += " tasks=" + std::to_string(pending_);
    if (!errors_.empty()) info += " errors=" + std::to_string(errors_.size());
    if (aborting_)
        info += " cancelling";
    else if (entered_)
        info += " entered";
    return "<TaskGroup" + info + ">";
}

detail::Ready<void> TaskGroup::aenter() {
    if (entered_) throw RuntimeError("TaskGroup " + repr() + " has already been entered");
    loop_ = &get_running_loop();
    parent_ = current_task();
    if (!parent_) throw RuntimeError("TaskGroup " + repr() + " cannot determine the parent task");
    entered_ = true;
    return {};
}

const char* TaskGroup::refusal() const {
    if (!entered_) return " has not been entered";
    if (exiting_ && pending_ == 0) return " is finished";
    if (aborting_) return " is shutting down";
    return nullptr;
}

void TaskGroup::add_task(detail::TaskCore* task) {
    if (tasks_.size() >= 64 && tasks_.size() > 2 * pending_)
        std::erase_if(tasks_, [](const TaskRef& t) { return t.done(); });
    tasks_.emplace_back(task);
    ++pending_;
    watch(*task);  // Python adds the callback even to a task already done (eager): it runs soon
    if (aborting_ && !task->done()) task->cancel({});  // an eager task aborted the group meanwhile
}

void TaskGroup::abort() {
    aborting_ = true;
    for (TaskRef& t : tasks_)
        if (!t.done()) t.cancel();
}

void TaskGroup::on_future_done(detail::FutureBase& done) {
    auto& task = static_cast<detail::TaskCore&>(done);
    --pending_;
    if (on_completed_ && pending_ == 0 && !on_completed_->done()) on_completed_->set_result();
    if (task.cancelled()) return;
    std::exception_ptr error = task.exception_or_null();
    if (!error) return;
    errors_.push_back(error);
    if (is_base_error(error) && !base_error_) base_error_ = error;
    if (parent_.done()) {
        loop_->call_exception_handler({"Task " + task.repr() + " has errored out but its parent task " +
                                           parent_.core()->repr() + " is already completed",
                                       error, task.repr()});
        return;
    }
    if (!aborting_ && !parent_cancel_requested_) {
        // Stop the body too; aexit takes this request back (uncancel) so that only the
        // ExceptionGroup leaves the block.
        abort();
        parent_cancel_requested_ = true;
        parent_.cancel();
    }
}

Coro<bool> TaskGroup::aexit(std::exception_ptr error) {
    exiting_ = true;
    const bool body_cancelled = exception_is<CancelledError>(error);
    if (error && is_base_error(error) && !base_error_) base_error_ = error;
    std::exception_ptr propagate_cancellation = body_cancelled ? error : nullptr;
    if (error && !aborting_) abort();  // the body failed or was cancelled: stop the tasks

    // A loop: the parent may be cancelled again while it waits.
    std::exception_ptr pending_cancellation;
    while (pending_ > 0) {
        // Call graphs show the parent awaiting the group's tasks through it.
        if (!on_completed_) on_completed_ = detail::make_awaiting_set(*loop_, tasks_, "TaskGroup");
        std::exception_ptr cancelled;
        try {
            co_await *on_completed_;
        } catch (const CancelledError&) {
            cancelled = std::current_exception();
        }
        if (cancelled) {
            pending_cancellation = cancelled;
            if (!aborting_) {  // cancelled from outside while the tasks run
                propagate_cancellation = cancelled;
                abort();
            }
        }
        on_completed_.reset();
    }

    if (base_error_) {
        // Only the base error propagates: report the others rather than lose them (gh-135736).
        for (const std::exception_ptr& e : errors_)
            if (e != base_error_)
                loop_->call_exception_handler({"TaskGroup task exception was not propagated because the TaskGroup "
                                               "body is being closed with a BaseException",
                                               e});
        std::rethrow_exception(base_error_);
    }
    if (parent_cancel_requested_) {
        if (parent_.uncancel() == 0)
            propagate_cancellation = nullptr;  // the only request was ours
        else if (!propagate_cancellation)
            propagate_cancellation = pending_cancellation;  // another one is left: keep it
    }
    if (propagate_cancellation && errors_.empty()) std::rethrow_exception(propagate_cancellation);
    if (error && !body_cancelled) errors_.push_back(error);
    if (!errors_.empty()) {
        // Keep an outside cancellation pending, with a stable count.
        if (parent_.cancelling()) {
            parent_.uncancel();
            parent_.cancel();
        }
        throw ExceptionGroup("unhandled errors in a TaskGroup", std::move(errors_));
    }
    co_return true;
}

}  // namespace concurrence::asyncio
