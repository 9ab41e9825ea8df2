// W6e (cpu-split): Σ (i·i mod 7) for i in [0, N), once in one threading::Thread, once split
// over two, as the peers' programs do (CPython's GIL keeps its speedup near 1.0).
#include <concurrence/threading.hpp>

#include <utility>
#include <vector>

#include "result_line.hpp"

namespace threading = concurrence::threading;

[[gnu::noinline]] static unsigned long work(unsigned long lo, unsigned long hi) {
    unsigned long s = 0;
    for (unsigned long i = lo; i < hi; ++i) s += (i * i) % 7;
    return s;
}

static std::pair<double, unsigned long> run(unsigned long n, unsigned long parts) {
    std::vector<unsigned long> out(parts);
    std::vector<threading::Thread> threads;
    const unsigned long step = n / parts;
    const double t0 = bench::now_s();
    for (unsigned long k = 0; k < parts; ++k) {
        const unsigned long lo = k * step;
        const unsigned long hi = k == parts - 1 ? n : (k + 1) * step;
        threads.emplace_back([&out, k, lo, hi] { out[k] = work(lo, hi); });
        threads.back().start();
    }
    for (auto& t : threads) t.join();
    unsigned long sum = 0;
    for (unsigned long v : out) sum += v;
    return {bench::now_s() - t0, sum};
}

int main(int argc, char** argv) {
    const auto n = static_cast<unsigned long>(bench::arg_or(argc, argv, 1, 50'000'000));
    const auto [t1, s1] = run(n, 1);
    const auto [t2, s2] = run(n, 2);
    if (s1 != s2) return 1;
    bench::ResultLine("cpu-split", "concurrence")
        .add("n", static_cast<long>(n))
        .add("seconds", t2)
        .add("t1_s", t1)
        .add("t2_s", t2)
        .add("speedup", t1 / t2)
        .add("threads", 2L)
        .add("rss_kb", bench::peak_rss_kb())
        .print();
}
