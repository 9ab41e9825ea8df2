// A service that shuts down cleanly on SIGTERM (or Ctrl-C): the signal handler only sets an
// event, on the loop; the main task then stops the workers and lets them clean up.
//
//   async def worker(n):
//       try:
//           while True:
//               await asyncio.sleep(0.1)
//       finally:
//           print(f'worker {n} stopped')
//
//   async def main():
//       stop = asyncio.Event()
//       loop = asyncio.get_running_loop()
//       for sig in (signal.SIGTERM, signal.SIGINT):
//           loop.add_signal_handler(sig, stop.set)
//       workers = [asyncio.create_task(worker(n)) for n in range(3)]
//       print('ready, pid', os.getpid(), flush=True)
//       await stop.wait()
//       print('shutting down')
//       for w in workers:
//           w.cancel()
//       await asyncio.gather(*workers, return_exceptions=True)
//       print('bye')
//
//   asyncio.run(main())
#include <concurrence/asyncio.hpp>

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <vector>

namespace asyncio = concurrence::asyncio;

asyncio::Coro<> worker(int n) {
    try {
        for (;;) co_await asyncio::sleep(0.1);
    } catch (...) {  // finally: (the cleanup here does not await)
        std::printf("worker %d stopped\n", n);
        throw;
    }
}

asyncio::Coro<> amain() {
    asyncio::Event stop;
    auto& loop = asyncio::get_running_loop();
    for (int sig : {SIGTERM, SIGINT}) loop.add_signal_handler(sig, [&stop] { stop.set(); });
    std::vector<asyncio::Task<void>> workers;
    for (int n = 0; n < 3; ++n) workers.push_back(asyncio::create_task(worker(n)));
    std::printf("ready, pid %d\n", static_cast<int>(::getpid()));
    std::fflush(stdout);
    co_await stop.wait();
    std::puts("shutting down");
    for (auto& w : workers) w.cancel();
    co_await asyncio::gather(asyncio::return_exceptions, std::move(workers));
    std::puts("bye");
}

int main() { asyncio::run(amain()); }
