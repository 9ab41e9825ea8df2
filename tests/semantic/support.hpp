// Helpers shared by the semantic tests (CPython's test_asyncio/utils.py, in small).
#pragma once

#include <concurrence/asyncio.hpp>

#include <exception>
#include <stdexcept>
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

// Rounding of the loop clock (ns) may fire a timer a hair before the double deadline.
inline constexpr double kClockSlack = 1e-6;

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

// Small coroutines that several files use (one definition each: the files compile in batches).
inline asyncio::Coro<int> answer() { co_return 42; }

inline asyncio::Coro<> set_flag(bool* ran) {
    *ran = true;
    co_return;
}

inline asyncio::Coro<int> await_task(asyncio::Task<int> inner) { co_return co_await inner; }

// asyncio.sleep(delay) as a coroutine object.
inline asyncio::Coro<> nap(double delay) { co_await asyncio::sleep(delay); }

// Counts its live copies in *live: what a test checks was destroyed, and when.
struct Counted {
    explicit Counted(int* live) : live_(live) { ++*live_; }
    Counted(const Counted& o) : live_(o.live_) { ++*live_; }
    Counted(Counted&& o) noexcept : live_(o.live_) { ++*live_; }
    ~Counted() { --*live_; }
    int* live_;
};

// Python's ZeroDivisionError (1 / 0).
struct ZeroDivisionError : std::runtime_error {
    ZeroDivisionError() : std::runtime_error("division by zero") {}
};

// Throws std::runtime_error(msg) as soon as it runs.
inline asyncio::Coro<int> fail_now(std::string msg) {
    throw std::runtime_error(msg);
    co_return 0;
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
