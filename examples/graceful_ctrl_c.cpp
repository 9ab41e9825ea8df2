// Ctrl-C, handled as asyncio.run handles it: the main task is cancelled, its cleanup
// (which may await) runs, then KeyboardInterrupt reaches main. A second Ctrl-C ends the
// program at once.
//
// Python original:
//
//   async def main():
//       try:
//           print("working; press Ctrl-C")
//           await asyncio.sleep(3600)
//       finally:
//           await asyncio.sleep(0.1)          # e.g. flush, close connections
//           print("cleaned up")
//
//   try:
//       asyncio.run(main())
//   except KeyboardInterrupt:
//       print("interrupted")
//       sys.exit(130)
#include <concurrence/asyncio.hpp>

#include <cstdio>

namespace asyncio = concurrence::asyncio;

asyncio::Coro<> amain() {
    std::puts("working; press Ctrl-C");
    std::fflush(stdout);
    co_await asyncio::try_finally(asyncio::sleep(3600), []() -> asyncio::Coro<> {
        co_await asyncio::sleep(0.1);  // e.g. flush, close connections
        std::puts("cleaned up");
    });
}

int main() {
    try {
        asyncio::run(amain());
    } catch (const concurrence::KeyboardInterrupt&) {
        std::puts("interrupted");
        return 130;
    }
}
