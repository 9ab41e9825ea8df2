// Python's _Waiter family (concurrent/futures/_base.py): what wait() and as_completed() block on.
//
// A Waiter is linked to every future it watches (a WaiterLink per future, in the Waiter). A
// future that finishes, or is cancelled and notified, calls add_result / add_exception /
// add_cancelled under its own lock; the Waiter records the future's index and sets its event
// when the mode's condition holds:
//   as_completed, first_completed: every completion;
//   all_completed: when no watched future is left pending;
//   first_exception: as all_completed, and at the first exception.
// A future already done when watched is recorded at once, so watching all futures is the
// atomic "look and install" that CPython does under all the futures' locks.
//
// Thread safety: the add_* calls come from any thread; the rest is for the waiting thread.
// Lock order: a future's lock, then the Waiter's mutex; never the other way round.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "concurrence/futures/future_state.hpp"

namespace concurrence::futures::detail {

class Waiter {
public:
    enum class Mode { as_completed, first_completed, first_exception, all_completed };

    Waiter(Mode mode, std::size_t count);
    Waiter(const Waiter&) = delete;
    Waiter& operator=(const Waiter&) = delete;
    ~Waiter();

    // Watches `state` as entry `index` (< count): links it, or records it if already done.
    void watch(StateCore& state, std::size_t index);
    // Stops watching entry `index` (nothing if it was recorded at watch()).
    void unwatch(StateCore& state, std::size_t index) noexcept;

    void add_result(std::size_t index) noexcept;
    void add_exception(std::size_t index) noexcept;
    void add_cancelled(std::size_t index) noexcept;

    // Blocks until the event is set or the CLOCK_MONOTONIC deadline (ns; -1: none) passes.
    void wait(std::int64_t deadline_ns);
    // The entries recorded since the last call, in the order they completed; clears the event.
    std::vector<std::size_t> take_finished();

private:
    void record_locked(std::size_t index);
    void set_event_locked();
    void count_down_locked();

    std::mutex mutex_;
    std::condition_variable event_set_;
    bool event_ = false;
    const Mode mode_;
    std::size_t pending_calls_;
    std::vector<std::size_t> finished_;
    std::vector<WaiterLink> links_;
};

}  // namespace concurrence::futures::detail
