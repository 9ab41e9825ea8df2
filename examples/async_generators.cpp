// Async generators, `async for`, aclosing and asend: the Python program in the comment,
// ported line by line.
//
//   import asyncio
//   from contextlib import aclosing
//
//   async def ticker(delay, to):
//       for i in range(to):
//           yield i
//           await asyncio.sleep(delay)
//
//   async def pages():
//       try:
//           for n in range(1, 100):
//               await asyncio.sleep(0.01)          # fetch page n
//               yield f"page {n}"
//       finally:
//           await asyncio.sleep(0.01)              # close the connection
//           print("connection closed")
//
//   async def running_average():
//       total, count, average = 0.0, 0, None
//       while True:
//           value = yield average
//           total += value
//           count += 1
//           average = total / count
//
//   async def main():
//       async for i in ticker(0.1, 3):
//           print("tick", i)
//       async with aclosing(pages()) as p:
//           async for page in p:
//               print(page)
//               if page == "page 2":
//                   break
//       average = running_average()
//       await anext(average)
//       for v in (10, 20, 60):
//           print("average", await average.asend(v))
//       await average.aclose()
//
//   asyncio.run(main())
#include <concurrence/asyncio.hpp>

#include <chrono>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>

namespace asyncio = concurrence::asyncio;
using namespace std::chrono_literals;

asyncio::AsyncGenerator<int> ticker(double delay, int to) {
    for (int i = 0; i < to; ++i) {
        co_yield i;
        co_await asyncio::sleep(delay);
    }
}

asyncio::AsyncGenerator<std::string> pages() {
    // `finally:` with an await: C++ cannot co_await in a catch handler, so the handler only
    // keeps the exception (GeneratorExit from aclose(), or any other), and the cleanup follows.
    std::exception_ptr leaving;
    try {
        for (int n = 1; n < 100; ++n) {
            co_await asyncio::sleep(10ms);
            co_yield "page " + std::to_string(n);
        }
    } catch (...) {
        leaving = std::current_exception();
    }
    co_await asyncio::sleep(10ms);
    std::puts("connection closed");
    if (leaving) std::rethrow_exception(leaving);
}

// Yields the average so far (None before the first value) and receives the next value.
asyncio::AsyncGenerator<std::optional<double>, double> running_average() {
    double total = 0;
    int count = 0;
    std::optional<double> average;
    for (;;) {
        std::optional<double> value = co_yield average;
        total += value.value_or(0);
        count += 1;
        average = total / count;
    }
}

asyncio::Coro<> main_() {
    auto ticks = ticker(0.1, 3);
    while (auto i = co_await ticks.next()) std::printf("tick %d\n", *i);

    co_await asyncio::async_with(asyncio::aclosing(pages()), [](asyncio::AsyncGenerator<std::string>& p) -> asyncio::Coro<> {
        while (auto page = co_await p.next()) {
            std::printf("%s\n", page->c_str());
            if (*page == "page 2") break;
        }
    });

    auto average = running_average();
    co_await asyncio::anext(average);
    for (double v : {10.0, 20.0, 60.0}) std::printf("average %.1f\n", *co_await average.asend(v));
    co_await average.aclose();
}

int main() { asyncio::run(main_()); }
