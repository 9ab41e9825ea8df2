// asyncio::run(coro): Python's asyncio.run / asyncio.Runner.
//
//   int main() { return asyncio::run(amain()); }
//
// A new event loop runs the coroutine as the main task, then cancels every task still
// pending, waits for them to finish their cleanup, reports their errors to the exception
// handler, and closes the loop. Returns the coroutine's result or throws its exception.
// Throws RuntimeError("asyncio.run() cannot be called from a running event loop") when this
// thread already runs a loop.
#pragma once

#include <exception>
#include <optional>
#include <utility>
#include <vector>

#include "concurrence/loop/event_loop.hpp"
#include "concurrence/task/coro.hpp"
#include "concurrence/task/current_task.hpp"
#include "concurrence/task/task.hpp"

namespace concurrence::asyncio {

namespace detail {
// Cancels what is left, lets it clean up, reports what failed (Python's _cancel_all_tasks).
void cancel_all_tasks(EventLoop& loop);
void check_no_running_loop();
}  // namespace detail

template <class T>
T run(Coro<T> main) {
    detail::check_no_running_loop();
    EventLoop loop;
    auto finish = [&loop] {
        detail::cancel_all_tasks(loop);
        loop.close();
    };
    try {
        if constexpr (std::is_void_v<T>) {
            loop.run_until_complete(std::move(main));
            finish();
        } else {
            T result = loop.run_until_complete(std::move(main));
            finish();
            return result;
        }
    } catch (...) {
        if (!loop.is_closed()) finish();
        throw;
    }
}

}  // namespace concurrence::asyncio
