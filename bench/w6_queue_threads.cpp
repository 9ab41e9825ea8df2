// W6c (queue-threads): a producer thread puts 0..n-1 into a queue::Queue(maxsize=1024) and a
// consumer thread gets them and checks their sum, as the peers' programs do (Python's
// queue.Queue, a Go buffered channel, a std::mutex + std::condition_variable queue).
// Prints the shared RESULT line; rate = items per second.
#include <concurrence/queue.hpp>
#include <concurrence/threading.hpp>

#include <cstdio>

#include "result_line.hpp"

namespace queue = concurrence::queue;
namespace threading = concurrence::threading;

int main(int argc, char** argv) {
    const long n = bench::arg_or(argc, argv, 1, 1'000'000);
    constexpr long capacity = 1024;
    queue::Queue<long> q(capacity);
    long total = 0;
    const double t0 = bench::now_s();
    threading::Thread consumer([&] {
        long sum = 0;
        for (long i = 0; i < n; ++i) sum += q.get();
        total = sum;
    });
    threading::Thread producer([&] {
        for (long i = 0; i < n; ++i) q.put(i);
    });
    consumer.start();
    producer.start();
    producer.join();
    consumer.join();
    const double seconds = bench::now_s() - t0;
    if (total != n * (n - 1) / 2) {
        std::fprintf(stderr, "bad sum %ld\n", total);
        return 1;
    }
    bench::ResultLine("queue-threads", "concurrence")
        .add("n", n)
        .add("seconds", seconds)
        .add("rate", static_cast<double>(n) / seconds)
        .add("cap", capacity)
        .add("rss_kb", bench::peak_rss_kb())
        .print();
    return 0;
}
