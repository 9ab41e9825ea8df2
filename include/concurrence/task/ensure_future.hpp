// Python's asyncio.ensure_future, iscoroutine and isfuture.
//
//   asyncio.ensure_future(main())      →  asyncio::ensure_future(main())     // Task<T>, scheduled
//   asyncio.ensure_future(task)        →  asyncio::ensure_future(task)       // that same task
//   asyncio.ensure_future(fut)         →  asyncio::ensure_future(fut)        // that same future
//   asyncio.ensure_future(q.get())     →  asyncio::ensure_future(q.get())    // a task awaiting it
//   asyncio.iscoroutine(x), isfuture(x) → the same names, answered from x's type (constexpr)
//
// Python decides at run time what the object is; here the overload does, so passing something
// that is not awaitable is a compile error rather than Python's TypeError.
#pragma once

#include <type_traits>
#include <utility>

#include "concurrence/task/awaitable.hpp"
#include "concurrence/task/coro.hpp"
#include "concurrence/task/future.hpp"
#include "concurrence/task/task.hpp"

namespace concurrence::asyncio {

namespace detail {
// is_coro_v: loop/event_loop.hpp.
template <class X>
inline constexpr bool is_future_like_v = false;  // Python's isfuture: a Future or a Task
template <class T>
inline constexpr bool is_future_like_v<Future<T>> = true;
template <class T>
inline constexpr bool is_future_like_v<Task<T>> = true;
}  // namespace detail

// A coroutine becomes a task on the running loop (its first step at the back of the ready queue).
template <class T>
[[nodiscard]] Task<T> ensure_future(Coro<T> coro) {
    return create_task(std::move(coro));
}
// A task or a future is returned as it is: the same object, not a copy of its state.
template <class T>
[[nodiscard]] Task<T> ensure_future(Task<T> task) {
    return task;
}
template <class T>
[[nodiscard]] Future<T> ensure_future(Future<T> future) {
    return future;
}
// Any other awaitable (lock.acquire(), q.get(), an Event's wait) runs in a task of its own.
template <class A>
    requires detail::PlainAwaiter<std::remove_cvref_t<A>>
[[nodiscard]] auto ensure_future(A&& awaiter) {
    return create_task(std::forward<A>(awaiter));
}

template <class X>
constexpr bool iscoroutine(const X&) {
    return detail::is_coro_v<X>;
}
template <class X>
constexpr bool isfuture(const X&) {
    return detail::is_future_like_v<X>;
}

}  // namespace concurrence::asyncio
