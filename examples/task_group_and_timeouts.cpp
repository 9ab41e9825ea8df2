// Structured concurrency and time limits, Python's way.
//
// Python original:
//
//   async def fetch(name, delay, fail=False):
//       await asyncio.sleep(delay)
//       if fail:
//           raise ValueError(f"{name} failed")
//       return f"{name} ok"
//
//   async def main():
//       async with asyncio.TaskGroup() as tg:
//           a = tg.create_task(fetch("a", 0.1))
//           b = tg.create_task(fetch("b", 0.2))
//       print(a.result(), b.result())
//
//       try:
//           async with asyncio.TaskGroup() as tg:
//               tg.create_task(fetch("c", 0.1, fail=True))
//               tg.create_task(fetch("d", 10))        # cancelled when c fails
//       except* ValueError as eg:
//           print("group failed:", [str(e) for e in eg.exceptions])
//
//       try:
//           async with asyncio.timeout(0.1):
//               await fetch("slow", 10)
//       except TimeoutError:
//           print("slow timed out")
//
//       print(await asyncio.wait_for(fetch("quick", 0.01), timeout=1))
//
//   asyncio.run(main())
#include <concurrence/asyncio.hpp>

#include <cstdio>
#include <string>

namespace asyncio = concurrence::asyncio;

asyncio::Coro<std::string> fetch(std::string name, double delay, bool fail = false) {
    co_await asyncio::sleep(delay);
    if (fail) throw concurrence::ValueError(name + " failed");
    co_return name + " ok";
}

asyncio::Coro<> amain() {
    asyncio::Task<std::string> a, b;
    co_await asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& tg) -> asyncio::Coro<> {
        a = tg.create_task(fetch("a", 0.1));
        b = tg.create_task(fetch("b", 0.2));
        co_return;
    });
    std::printf("%s %s\n", a.result().c_str(), b.result().c_str());

    try {
        co_await asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& tg) -> asyncio::Coro<> {
            tg.create_task(fetch("c", 0.1, true));
            tg.create_task(fetch("d", 10));  // cancelled when c fails
            co_return;
        });
    } catch (const asyncio::ExceptionGroup& eg) {
        std::printf("group failed:");
        for (const std::exception_ptr& e : eg.matching<concurrence::ValueError>()) {
            try {
                std::rethrow_exception(e);
            } catch (const concurrence::ValueError& v) {
                std::printf(" '%s'", v.what());
            }
        }
        std::printf("\n");
    }

    try {
        co_await asyncio::async_with(asyncio::timeout(0.1), [&]() -> asyncio::Coro<> { co_await fetch("slow", 10); });
    } catch (const asyncio::TimeoutError&) {
        std::printf("slow timed out\n");
    }

    std::printf("%s\n", (co_await asyncio::wait_for(fetch("quick", 0.01), 1)).c_str());
}

int main() { asyncio::run(amain()); }
