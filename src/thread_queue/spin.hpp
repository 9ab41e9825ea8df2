// The short spin a queue's thread does before it sleeps.
//
// Sleeping and being woken cost two system calls and a trip through the scheduler: 10-20 us
// between two threads on this project's 2-core VM, most of it the sleeper's wake-up latency.
// A thread that answers a request through a queue usually puts its answer sooner than that, so
// a getter that finds the queue empty (a putter that finds it full) first watches the counters
// for a few microseconds without any lock, and sleeps only if nothing changed: a ping-pong
// through two queues takes ~1 us per round trip instead of ~17 us.
//
// It looks every `poll_gap`, the first time after one gap, not continuously: a getter that
// watched continuously behind a streaming producer would take each item the moment it is put,
// and the two threads would then pass the same cache lines (the counter, the slot) back and
// forth for every item, at a third of the speed they reach when the getter comes back after a
// gap and takes a batch (W6c, bench/w6_queue_threads.cpp: 13 M items/s against ~50 M).
// One core has nothing to gain from spinning: the thread it waits for cannot run meanwhile.
#pragma once

#include <chrono>
#include <thread>

namespace concurrence::queue::detail {

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

inline bool spinning_helps() noexcept {
    static const bool several_cores = std::thread::hardware_concurrency() > 1;
    return several_cores;
}

inline constexpr std::chrono::nanoseconds poll_gap{700};
inline constexpr std::chrono::nanoseconds spin_budget{5'000};

// Looks at ready() every poll_gap for about spin_budget; returns its last value.
template <class Ready>
bool spin_until(Ready ready) {
    if (!spinning_helps()) return ready();
    using clock = std::chrono::steady_clock;
    const auto start = clock::now();
    const auto end = start + spin_budget;
    for (auto poll = start + poll_gap;; poll += poll_gap) {
        auto now = clock::now();
        while (now < poll) {
            cpu_relax();
            now = clock::now();
        }
        if (ready()) return true;
        if (now >= end) return false;
    }
}

}  // namespace concurrence::queue::detail
