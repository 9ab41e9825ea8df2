// Awaiters that are not coroutines (a lock's acquire(), a queue's get(), sleep()): what
// create_task, gather, shield and wait_for need to run one as a task of its own (Python's
// ensure_future wraps any awaitable; its lock.acquire() is a coroutine).
#pragma once

#include <concepts>
#include <coroutine>
#include <utility>

#include "concurrence/task/coro.hpp"

namespace concurrence::asyncio::detail {

// A movable awaiter with the three await_ members (a Coro, Task or Future is not one: they
// have operator co_await).
template <class X>
concept PlainAwaiter = std::move_constructible<X> && requires(X& x, std::coroutine_handle<> h) {
    { x.await_ready() } -> std::convertible_to<bool>;
    x.await_suspend(h);
    x.await_resume();
};

template <class X>
using awaiter_value_t = decltype(std::declval<X&>().await_resume());

// The awaiter, awaited by a coroutine of its own (the body of the task that runs it).
template <class T, class A>
Coro<T> await_in_task(A awaiter) {
    co_return co_await awaiter;
}

}  // namespace concurrence::asyncio::detail
