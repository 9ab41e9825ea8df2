// W1 (spawn): N tasks, each yields once (sleep(0)) and returns i; gather them all and check
// the sum. Prints the shared RESULT line: rate = tasks/s, bytes_per_task from peak RSS.
// `bench_w1_spawn N eager` uses Python 3.12's eager_task_factory (impl "concurrence-eager"):
// each task's first step runs inside create_task, saving one trip through the ready queue.
#include <concurrence/asyncio.hpp>

#include <string_view>

#include "result_line.hpp"

namespace asyncio = concurrence::asyncio;

static asyncio::Coro<long> one_task(long i) {
    co_await asyncio::sleep(0);
    co_return i;
}

static asyncio::Coro<int> spawn(long n, bool eager) {
    if (eager) asyncio::get_running_loop().set_task_factory(asyncio::eager_task_factory);
    const long base_kb = bench::peak_rss_kb();
    const double t0 = bench::now_s();
    std::vector<asyncio::Task<long>> tasks;
    tasks.reserve(static_cast<std::size_t>(n));
    for (long i = 0; i < n; ++i) tasks.push_back(asyncio::create_task(one_task(i)));
    std::vector<long> results = co_await asyncio::gather(std::move(tasks));
    long sum = 0;
    for (long v : results) sum += v;
    const double seconds = bench::now_s() - t0;
    const long rss_kb = bench::peak_rss_kb();
    if (sum != n * (n - 1) / 2) {
        std::fprintf(stderr, "bad sum %ld\n", sum);
        co_return 1;
    }
    bench::ResultLine("spawn", eager ? "concurrence-eager" : "concurrence")
        .add("n", n)
        .add("seconds", seconds)
        .add("rate", static_cast<double>(n) / seconds)
        .add("rss_kb", rss_kb)
        .add("base_kb", base_kb)
        .add("bytes_per_task", static_cast<double>(rss_kb - base_kb) * 1024.0 / static_cast<double>(n))
        .add("sum_ok", 1L)
        .print();
    co_return 0;
}

int main(int argc, char** argv) {
    const bool eager = argc > 2 && std::string_view(argv[2]) == "eager";
    return asyncio::run(spawn(bench::arg_or(argc, argv, 1, 1'000'000), eager));
}
