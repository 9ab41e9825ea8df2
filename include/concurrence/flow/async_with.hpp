// Python's async cleanup shapes, in C++20 (which has no `async with`, no co_await in a
// handler, and no async destructor):
//
//   async with asyncio.timeout(5) as cm:      co_await asyncio::async_with(asyncio::timeout(5),
//       await work()                              [&](asyncio::Timeout& cm) -> asyncio::Coro<> {
//                                                     co_await work();
//                                                 });
//
//   try:                                      co_await asyncio::try_finally(work(),
//       await work()                              [&]() -> asyncio::Coro<> { co_await close(); });
//   finally:
//       await close()
//
//   try:                                      co_await asyncio::on_cancel(work(),
//       await work()                              [&]() -> asyncio::Coro<> { co_await cleanup(); });
//   except asyncio.CancelledError:
//       await cleanup()
//       raise
//
// An async context manager is any class with `aenter()` and `aexit(std::exception_ptr)`,
// both awaitable; aexit yields true to suppress the body's exception (Python's __aexit__
// returning True). The body gets the manager (`as cm`) or nothing, and may return a value:
// async_with then returns it. The body's lambda may capture by reference: it lives until
// async_with is done.
#pragma once

#include <coroutine>
#include <exception>
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

#include "concurrence/task/coro.hpp"
#include "concurrence/task/ready.hpp"

namespace concurrence::asyncio {

namespace detail {

template <class A>
decltype(auto) awaiter_of(A&& a) {
    if constexpr (requires { std::forward<A>(a).operator co_await(); })
        return std::forward<A>(a).operator co_await();
    else
        return std::forward<A>(a);
}
// What `co_await a` yields.
template <class A>
using await_result_t = decltype(awaiter_of(std::declval<A>()).await_resume());

template <class Body, class CM>
decltype(auto) invoke_body(Body& body, CM& cm) {
    if constexpr (std::is_invocable_v<Body&, CM&>)
        return std::invoke(body, cm);
    else
        return std::invoke(body);
}

template <class Body, class CM>
using body_result_t = await_result_t<decltype(invoke_body(std::declval<Body&>(), std::declval<CM&>()))>;

template <class CM, class Body, class R = body_result_t<Body, std::remove_reference_t<CM>>>
Coro<R> async_with_impl(CM cm, Body body) {
    co_await cm.aenter();
    std::exception_ptr error;
    std::optional<std::conditional_t<std::is_void_v<R>, bool, R>> result;
    try {
        if constexpr (std::is_void_v<R>) {
            co_await invoke_body(body, cm);
        } else {
            result.emplace(co_await invoke_body(body, cm));
        }
    } catch (...) {
        error = std::current_exception();
    }
    const bool suppress = co_await cm.aexit(error);
    if (error && !suppress) std::rethrow_exception(error);
    if constexpr (!std::is_void_v<R>) {
        if (!result)
            throw RuntimeError("async_with: the context manager suppressed the exception of a body that returns a value");
        co_return std::move(*result);
    }
}

template <class A, class R = await_result_t<A>>
Coro<R> try_finally_impl(A aw, std::function<Coro<>()> cleanup, bool only_on_cancel) {
    std::exception_ptr error;
    bool cancelled = false;
    std::optional<std::conditional_t<std::is_void_v<R>, bool, R>> result;
    try {
        if constexpr (std::is_void_v<R>) {
            co_await std::move(aw);
        } else {
            result.emplace(co_await std::move(aw));
        }
    } catch (const CancelledError&) {
        error = std::current_exception();
        cancelled = true;
    } catch (...) {
        error = std::current_exception();
    }
    if (!only_on_cancel || cancelled) co_await cleanup();
    if (error) std::rethrow_exception(error);
    if constexpr (!std::is_void_v<R>) co_return std::move(*result);
}

}  // namespace detail

// `async with cm as x: body` (see the top of this file). A temporary manager is kept in
// async_with's frame; an lvalue one is used by reference.
template <class CM, class Body>
auto async_with(CM&& cm, Body body) {
    using Stored = std::conditional_t<std::is_lvalue_reference_v<CM>, CM, std::remove_cvref_t<CM>>;
    return detail::async_with_impl<Stored>(std::forward<CM>(cm), std::move(body));
}

// `try: await aw  finally: await cleanup()`: cleanup runs after aw on every exit path
// (result, exception, cancellation); aw's exception then propagates, unless cleanup throws
// (its exception replaces aw's, as in Python).
template <class A, class Cleanup>
auto try_finally(A&& aw, Cleanup cleanup) {
    return detail::try_finally_impl<std::remove_cvref_t<A>>(std::forward<A>(aw), std::function<Coro<>()>(std::move(cleanup)), false);
}

// `try: await aw  except CancelledError: await cleanup(); raise`.
template <class A, class Cleanup>
auto on_cancel(A&& aw, Cleanup cleanup) {
    return detail::try_finally_impl<std::remove_cvref_t<A>>(std::forward<A>(aw), std::function<Coro<>()>(std::move(cleanup)), true);
}

}  // namespace concurrence::asyncio
