// asyncio::Task<T>: a coroutine scheduled on the loop.
//
//   asyncio::Task<int> t = asyncio::create_task(answer(), "answer");
//   int v = co_await t;
//
// create_task schedules the first step at the back of the ready queue (Python's order).
// The task runs to completion even if every Task handle is dropped: the loop keeps it alive
// (Python's "task garbage-collected while pending" trap cannot happen).
// Awaiting a task: any number of tasks may await it; each resumes one loop iteration after
// it completes and gets its result (a copy) or its exception.
// Cancellation: cancelling a task that awaits another task cancels that task too.
// Thread safety: the loop's thread only.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "concurrence/loop/event_loop.hpp"
#include "concurrence/task/awaitable.hpp"
#include "concurrence/task/coro.hpp"
#include "concurrence/task/done_awaiter.hpp"
#include "concurrence/task/future.hpp"
#include "concurrence/task/task_stack.hpp"

namespace concurrence::asyncio {

template <class T = void>
class Task : public detail::DoneCallbackMethods<Task<T>>, public detail::TaskStackMethods<Task<T>> {
public:
    using value_type = T;

    Task() = default;
    explicit Task(detail::Promise<T>* p) : core_(p) {}

    bool done() const { return core_->done(); }
    bool cancelled() const { return core_->cancelled(); }
    // The result; throws the task's exception, CancelledError, or InvalidStateError("Result is
    // not set.") while pending.
    decltype(auto) result() const { return core_->result(); }
    // The exception (null if it returned normally); CancelledError if cancelled.
    std::exception_ptr exception() const { return core_->exception(); }
    // Python's Task.cancel(msg).
    bool cancel(const std::string& msg = {}) { return core_->cancel(msg); }
    int cancelling() const { return core_->cancelling(); }
    int uncancel() { return core_->uncancel(); }
    std::string get_name() const { return core_->name(); }
    void set_name(std::string name) { core_->set_name(std::move(name)); }
    EventLoop& get_loop() const { return core_->loop(); }

    // add_done_callback, remove_done_callback: see DoneCallbackMethods; get_stack, print_stack:
    // see TaskStackMethods.

    auto operator co_await() const& { return detail::DoneAwaiter<Task<T>>(*this); }
    auto operator co_await() && { return detail::DoneAwaiter<Task<T>>(std::move(*this)); }

    friend bool operator==(const Task& a, const Task& b) { return a.core_.get() == b.core_.get(); }

    // ---- for awaiters
    detail::Promise<T>* core() const { return core_.get(); }
    T result_for_await() const { return detail::await_result<T>(core_.get()); }

private:
    detail::CoreRef<detail::Promise<T>> core_;
};

template <class T>
Task<T> EventLoop::create_task(Coro<T> coro, std::string_view name, CallSite where) {
    check_open();
    if (debug_) [[unlikely]] check_thread();
    auto h = coro.take();
    Task<T> task(&h.promise());  // holds the frame: an eager first step may finish the task
    if (debug_) [[unlikely]] h.promise().set_created_at(where);
    h.promise().start(*this, h, name, task_factory_ == TaskFactory::eager && running_);
    return task;
}

template <class T>
Task<T> EventLoop::create_task(Coro<T> coro, std::string_view name, contextvars::Context context, CallSite where) {
    contextvars::detail::t_contexts_used = true;  // tasks created inside it must copy it
    check_open();
    auto h = coro.take();
    h.promise().use_context(context.data());  // before start(): an eager first step runs in it
    Coro<T> again(h);
    return create_task(std::move(again), name, where);
}

// Python's asyncio.create_task(coro, name=...): on the running loop.
template <class T>
Task<T> create_task(Coro<T> coro, std::string_view name = {}, CallSite where = CallSite()) {
    return get_running_loop().create_task(std::move(coro), name, where);
}
// Python's asyncio.create_task(coro, name=..., context=ctx): the task runs in ctx itself.
template <class T>
Task<T> create_task(Coro<T> coro, std::string_view name, contextvars::Context context, CallSite where = CallSite()) {
    return get_running_loop().create_task(std::move(coro), name, std::move(context), where);
}

// Python's create_task(lock.acquire()), create_task(q.get()): an awaiter that is not a
// coroutine runs in a task of its own.
template <class A>
    requires detail::PlainAwaiter<std::remove_cvref_t<A>>
auto create_task(A&& awaiter, std::string_view name = {}, CallSite where = CallSite()) {
    using D = std::remove_cvref_t<A>;
    return create_task(detail::await_in_task<detail::awaiter_value_t<D>>(D(std::forward<A>(awaiter))), name,
                       where);
}

template <class T>
T EventLoop::run_until_complete(Task<T> task) {
    check_can_run();
    if (!task.done()) {
        // Python removes this callback when it returns: here it is disarmed, so the task
        // finishing later (after an early stop) stops nothing.
        auto armed = std::make_shared<bool>(true);
        task.core()->add_user_callback([this, armed] {
            if (*armed) stop();
        });
        struct Disarm {
            std::shared_ptr<bool>& flag;
            ~Disarm() { *flag = false; }
        } disarm{armed};
        run_forever();
        if (!task.done()) throw RuntimeError("Event loop stopped before Future completed.");
    }
    return task.result_for_await();
}

template <class T>
T EventLoop::run_until_complete(Coro<T> coro) {
    check_can_run();  // before the coroutine becomes a task: it must not run at all
    return run_until_complete(create_task(std::move(coro)));
}

}  // namespace concurrence::asyncio
