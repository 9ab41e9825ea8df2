// W3 (pingpong): two tasks pass a token M round trips through two Queue(maxsize=1), as the
// peers' programs do. Prints the shared RESULT line: ns_per_op = ns per round trip.
#include <concurrence/asyncio.hpp>

#include "result_line.hpp"

namespace asyncio = concurrence::asyncio;

static asyncio::Coro<> ping(asyncio::Queue<long>& out, asyncio::Queue<long>& in, long m) {
    for (long i = 0; i < m; ++i) {
        co_await out.put(i);
        co_await in.get();
    }
}

static asyncio::Coro<> pong(asyncio::Queue<long>& in, asyncio::Queue<long>& out, long m) {
    for (long i = 0; i < m; ++i) co_await out.put(co_await in.get());
}

static asyncio::Coro<int> pingpong(long m) {
    asyncio::Queue<long> a(1);
    asyncio::Queue<long> b(1);
    const double t0 = bench::now_s();
    co_await asyncio::gather(ping(a, b, m), pong(a, b, m));
    const double seconds = bench::now_s() - t0;
    bench::ResultLine("pingpong", "concurrence")
        .add("n", m)
        .add("seconds", seconds)
        .add("rate", static_cast<double>(m) / seconds)
        .add("ns_per_op", seconds / static_cast<double>(m) * 1e9)
        .add("cap", 1L)
        .add("rss_kb", bench::peak_rss_kb())
        .print();
    co_return 0;
}

int main(int argc, char** argv) { return asyncio::run(pingpong(bench::arg_or(argc, argv, 1, 1'000'000))); }
