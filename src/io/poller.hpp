// The I/O backend seam: the loop waits here for readiness (or for a wake-up from another
// thread). epoll today; io_uring comes with networking behind the same interface.
#pragma once

#include <cstdint>
#include <memory>

namespace concurrence::io {

class Poller {
public:
    virtual ~Poller() = default;
    // Waits at most timeout_ns (negative: forever, 0: just look). Returns true if woken
    // by wakeup() (the wake-up is consumed).
    virtual bool poll(std::int64_t timeout_ns) = 0;
    // Thread-safe and async-signal-safe: makes a blocked (or the next) poll() return.
    virtual void wakeup() noexcept = 0;
    // True when descriptors other than the wake-up channel are watched. Without them, a poll
    // that must not block has nothing to report that the wake-up flag does not already say,
    // and the loop skips the system call. (Not virtual: the loop asks at every iteration.)
    bool watches_io() const noexcept { return watched_ > 0; }

protected:
    int watched_ = 0;  // descriptors registered besides the wake-up one (backends keep it)
};

std::unique_ptr<Poller> make_default_poller();

}  // namespace concurrence::io
