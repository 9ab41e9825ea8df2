// Helpers shared by the semantic tests (CPython's test_asyncio/utils.py, in small).
#pragma once

#include <concurrence/asyncio.hpp>

#include <exception>
#include <string>
#include <vector>

namespace semantic {

namespace asyncio = concurrence::asyncio;

// A trace of what ran, compared with the trace CPython produces for the same program.
using Log = std::vector<std::string>;

// One iteration of the loop (CPython's test_utils.run_once: call_soon(stop); run_forever()):
// everything that is ready now runs, what it schedules waits.
inline void run_once(asyncio::EventLoop& loop) {
    loop.call_soon([&loop] { loop.stop(); });
    loop.run_forever();
}

// What the loop's exception handler was given.
struct Reports {
    std::vector<std::string> messages;
    std::vector<std::exception_ptr> exceptions;
    std::vector<std::string> futures;  // ExceptionContext::future (the repr of the task/future)
};

inline asyncio::EventLoop::ExceptionHandler record_into(Reports* out) {
    return [out](asyncio::EventLoop&, const asyncio::ExceptionContext& context) {
        out->messages.push_back(context.message);
        out->exceptions.push_back(context.exception);
        out->futures.push_back(context.future);
    };
}

// what() of the exception in `e` ("" for a null pointer or a non-std exception).
inline std::string what_of(const std::exception_ptr& e) {
    if (!e) return {};
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& ex) {
        return ex.what();
    } catch (...) {
        return {};
    }
}

// A coroutine that sleeps `delay` seconds, then returns v.
inline asyncio::Coro<int> value_after(double delay, int v) {
    co_await asyncio::sleep(delay);
    co_return v;
}

// Awaits `aw` and returns what it threw (null if nothing): Python's `with self.assertRaises(...)`.
template <class A>
asyncio::Coro<std::exception_ptr> error_of(A aw) {
    try {
        (void)co_await std::move(aw);
    } catch (...) {
        co_return std::current_exception();
    }
    co_return nullptr;
}

// Whether `e` holds an E (the library's exception_is, under the tests' old name).
template <class E>
bool holds(const std::exception_ptr& e) {
    return concurrence::exception_is<E>(e);
}

}  // namespace semantic
