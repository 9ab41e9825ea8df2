// The two Linux futex operations our locks sleep and wake with.
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <ctime>

namespace concurrence::threading::detail {

static_assert(sizeof(std::atomic<int>) == sizeof(int) && std::atomic<int>::is_always_lock_free,
              "a futex is a plain int: std::atomic<int> must be one");

// CLOCK_MONOTONIC in nanoseconds: the clock FUTEX_WAIT_BITSET's deadline is measured on.
inline std::int64_t monotonic_now_ns() noexcept {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    return std::int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

// Sleeps while `word` holds `expected`, until a wake, a signal, a spurious wake-up or the absolute
// CLOCK_MONOTONIC deadline (ns; negative: none). Callers re-check the word after any return, so
// the reason does not matter.
inline void futex_wait(std::atomic<int>& word, int expected, std::int64_t deadline_ns) noexcept {
    timespec deadline{};
    timespec* until = nullptr;
    if (deadline_ns >= 0) {
        deadline.tv_sec = static_cast<time_t>(deadline_ns / 1'000'000'000);
        deadline.tv_nsec = static_cast<long>(deadline_ns % 1'000'000'000);
        until = &deadline;
    }
    syscall(SYS_futex, reinterpret_cast<int*>(&word), FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, expected,
            until, nullptr, FUTEX_BITSET_MATCH_ANY);
}

inline void futex_wake_one(std::atomic<int>& word) noexcept {
    syscall(SYS_futex, reinterpret_cast<int*>(&word), FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1);
}

}  // namespace concurrence::threading::detail
