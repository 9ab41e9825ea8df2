// asyncio.run_coroutine_threadsafe: another thread hands a coroutine to a running loop.
//
//     // in a thread that is not the loop's:
//     futures::Future<int> f = asyncio::run_coroutine_threadsafe(fetch(url), loop);
//     int v = f.result(5s);                   // f.result(timeout=5)
//
// As Python's: the coroutine becomes a task on the loop (from a call_soon_threadsafe
// callback), the task's outcome goes to the returned futures::Future, and cancelling that
// future from any thread cancels the task (on the loop's thread). Throws RuntimeError "Event
// loop is closed" if the loop is closed. The loop must outlive the call itself (as in
// Python); it need not outlive the returned future.
//
// Thread safety: for any thread; the loop must not be the caller's own running loop if the
// caller then blocks on the future (that would wait forever, as in Python).
#pragma once

#include <exception>
#include <memory>
#include <type_traits>
#include <utility>

#include "concurrence/bridge/loop_owned.hpp"
#include "concurrence/futures/future.hpp"
#include "concurrence/loop/event_loop.hpp"
#include "concurrence/task/coro.hpp"
#include "concurrence/task/task.hpp"

namespace concurrence::asyncio {

namespace detail {

// The task's outcome into the concurrent future (Python's _set_concurrent_future_state).
template <class T>
void copy_task_outcome(Task<T>& task, futures::Future<T>& dest) {
    if (task.cancelled()) {
        dest.cancel();
        return;
    }
    if (!dest.set_running_or_notify_cancel()) return;  // cancelled from another thread meanwhile
    if (std::exception_ptr error = task.exception()) {
        dest.set_exception(std::move(error));
    } else if constexpr (std::is_void_v<T>) {
        dest.set_result();
    } else {
        dest.set_result(task.result());
    }
}

// Posted by a thread that cancelled the concurrent future: cancels the task on the loop.
template <class T>
class CancelTask {
public:
    explicit CancelTask(std::shared_ptr<LoopOwnedWithPostbox<Task<T>>> task) : task_(std::move(task)) {}
    CancelTask(CancelTask&&) noexcept = default;
    void operator()() {
        if (task_->value) (*task_->value).cancel();  // empty: the task is done already
    }
    // Refused: keep our reference for good, so that the last one is never dropped here.
    void leak() noexcept { keep_unreleased(new std::shared_ptr<LoopOwnedWithPostbox<Task<T>>>(std::move(task_))); }

private:
    std::shared_ptr<LoopOwnedWithPostbox<Task<T>>> task_;
};

// Runs on the loop's thread: makes the task and chains it to the future.
template <class T>
class StartTask {
public:
    StartTask(Coro<T> coro, futures::Future<T> future, EventLoop& loop)
        : coro_(std::move(coro)), future_(std::move(future)), loop_(&loop) {}
    StartTask(StartTask&&) noexcept = default;

    void operator()() {
        Task<T> task;
        try {
            task = loop_->create_task(std::move(coro_));
        } catch (...) {
            if (future_.set_running_or_notify_cancel()) future_.set_exception(std::current_exception());
            throw;
        }
        // The concurrent future may be cancelled from any thread: that thread posts the
        // cancellation, holding the task only through LoopOwned (see loop_owned.hpp), which
        // the task empties on the loop's thread when it is done.
        auto bound = std::make_shared<LoopOwnedWithPostbox<Task<T>>>(task, loop_->postbox());
        task.add_done_callback([future = future_, bound](Task<T>& done) mutable {
            bound->value.reset();
            copy_task_outcome(done, future);
        });
        future_.add_done_callback([bound](futures::Future<T> done) {
            if (done.cancelled()) post_or_leak(bound->postbox, CancelTask<T>(bound));
        });
    }

private:
    Coro<T> coro_;
    futures::Future<T> future_;
    EventLoop* loop_;
};

}  // namespace detail

template <class T>
futures::Future<T> run_coroutine_threadsafe(Coro<T> coro, EventLoop& loop) {
    futures::Future<T> future;
    // Without a Handle: the task's pieces are dropped on the loop's thread, never here.
    if (!loop.call_soon_threadsafe_unhandled(detail::StartTask<T>(std::move(coro), future, loop)))
        throw RuntimeError("Event loop is closed");
    return future;
}

}  // namespace concurrence::asyncio
