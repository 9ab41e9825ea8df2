// W2 (timers): N concurrent tasks, task i sleeps d_i ms (the shared xorshift durations).
// seconds = wall time for all (ideal 1.0), armed_s = when the last task armed its sleep,
// late_* = wake time - (time the task called sleep + d_i).
#include <concurrence/asyncio.hpp>

#include <algorithm>

#include "result_line.hpp"

namespace asyncio = concurrence::asyncio;

static double last_armed = 0;  // one thread: the last task to arm
static double first_armed = 0;

static asyncio::Coro<> sleeper(int d_ms, double* late) {
    const double start = bench::now_s();
    if (first_armed == 0) first_armed = start;
    last_armed = start;
    co_await asyncio::sleep(d_ms / 1000.0);  // as the Python peer: asyncio.sleep(d / 1000)
    *late = bench::now_s() - start - d_ms / 1000.0;
}

static asyncio::Coro<> timers(long n) {
    const std::vector<int> durations = bench::w2_durations_ms(n);
    std::vector<double> late(static_cast<std::size_t>(n), -1.0);
    const long base_kb = bench::peak_rss_kb();
    const double t0 = bench::now_s();
    std::vector<asyncio::Task<>> tasks;
    tasks.reserve(static_cast<std::size_t>(n));
    for (long i = 0; i < n; ++i) tasks.push_back(asyncio::create_task(sleeper(durations[i], &late[i])));
    const double created = bench::now_s();
    co_await asyncio::gather(std::move(tasks));
    const double seconds = bench::now_s() - t0;
    const long rss_kb = bench::peak_rss_kb();
    std::sort(late.begin(), late.end());
    double sum = 0;
    for (double v : late) sum += v;
    const auto pct = [&](double q) { return late[std::min(late.size() - 1, static_cast<std::size_t>(q * static_cast<double>(late.size())))]; };
    bench::ResultLine("timers", "concurrence")
        .add("n", n)
        .add("seconds", seconds)
        .add("armed_s", last_armed - t0)
        .add("created_s", created - t0)
        .add("first_armed_s", first_armed - t0)
        .add("rss_kb", rss_kb)
        .add("base_kb", base_kb)
        .add("bytes_per_task", static_cast<double>(rss_kb - base_kb) * 1024.0 / static_cast<double>(n))
        .add("late_mean_ms", sum / static_cast<double>(n) * 1e3)
        .add("late_p99_ms", pct(0.99) * 1e3)
        .add("late_max_ms", late.back() * 1e3)
        .print();
}

int main(int argc, char** argv) { asyncio::run(timers(bench::arg_or(argc, argv, 1, 1'000'000))); }
