// An awaitable that is ready at once with a value: what an async method whose work is
// synchronous returns (aenter/aexit of a lock, join() of a finished queue).
#pragma once

#include <coroutine>
#include <utility>

namespace concurrence::asyncio::detail {

// An awaitable that is ready at once with a value (aenter/aexit whose work is synchronous).
template <class T>
struct Ready {
    T value;
    bool await_ready() const noexcept { return true; }
    void await_suspend(std::coroutine_handle<>) const noexcept {}
    T await_resume() { return std::move(value); }
};
template <>
struct Ready<void> {
    bool await_ready() const noexcept { return true; }
    void await_suspend(std::coroutine_handle<>) const noexcept {}
    void await_resume() const noexcept {}
};

}  // namespace concurrence::asyncio::detail
