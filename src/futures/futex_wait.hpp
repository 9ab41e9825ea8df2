// Sleeping and waking on a futex word, for the futures layer: threading's two futex calls, the
// wake-all it lacks, a pause for spin loops, and deadlines on CLOCK_MONOTONIC (the steady clock).
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstdint>
#include <optional>

#include "concurrence/base/timeout.hpp"
#include "concurrence/threading/timeout_max.hpp"
#include "threading/futex.hpp"

namespace concurrence::futures::detail {

using threading::detail::futex_wait;
using threading::detail::futex_wake_one;
using threading::detail::monotonic_now_ns;

inline void futex_wake_all(std::atomic<int>& word) noexcept {
    syscall(SYS_futex, reinterpret_cast<int*>(&word), FUTEX_WAKE | FUTEX_PRIVATE_FLAG, INT_MAX);
}

// One step of a spin loop: tells the CPU (and a hyper-thread sibling) that we are waiting.
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield" ::: "memory");
#endif
}

// The absolute CLOCK_MONOTONIC deadline of a timeout: -1 for none (std::nullopt), now for a
// timeout <= 0 or NaN (Python's Condition.wait with such a timeout only looks).
// Throws OverflowError past threading::TIMEOUT_MAX.
inline std::int64_t deadline_of(const std::optional<Delay>& timeout) {
    if (!timeout) return -1;
    threading::detail::check_timeout_max(*timeout);
    const std::int64_t now = monotonic_now_ns();
    return timeout->is_positive() ? now + timeout->nanoseconds() : now;
}

inline bool passed(std::int64_t deadline_ns) noexcept {
    return deadline_ns >= 0 && monotonic_now_ns() >= deadline_ns;
}

}  // namespace concurrence::futures::detail
