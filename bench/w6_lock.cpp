// W6b (lock): uncontended threading::Lock acquire+release N times (`with lock:`), as the peers'
// programs do. Like the C++ peer, timed once while the process is still single-threaded
// (st_ns_per_op) and once after it has had a second thread (ns_per_op, the figure to compare:
// glibc's std::mutex skips its atomics only in the first case; our futex lock never does).
#include <concurrence/threading.hpp>

#include <mutex>

#include "result_line.hpp"

namespace threading = concurrence::threading;

static double lock_loop(long n) {
    threading::Lock lock;
    volatile long x = 0;
    const double t0 = bench::now_s();
    for (long i = 0; i < n; ++i) {
        std::lock_guard guard(lock);
        x = x + 1;
    }
    return bench::now_s() - t0;
}

int main(int argc, char** argv) {
    const long n = bench::arg_or(argc, argv, 1, 10'000'000);
    const double single_threaded = lock_loop(n);
    threading::Thread t([] {});
    t.start();
    t.join();
    const double seconds = lock_loop(n);
    bench::ResultLine("lock", "concurrence")
        .add("n", n)
        .add("seconds", seconds)
        .add("rate", static_cast<double>(n) / seconds)
        .add("ns_per_op", seconds / static_cast<double>(n) * 1e9)
        .add("st_ns_per_op", single_threaded / static_cast<double>(n) * 1e9)
        .add("rss_kb", bench::peak_rss_kb())
        .print();
}
