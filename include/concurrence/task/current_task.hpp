// asyncio::current_task() and asyncio::all_tasks().
#pragma once

#include <optional>
#include <vector>

#include "concurrence/task/done_awaiter.hpp"
#include "concurrence/task/task_core.hpp"
#include "concurrence/task/task_stack.hpp"

namespace concurrence::asyncio {

// A type-erased reference to a task, for current_task()/all_tasks() (whose result type is
// not known): Python's Task object seen without its coroutine's return type.
class TaskRef : public detail::TaskStackMethods<TaskRef> {
public:
    TaskRef() = default;
    explicit TaskRef(detail::TaskCore* core) : core_(core) {
        if (core_) core_->add_ref();
    }
    TaskRef(const TaskRef& o) : TaskRef(o.core_) {}
    TaskRef& operator=(TaskRef o) noexcept {
        std::swap(core_, o.core_);
        return *this;
    }
    ~TaskRef() {
        if (core_) core_->release();
    }
    explicit operator bool() const { return core_ != nullptr; }
    bool done() const { return core_->done(); }
    bool cancelled() const { return core_->cancelled(); }
    bool cancel(const std::string& msg = {}) { return core_->cancel(msg); }
    int cancelling() const { return core_->cancelling(); }
    int uncancel() { return core_->uncancel(); }
    std::string get_name() const { return core_->name(); }
    void set_name(std::string name) { core_->set_name(std::move(name)); }
    std::exception_ptr exception() const { return core_->exception(); }
    detail::TaskCore* core() const { return core_; }
    // Awaiting a TaskRef waits for the task to be done; its result or exception stays in it.
    void result_for_await() const {}
    auto operator co_await() const { return detail::DoneAwaiter<TaskRef>(*this); }
    friend bool operator==(const TaskRef& a, const TaskRef& b) { return a.core_ == b.core_; }

private:
    detail::TaskCore* core_ = nullptr;
};

// The task running now (empty outside a task step).
inline TaskRef current_task() { return TaskRef(detail::current_task_or_null()); }

// The loop's tasks that are not done yet (Python's all_tasks()).
inline std::vector<TaskRef> all_tasks(EventLoop& loop) {
    std::vector<TaskRef> out;
    out.reserve(loop.task_registry().size());
    loop.task_registry().for_each([&](detail::Runnable* r) { out.emplace_back(static_cast<detail::TaskCore*>(r)); });
    return out;
}
inline std::vector<TaskRef> all_tasks() { return all_tasks(get_running_loop()); }

}  // namespace concurrence::asyncio
