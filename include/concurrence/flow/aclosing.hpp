// Python's contextlib.aclosing(agen): the generator is closed (aclose()) when the block
// ends, however it ends, instead of when a finalizer gets to it.
//
//   async with aclosing(ticker(3)) as g:     co_await asyncio::async_with(asyncio::aclosing(ticker(3)),
//       async for v in g:                        [&](asyncio::AsyncGenerator<int>& g) -> asyncio::Coro<> {
//           if v == 1: break                         while (auto v = co_await g.next())
//                                                        if (*v == 1) break;
//                                                });
#pragma once

#include <coroutine>
#include <exception>
#include <utility>

#include "concurrence/task/async_generator.hpp"
#include "concurrence/task/coro.hpp"

namespace concurrence::asyncio {

// The manager is the generator itself (Python's `as g`), with aenter()/aexit() added.
template <class T, class Send = void>
class Aclosing : public AsyncGenerator<T, Send> {
public:
    explicit Aclosing(AsyncGenerator<T, Send> gen) : AsyncGenerator<T, Send>(std::move(gen)) {}

    std::suspend_never aenter() noexcept { return {}; }
    Coro<bool> aexit(std::exception_ptr) {
        co_await this->aclose();
        co_return false;
    }
};

template <class T, class Send>
Aclosing<T, Send> aclosing(AsyncGenerator<T, Send> gen) {
    return Aclosing<T, Send>(std::move(gen));
}

}  // namespace concurrence::asyncio
