// Helpers shared by the queue tests (a port of CPython's Lib/test/test_asyncio/test_queues.py).
//
// Python → C++:
//   asyncio.create_task(q.get())    get_task(q)       (create_task takes a Coro: a wrapper)
//   asyncio.create_task(q.put(x))   put_task(q, x)
//   loop.create_task(q.join())      join_task(q)
//   with self.assertRaises(E):      EXPECT_TRUE(holds<E>(co_await error_of(q.get())))
//   IsolatedAsyncioTestCase         asyncio::run(body())
#pragma once

#include <gtest/gtest.h>

#include <exception>
#include <string>
#include <utility>

#include "semantic/support.hpp"

namespace queues_test {

namespace asyncio = concurrence::asyncio;
using semantic::error_of;
using semantic::holds;
using semantic::what_of;

// The item type of a queue.
template <class Q>
using item_t = decltype(std::declval<Q&>().get_nowait());

// `await q.get()` as a coroutine (so that it can become a task).
template <class Q>
asyncio::Coro<item_t<Q>> get_of(Q& q) {
    co_return co_await q.get();
}

// `await q.put(item)` as a coroutine.
template <class Q, class T>
asyncio::Coro<> put_of(Q& q, T item) {
    co_await q.put(std::move(item));
}

// `await q.join()` as a coroutine.
template <class Q>
asyncio::Coro<> join_of(Q& q) {
    co_await q.join();
}

template <class Q>
asyncio::Task<item_t<Q>> get_task(Q& q) {
    return asyncio::create_task(get_of(q));
}
template <class Q, class T>
asyncio::Task<void> put_task(Q& q, T item) {
    return asyncio::create_task(put_of(q, item_t<Q>(std::move(item))));
}
template <class Q>
asyncio::Task<void> join_task(Q& q) {
    return asyncio::create_task(join_of(q));
}

// `await asyncio.sleep(0)` n times: n iterations of the loop.
inline asyncio::Coro<> yield_n(int n) {
    for (int i = 0; i < n; ++i) co_await asyncio::sleep(0);
}

// Whether `task` ended with CancelledError when awaited.
template <class Task>
asyncio::Coro<bool> ends_cancelled(Task task) {
    std::exception_ptr e = co_await error_of(std::move(task));
    co_return holds<asyncio::CancelledError>(e);
}

}  // namespace queues_test
