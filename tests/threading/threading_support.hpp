// Helpers shared by the threading suites (one definition each: the files compile in batches).
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace threading_test {

// Polls `condition` every millisecond until it holds (true) or 30 s pass (false): waits for
// another thread's progress without asserting how long it takes.
inline bool eventually(const std::function<bool()>& condition) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!condition()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
}

// Whether `lock.acquire(arg)` compiles: acquire(0.5) must not (it would mean blocking=true).
template <class L, class Arg>
concept AcquireTakes = requires(L& lock, Arg arg) { lock.acquire(arg); };

}  // namespace threading_test
