// W7 (subprocess): N children of `true`, C at a time, each with stdout=PIPE and
// communicate(), as bench/python/w7_subprocess.py does with asyncio. An optional ballast (MB
// of touched memory in the parent) shows what a big parent costs each spawn.
// Usage: bench_w7_subprocess [N=500] [C=20] [BALLAST_MB=0]
#include <concurrence/asyncio.hpp>

#include <vector>

#include "result_line.hpp"

namespace asyncio = concurrence::asyncio;
namespace subprocess = asyncio::subprocess;

static asyncio::Coro<int> one_child(asyncio::Semaphore& slots) {
    auto held = co_await slots.scoped();
    auto proc = co_await asyncio::create_subprocess_exec("true", subprocess::Options{.stdout = subprocess::PIPE});
    auto [out, err] = co_await proc.communicate();
    co_return *proc.returncode();
}

static asyncio::Coro<int> spawn_all(long n, long concurrency, long ballast_mb) {
    asyncio::Semaphore slots(concurrency);
    const double t0 = bench::now_s();
    std::vector<asyncio::Coro<int>> children;
    children.reserve(static_cast<std::size_t>(n));
    for (long i = 0; i < n; ++i) children.push_back(one_child(slots));
    const std::vector<int> codes = co_await asyncio::gather(std::move(children));
    const double seconds = bench::now_s() - t0;
    for (int code : codes)
        if (code != 0) {
            std::fprintf(stderr, "a child exited with %d\n", code);
            co_return 1;
        }
    bench::ResultLine(ballast_mb > 0 ? "subprocess-big" : "subprocess", "concurrence")
        .add("n", n)
        .add("conc", concurrency)
        .add("ballast_mb", ballast_mb)
        .add("seconds", seconds)
        .add("rate", static_cast<double>(n) / seconds)
        .print();
    co_return 0;
}

int main(int argc, char** argv) {
    const long n = bench::arg_or(argc, argv, 1, 500);
    const long concurrency = bench::arg_or(argc, argv, 2, 20);
    const long ballast_mb = bench::arg_or(argc, argv, 3, 0);
    std::vector<char> ballast(static_cast<std::size_t>(ballast_mb) << 20);
    for (std::size_t i = 0; i < ballast.size(); i += 4096) ballast[i] = 1;
    return asyncio::run(spawn_all(n, concurrency, ballast_mb));
}
