// threading.TIMEOUT_MAX, and the check that the blocking calls of the threading, queue and
// concurrent.futures modules make of a timeout they are given.
#pragma once

#include "concurrence/base/errors.hpp"
#include "concurrence/base/timeout.hpp"

namespace concurrence::threading {

// The longest timeout a blocking call accepts, in seconds (73 years; Python's is
// platform-dependent too). A longer one throws OverflowError "timeout value is too large".
inline constexpr double TIMEOUT_MAX = static_cast<double>(Delay::max_ns / 1'000'000'000);

namespace detail {

// Delay saturates at max_ns: any timeout past TIMEOUT_MAX reaches it, TIMEOUT_MAX itself not.
static_assert(static_cast<Delay::rep>(TIMEOUT_MAX) * 1'000'000'000 < Delay::max_ns);

inline void check_timeout_max(Delay timeout) {
    if (timeout.nanoseconds() >= Delay::max_ns) throw OverflowError("timeout value is too large");
}

}  // namespace detail

}  // namespace concurrence::threading
