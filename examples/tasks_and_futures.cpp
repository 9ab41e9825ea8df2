// Tasks, futures and gather: the Python program in the comment, ported line by line.
//
//   import asyncio
//
//   async def compute(name, delay, value):
//       await asyncio.sleep(delay)
//       print(f"{name} done")
//       return value
//
//   async def main():
//       loop = asyncio.get_running_loop()
//       fut = loop.create_future()
//       loop.call_later(0.05, fut.set_result, "from a callback")
//       slow = asyncio.create_task(compute("slow", 0.1, 2), name="slow")
//       a, b = await asyncio.gather(compute("fast", 0.01, 1), slow)
//       print(a + b, await fut, slow.get_name())
//
//   asyncio.run(main())
#include <concurrence/asyncio.hpp>

#include <chrono>
#include <cstdio>
#include <string>

namespace asyncio = concurrence::asyncio;
using namespace std::chrono_literals;

asyncio::Coro<int> compute(std::string name, std::chrono::milliseconds delay, int value) {
    co_await asyncio::sleep(delay);
    std::printf("%s done\n", name.c_str());
    co_return value;
}

asyncio::Coro<> main_() {
    asyncio::EventLoop& loop = asyncio::get_running_loop();
    asyncio::Future<std::string> fut = loop.create_future<std::string>();
    loop.call_later(50ms, [fut]() mutable { fut.set_result("from a callback"); });
    asyncio::Task<int> slow = asyncio::create_task(compute("slow", 100ms, 2), "slow");
    auto [a, b] = co_await asyncio::gather(compute("fast", 10ms, 1), slow);
    std::string message = co_await fut;
    std::printf("%d %s %s\n", a + b, message.c_str(), slow.get_name().c_str());
}

int main() { asyncio::run(main_()); }
