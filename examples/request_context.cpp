// contextvars: a request id that follows each request through its tasks, without passing it
// along. The Python program in the comment, ported line by line:
//
//   import asyncio, contextvars
//
//   request_id = contextvars.ContextVar('request_id', default='-')
//
//   def log(message):
//       print(f"[{request_id.get()}] {message}")
//
//   async def fetch(part):
//       await asyncio.sleep(0.01 * part)
//       log(f"fetched part {part}")       # the request's id: gather's tasks copied its context
//       return part
//
//   async def handle(n):
//       request_id.set(f"req-{n}")         # in this request's task only
//       log("start")
//       parts = await asyncio.gather(fetch(1), fetch(2))
//       log(f"done: {sum(parts)}")
//
//   async def main():
//       log("main starts")
//       await asyncio.gather(handle(1), handle(2))
//       log("main ends")                   # main's context never saw a request id
//
//   asyncio.run(main())
#include <concurrence/asyncio.hpp>

#include <cstdio>
#include <string>

namespace asyncio = concurrence::asyncio;
namespace contextvars = concurrence::contextvars;

contextvars::ContextVar<std::string> request_id("request_id", "-");

void log(const std::string& message) { std::printf("[%s] %s\n", request_id.get().c_str(), message.c_str()); }

asyncio::Coro<int> fetch(int part) {
    co_await asyncio::sleep(0.01 * part);
    log("fetched part " + std::to_string(part));
    co_return part;
}

asyncio::Coro<> handle(int n) {
    request_id.set("req-" + std::to_string(n));
    log("start");
    auto [a, b] = co_await asyncio::gather(fetch(1), fetch(2));
    log("done: " + std::to_string(a + b));
}

asyncio::Coro<> main_() {
    log("main starts");
    co_await asyncio::gather(handle(1), handle(2));
    log("main ends");
}

int main() { asyncio::run(main_()); }
