// Producers, consumers and a shared resource: asyncio's Queue, Lock and Semaphore.
//
// The Python it ports (asyncio's documentation "Queue" example, plus a lock and a limit):
//
//   async def worker(name, queue, lock, limit, totals):
//       while True:
//           job = await queue.get()
//           async with limit:                 # at most 2 jobs "downloading" at once
//               await asyncio.sleep(job / 1000)
//           async with lock:                  # one writer at a time
//               totals[name] = totals.get(name, 0) + job
//           queue.task_done()
//
//   async def main():
//       queue = asyncio.Queue(maxsize=4)
//       lock, limit, totals = asyncio.Lock(), asyncio.Semaphore(2), {}
//       workers = [asyncio.create_task(worker(f"worker-{i}", queue, lock, limit, totals))
//                  for i in range(3)]
//       for job in range(1, 13):
//           await queue.put(job)              # waits while 4 jobs are queued
//       await queue.join()                    # every job done
//       for w in workers: w.cancel()
//       await asyncio.gather(*workers, return_exceptions=True)
//       print(sum(totals.values()))           # 78
#include <concurrence/asyncio.hpp>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace asyncio = concurrence::asyncio;

struct Shared {
    asyncio::Queue<int> queue{4};
    asyncio::Lock lock;
    asyncio::Semaphore limit{2};
    std::map<std::string, int> totals;
};

asyncio::Coro<> worker(std::string name, Shared& shared) {
    for (;;) {
        const int job = co_await shared.queue.get();
        {
            auto slot = co_await shared.limit.scoped();
            co_await asyncio::sleep(job / 1000.0);
        }
        {
            auto held = co_await shared.lock.scoped();
            shared.totals[name] += job;
        }
        shared.queue.task_done();
    }
}

asyncio::Coro<> main_coro() {
    Shared shared;
    std::vector<asyncio::Task<void>> workers;
    for (int i = 0; i < 3; ++i) workers.push_back(asyncio::create_task(worker("worker-" + std::to_string(i), shared)));
    for (int job = 1; job <= 12; ++job) co_await shared.queue.put(job);
    co_await shared.queue.join();
    for (auto& w : workers) w.cancel();
    co_await asyncio::gather(asyncio::return_exceptions, workers);

    int sum = 0;
    for (const auto& [name, total] : shared.totals) {
        std::printf("%s: %d\n", name.c_str(), total);
        sum += total;
    }
    std::printf("total: %d\n", sum);
}

int main() { asyncio::run(main_coro()); }
