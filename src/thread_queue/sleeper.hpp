// One thread asleep in a queue (see concurrence/thread_queue/sleepers.hpp).
#pragma once

#include <atomic>
#include <cstdint>

#include "concurrence/thread_queue/sleepers.hpp"

namespace concurrence::queue::detail {

struct Sleeper {
    // Links to its neighbours while linked; guarded by the list's lock.
    Sleeper* prev = nullptr;
    Sleeper* next = nullptr;
    bool linked = false;
    // The futex word: 1 once a wake-up was sent to this thread.
    std::atomic<int> woken{0};

    // Until woken or the deadline (CLOCK_MONOTONIC ns; < 0: none) passes, whichever comes first;
    // immune to spurious wake-ups. The caller checks its condition afterwards either way.
    void sleep(std::int64_t deadline_ns) noexcept;
};

// Links a Sleeper for its lifetime: a scope is one sleep.
class LinkedSleeper {
public:
    explicit LinkedSleeper(Sleepers& list) noexcept : list_(list) { list_.link(sleeper_); }
    ~LinkedSleeper() { list_.unlink(sleeper_); }
    LinkedSleeper(const LinkedSleeper&) = delete;
    LinkedSleeper& operator=(const LinkedSleeper&) = delete;

    void sleep(std::int64_t deadline_ns) noexcept { sleeper_.sleep(deadline_ns); }

private:
    Sleepers& list_;
    Sleeper sleeper_;
};

}  // namespace concurrence::queue::detail
