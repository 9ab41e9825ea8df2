// W6d (pool): N trivial tasks (return i) submitted to a 2-worker ThreadPoolExecutor, then each
// future's result() summed, as the peers' programs do (Python: ThreadPoolExecutor(max_workers=2),
// submit, then result()); the time includes starting and shutting down the pool.
// Prints the shared RESULT line: us_per_op = microseconds per task.
#include <concurrence/futures.hpp>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "result_line.hpp"

namespace futures = concurrence::futures;

int main(int argc, char** argv) {
    const long n = bench::arg_or(argc, argv, 1, 100'000);
    long sum = 0;
    const double t0 = bench::now_s();
    {
        futures::ThreadPoolExecutor pool(2);
        std::vector<futures::Future<long>> fs;
        fs.reserve(static_cast<std::size_t>(n));
        for (long i = 0; i < n; ++i) fs.push_back(pool.submit([i] { return i; }));
        for (const futures::Future<long>& f : fs) sum += f.result();
    }
    const double seconds = bench::now_s() - t0;
    if (sum != n * (n - 1) / 2) {
        std::fprintf(stderr, "bad sum %ld\n", sum);
        return 1;
    }
    bench::ResultLine("pool", "concurrence")
        .add("n", n)
        .add("seconds", seconds)
        .add("us_per_op", seconds / static_cast<double>(n) * 1e6)
        .add("rss_kb", bench::peak_rss_kb())
        .print();
    return 0;
}
