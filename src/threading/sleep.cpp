#include "concurrence/threading/sleep.hpp"

#include <time.h>

#include <cerrno>

#include "concurrence/base/errors.hpp"
#include "concurrence/base/trace.hpp"

namespace concurrence::time {

void sleep(Delay length) {
    if (length.is_nan()) throw ValueError("Invalid value NaN (not a number)");
    if (length.nanoseconds() < 0) throw ValueError("sleep length must be non-negative");
    const trace::detail::ScopedWait traced("sleep");
    timespec now;
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    const Delay::rep deadline_ns = static_cast<Delay::rep>(now.tv_sec) * 1'000'000'000 + now.tv_nsec + length.nanoseconds();
    const timespec deadline{static_cast<time_t>(deadline_ns / 1'000'000'000), static_cast<long>(deadline_ns % 1'000'000'000)};
    // An absolute deadline: interrupted by a signal, the sleep resumes for what is left.
    while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, nullptr) == EINTR) {
    }
}

}  // namespace concurrence::time
