// asyncio::TaskGroup: structured concurrency (Python 3.11+).
//
//   co_await asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& tg) -> asyncio::Coro<> {
//       tg.create_task(fetch(1));
//       tg.create_task(fetch(2));
//       co_return;
//   });   // both are done here
//
// Leaving the block waits for every task of the group. The first task that fails cancels the
// others and the block's own task; the group then throws ExceptionGroup("unhandled errors in
// a TaskGroup") holding every failure (not the CancelledErrors of the siblings). A
// cancellation from outside is not swallowed: it propagates once the tasks are done.
// KeyboardInterrupt from a task or the body propagates as itself.
// A TaskGroup can be moved until it is entered, not after (its tasks call back into it).
#pragma once

#include <cstddef>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "concurrence/flow/async_with.hpp"
#include "concurrence/flow/listener.hpp"
#include "concurrence/loop/handle.hpp"
#include "concurrence/task/current_task.hpp"
#include "concurrence/task/future.hpp"
#include "concurrence/task/task.hpp"

namespace concurrence::asyncio {

class TaskGroup final : private detail::Listener {
public:
    TaskGroup() = default;
    TaskGroup(TaskGroup&& o);
    TaskGroup& operator=(TaskGroup&&) = delete;
    ~TaskGroup();

    // Python's TaskGroup.create_task(coro, name=): RuntimeError before the group is entered,
    // once it is finished, or while it is shutting down (the coroutine is then closed).
    template <class T>
    Task<T> create_task(Coro<T> coro, std::string_view name = {}, CallSite where = CallSite()) {
        check_can_create(coro);
        Task<T> task = loop_->create_task(std::move(coro), name, where);
        add_task(task.core());
        return task;
    }

    // ---- the async context manager protocol (see async_with)
    detail::Ready<void> aenter();
    Coro<bool> aexit(std::exception_ptr error);

    // Python's repr: "<TaskGroup tasks=2 errors=1 cancelling>".
    std::string repr() const override;

private:
    template <class T>
    void check_can_create(Coro<T>& coro) {
        if (const char* why = refusal()) {
            coro.close();  // Python closes it: no "never awaited" report
            throw RuntimeError("TaskGroup " + repr() + why);
        }
    }
    const char* refusal() const;
    void add_task(detail::TaskCore* task);
    void on_future_done(detail::FutureBase& task) override;
    void abort();

    EventLoop* loop_ = nullptr;
    TaskRef parent_;
    std::vector<TaskRef> tasks_;  // for abort(): compacted as they finish
    std::size_t pending_ = 0;     // tasks whose completion was not processed yet
    std::vector<std::exception_ptr> errors_;
    std::exception_ptr base_error_;
    std::optional<Future<void>> on_completed_;
    bool entered_ = false;
    bool exiting_ = false;
    bool aborting_ = false;
    bool parent_cancel_requested_ = false;
};

}  // namespace concurrence::asyncio
