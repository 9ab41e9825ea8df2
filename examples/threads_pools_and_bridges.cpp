// Threads without a GIL: the threading, queue and concurrent.futures modules, and the bridges
// between threads and the event loop. Each block is the C++ of the Python beside it.
//
//     import threading, queue, concurrent.futures, asyncio
#include <concurrence/asyncio.hpp>
#include <concurrence/futures.hpp>
#include <concurrence/queue.hpp>
#include <concurrence/threading.hpp>

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace asyncio = concurrence::asyncio;
namespace futures = concurrence::futures;
namespace queue = concurrence::queue;
namespace threading = concurrence::threading;
using namespace std::chrono_literals;

// A blocking call, as a file read or a database query would be.
static std::string fetch(int id) {
    std::this_thread::sleep_for(20ms);  // time.sleep(0.02)
    return "record-" + std::to_string(id);
}

// Producer and consumers through a queue.Queue, with task_done/join.
static void producer_consumers() {
    queue::Queue<int> jobs(8);                            // jobs = queue.Queue(maxsize=8)
    threading::Lock print_lock;                           // print_lock = threading.Lock()
    auto worker = [&] {                                   // def worker():
        for (;;) {                                        //     while True:
            int job = 0;
            try {
                job = jobs.get();                         //         job = jobs.get()
            } catch (const queue::ShutDown&) {            //     except queue.ShutDown: return
                return;
            }
            {
                std::lock_guard guard(print_lock);        //         with print_lock:
                std::printf("%s handled job %d\n", threading::current_thread().name().c_str(), job);
            }
            jobs.task_done();                             //         jobs.task_done()
        }
    };
    std::vector<threading::Thread> workers;
    for (int i = 0; i < 3; ++i) {
        workers.emplace_back(threading::Thread::Options{.name = "worker-" + std::to_string(i)}, worker);
        workers.back().start();
    }
    for (int job = 0; job < 6; ++job) jobs.put(job);      // jobs.put(job)
    jobs.join();                                          // jobs.join()
    jobs.shutdown();                                      // jobs.shutdown()   (3.13)
    for (auto& w : workers) w.join();
}

// A pool with one future per call.
static void pool_of_threads() {
    futures::ThreadPoolExecutor pool(4);                  // with ThreadPoolExecutor(4) as pool:
    std::vector<futures::Future<std::string>> calls;
    for (int id = 0; id < 4; ++id) calls.push_back(pool.submit(fetch, id));  // pool.submit(fetch, id)
    for (auto& done : futures::as_completed(calls))       // for f in as_completed(calls):
        std::printf("pool: %s\n", done.result().c_str()); //     print(f.result())
}

// Blocking calls from coroutines, and a coroutine from a thread.
static asyncio::Coro<int> count_down(int n) {
    while (n > 0) {
        co_await asyncio::sleep(0.001);
        --n;
    }
    co_return 0;
}

static asyncio::Coro<> bridges() {
    // await asyncio.gather(asyncio.to_thread(fetch, 1), asyncio.to_thread(fetch, 2))
    auto [a, b] = co_await asyncio::gather(asyncio::to_thread(fetch, 1), asyncio::to_thread(fetch, 2));
    std::printf("to_thread: %s %s\n", a.c_str(), b.c_str());

    // From another thread: asyncio.run_coroutine_threadsafe(count_down(3), loop).result()
    auto& loop = asyncio::get_running_loop();
    int left = -1;
    threading::Thread other([&] { left = asyncio::run_coroutine_threadsafe(count_down(3), loop).result(); });
    other.start();
    while (other.is_alive()) co_await asyncio::sleep(0.001);  // the loop keeps running meanwhile
    other.join();
    std::printf("run_coroutine_threadsafe: %d\n", left);
}

int main() {
    producer_consumers();
    pool_of_threads();
    asyncio::run(bridges());
}
