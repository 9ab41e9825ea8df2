// The C++ spelling of Python's `with lock:` for every threading lock: lock(), try_lock(),
// unlock(), try_lock_for() and try_lock_until() over the class's own acquire() and release(),
// so that std::lock_guard, std::unique_lock and std::scoped_lock work on it.
#pragma once

#include <chrono>

#include "concurrence/threading/timeout_max.hpp"

namespace concurrence::threading::detail {

// Derived provides acquire(), acquire(false), acquire(true, timeout) and release().
template <class Derived>
class Lockable {
public:
    void lock() { self().acquire(); }
    [[nodiscard]] bool try_lock() { return self().acquire(false); }
    void unlock() { self().release(); }

    // A duration past TIMEOUT_MAX waits without a timeout: C++ code passes duration::max() to
    // mean "for ever", where Python's acquire(timeout=huge) would throw OverflowError.
    template <class Rep, class Period>
    [[nodiscard]] bool try_lock_for(const std::chrono::duration<Rep, Period>& d) {
        if (d <= d.zero()) return try_lock();
        if (std::chrono::duration<double>(d).count() > TIMEOUT_MAX) return self().acquire();
        return self().acquire(true, d);
    }
    template <class Clock, class Duration>
    [[nodiscard]] bool try_lock_until(const std::chrono::time_point<Clock, Duration>& t) {
        return try_lock_for(t - Clock::now());
    }

protected:
    Lockable() = default;
    ~Lockable() = default;

private:
    Derived& self() { return static_cast<Derived&>(*this); }
};

}  // namespace concurrence::threading::detail
