// Shared by the concurrent.futures suites: futures in each of Python's states (CPython's
// test_concurrent_futures/util.py: PENDING_FUTURE ... SUCCESSFUL_FUTURE), and a small latch.
#pragma once

#include <atomic>
#include <chrono>
#include <thread>

#include "concurrence/futures.hpp"
#include "concurrence/threading/event.hpp"

namespace futures_test {

namespace futures = concurrence::futures;

inline futures::Future<int> pending_future() { return futures::Future<int>(); }

inline futures::Future<int> running_future() {
    futures::Future<int> f;
    f.set_running_or_notify_cancel();
    return f;
}

// Cancelled, but no executor has noticed: wait() and as_completed() do not count it as done.
inline futures::Future<int> cancelled_future() {
    futures::Future<int> f;
    f.cancel();
    return f;
}

inline futures::Future<int> cancelled_and_notified_future() {
    futures::Future<int> f;
    f.cancel();
    f.set_running_or_notify_cancel();
    return f;
}

// Python's EXCEPTION_FUTURE raised OSError; ours raises ValueError.
inline futures::Future<int> exception_future() {
    futures::Future<int> f;
    f.set_exception(concurrence::ValueError("boom"));
    return f;
}

inline futures::Future<int> successful_future() {
    futures::Future<int> f;
    f.set_result(42);
    return f;
}

inline int mul(int x, int y) { return x * y; }

// Spins (politely) until `done()` holds or 30 s pass; returns done().
template <class Pred>
bool eventually(Pred done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return true;
}

}  // namespace futures_test
