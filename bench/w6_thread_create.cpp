// W6a (thread-create): create, start and join N threading::Threads one after another, as the
// peers' programs do. Prints the shared RESULT line: us_per_op = µs per create+start+join.
#include <concurrence/threading.hpp>

#include <atomic>

#include "result_line.hpp"

namespace threading = concurrence::threading;

int main(int argc, char** argv) {
    const long n = bench::arg_or(argc, argv, 1, 10'000);
    std::atomic<long> ran{0};
    const double t0 = bench::now_s();
    for (long i = 0; i < n; ++i) {
        threading::Thread t([&ran] { ran.fetch_add(1, std::memory_order_relaxed); });
        t.start();
        t.join();
    }
    const double seconds = bench::now_s() - t0;
    if (ran.load() != n) return 1;
    bench::ResultLine("thread-create", "concurrence")
        .add("n", n)
        .add("seconds", seconds)
        .add("rate", static_cast<double>(n) / seconds)
        .add("us_per_op", seconds / static_cast<double>(n) * 1e6)
        .add("rss_kb", bench::peak_rss_kb())
        .print();
}
