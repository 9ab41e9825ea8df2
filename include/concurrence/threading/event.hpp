// threading.Event: a flag that threads wait for.
//
//     threading::Event ready;
//     // worker:                 // waiter:
//     ready.set();               if (!ready.wait(5s)) { /* timed out */ }
//
// set() wakes every waiter, and a waiter woken by set() returns true even if clear() ran before
// it woke: as Python says, wait() returns true "if and only if the internal flag has been set to
// true, either before the wait call or after the wait starts".
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "concurrence/base/errors.hpp"
#include "concurrence/base/timeout.hpp"
#include "concurrence/threading/timeout_max.hpp"

namespace concurrence::threading {

class Event {
public:
    Event() = default;
    Event(const Event&) = delete;
    Event& operator=(const Event&) = delete;

    [[nodiscard]] bool is_set() const;
    void set();
    void clear();

    // Blocks until the flag is set; returns true.
    bool wait();
    // Blocks until the flag is set or the timeout passes; returns the flag (see above). A timeout
    // <= 0 only looks at the flag. Throws ValueError "Invalid value NaN (not a number)".
    bool wait(Delay timeout);

private:
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    bool flag_ = false;
    // Counts set() calls that raised the flag, so a waiter sees a set() followed by clear().
    std::uint64_t sets_ = 0;
};

}  // namespace concurrence::threading
