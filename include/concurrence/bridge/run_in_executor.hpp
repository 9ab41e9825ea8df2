// loop.run_in_executor and asyncio.to_thread: blocking work on threads, awaited from the loop.
//
//     auto data = co_await loop.run_in_executor(nullptr, read_file, path); // run_in_executor(None, ...)
//     auto data = co_await loop.run_in_executor(pool, read_file, path);    // ... (pool, ...)
//     auto data = co_await asyncio::to_thread(read_file, path);            // await asyncio.to_thread(...)
//
// The default executor is a futures::ThreadPoolExecutor with the thread name prefix "asyncio",
// made on first use, as Python's; asyncio::run shuts it down (waiting for its threads) before
// it closes the loop. func and args are copied or moved in, as std::thread does. A coroutine
// function is refused at compile time (Python: TypeError "coroutines cannot be used with
// run_in_executor()").
//
// Cancelling the awaiting task cancels the call only if it has not started: a running function
// cannot be interrupted, in Python or here; it finishes and its result is dropped.
//
// g++ 12: do not write a capturing lambda in the co_await expression itself
// (`co_await asyncio::to_thread([s] { ... })`): that compiler copies such a temporary byte by
// byte, and a captured std::string then frees memory it does not own. Name the lambda first
// (`auto work = [s] { ... }; co_await asyncio::to_thread(work);`) or pass the function and its
// arguments (`to_thread(f, s)`). clang and later g++ are not affected.
//
// Thread safety: for the loop's thread.
#pragma once

#include <functional>
#include <memory>
#include <type_traits>
#include <utility>

#include "concurrence/bridge/wrap_future.hpp"
#include "concurrence/contextvars/contextvars.hpp"
#include "concurrence/futures/thread_pool_executor.hpp"
#include "concurrence/loop/event_loop.hpp"
#include "concurrence/task/coro.hpp"
#include "concurrence/task/future.hpp"

namespace concurrence::asyncio {

namespace detail {

// The loop's default executor, made on first use; throws RuntimeError "Executor shutdown has
// been called" after shutdown_default_executor().
futures::ThreadPoolExecutor& default_executor_of(EventLoop& loop);

}  // namespace detail

template <class Executor, class F, class... Args>
auto EventLoop::run_in_executor(Executor& executor, F&& func, Args&&... args) {
    using R = std::invoke_result_t<std::decay_t<F>, std::decay_t<Args>...>;
    static_assert(!detail::is_coro_v<R>, "coroutines cannot be used with run_in_executor(): co_await them");
    check_open();
    return wrap_future(executor.submit(std::forward<F>(func), std::forward<Args>(args)...), *this);
}

template <class F, class... Args>
auto EventLoop::run_in_executor(std::nullptr_t, F&& func, Args&&... args) {
    return run_in_executor(detail::default_executor_of(*this), std::forward<F>(func), std::forward<Args>(args)...);
}

// Python's asyncio.to_thread(func, *args): a coroutine, so nothing is submitted until it is
// awaited (or made a task). func runs in a copy of the caller's contextvars context, as
// Python's (run_in_executor does not copy it, as Python's does not).
template <class F, class... Args>
    requires std::invocable<std::decay_t<F>, std::decay_t<Args>...>
Coro<std::invoke_result_t<std::decay_t<F>, std::decay_t<Args>...>> to_thread(F func, Args... args) {
    EventLoop& loop = get_running_loop();
    // Named, not a temporary of the co_await (see above).
    auto in_context = [context = contextvars::copy_context(), func = std::move(func),
                       ... args = std::move(args)]() mutable -> decltype(auto) {
        return context.run(std::move(func), std::move(args)...);  // called once
    };
    co_return co_await loop.run_in_executor(nullptr, std::move(in_context));
}

}  // namespace concurrence::asyncio
