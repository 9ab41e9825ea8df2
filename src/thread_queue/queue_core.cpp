// The queues' slow paths: Python's put/get argument checks and waiting loops, task_done, join,
// shutdown's bookkeeping. The fast paths are inline in queue_core.hpp.
#include "concurrence/thread_queue/queue_core.hpp"

#include <algorithm>

#include "thread_queue/sleeper.hpp"
#include "thread_queue/spin.hpp"
#include "threading/futex.hpp"

namespace concurrence::queue::detail {

namespace {

using threading::detail::monotonic_now_ns;

constexpr std::int64_t no_deadline = -1;

[[noreturn]] void throw_negative_timeout() { throw ValueError("'timeout' must be a non-negative number"); }
[[noreturn]] void throw_nan_timeout() { throw ValueError("Invalid value NaN (not a number)"); }

}  // namespace

// gets_ first, as in qsize(): puts_ read later is never below it.
bool QueueCore::room_now() const noexcept {
    const std::uint64_t gets = gets_.load(std::memory_order_seq_cst);
    return puts_.load(std::memory_order_seq_cst) - gets < limit_;
}

bool QueueCore::item_now() const noexcept {
    const std::uint64_t gets = gets_.load(std::memory_order_seq_cst);
    return puts_.load(std::memory_order_seq_cst) > gets;
}

// Python (3.13):
//     if self.is_shutdown: raise ShutDown
//     if self.maxsize > 0:
//         if not block: if self._qsize() >= self.maxsize: raise Full
//         elif timeout is None: while full: self.not_full.wait(); if self.is_shutdown: raise ShutDown
//         elif timeout < 0: raise ValueError("'timeout' must be a non-negative number")
//         else: endtime = time() + timeout
//               while full: remaining = endtime - time(); if remaining <= 0.0: raise Full
//                           self.not_full.wait(remaining); if self.is_shutdown: raise ShutDown
std::uint64_t QueueCore::wait_to_put(bool block, const std::optional<Delay>& timeout) {
    if (shutdown_.load(std::memory_order_relaxed)) throw ShutDown();
    if (maxsize_ > 0) {
        const auto full = [this] { return !has_room(puts_.load(std::memory_order_relaxed)); };
        if (!block) {
            if (full()) throw Full();
        } else if (!timeout) {
            while (full()) {
                sleep_for_room(no_deadline);
                if (shutdown_.load(std::memory_order_relaxed)) throw ShutDown();
            }
        } else if (timeout->nanoseconds() < 0) {
            throw_negative_timeout();
        } else {
            const std::int64_t deadline = monotonic_now_ns() + timeout->nanoseconds();
            while (full()) {
                if (timeout->is_nan()) throw_nan_timeout();  // Python: wait(nan) raises
                threading::detail::check_timeout_max(*timeout);  // as wait(huge)
                if (monotonic_now_ns() >= deadline) throw Full();
                sleep_for_room(deadline);
                if (shutdown_.load(std::memory_order_relaxed)) throw ShutDown();
            }
        }
    }
    return puts_.load(std::memory_order_relaxed);
}

// Python (3.13):
//     if self.is_shutdown and not self._qsize(): raise ShutDown
//     if not block: if not self._qsize(): raise Empty
//     elif timeout is None: while empty: self.not_empty.wait()
//                                        if self.is_shutdown and not self._qsize(): raise ShutDown
//     elif timeout < 0: raise ValueError("'timeout' must be a non-negative number")
//     else: endtime = time() + timeout
//           while empty: remaining = endtime - time(); if remaining <= 0.0: raise Empty
//                        self.not_empty.wait(remaining)
//                        if self.is_shutdown and not self._qsize(): raise ShutDown
// The flag is read before the counters: once it is set no put can complete, so "shut down, then
// empty" is final, while "empty, then shut down" could miss an item put in between.
std::uint64_t QueueCore::wait_to_get(threading::Lock& held, bool block, const std::optional<Delay>& timeout) {
    const auto empty = [this] { return !has_item(gets_.load(std::memory_order_relaxed)); };
    const auto shut_and_empty = [&] { return shutdown_.load(std::memory_order_seq_cst) && empty(); };
    if (shut_and_empty()) throw ShutDown();
    if (!block) {
        if (empty()) throw Empty();
    } else if (!timeout) {
        while (empty()) {
            sleep_for_item(held, no_deadline);
            if (shut_and_empty()) throw ShutDown();
        }
    } else if (timeout->nanoseconds() < 0) {
        throw_negative_timeout();
    } else {
        const std::int64_t deadline = monotonic_now_ns() + timeout->nanoseconds();
        while (empty()) {
            if (timeout->is_nan()) throw_nan_timeout();
            threading::detail::check_timeout_max(*timeout);
            if (monotonic_now_ns() >= deadline) throw Empty();
            sleep_for_item(held, deadline);
            if (shut_and_empty()) throw ShutDown();
        }
    }
    return gets_.load(std::memory_order_relaxed);
}

// Python's not_full.wait(): put_lock_ is released meanwhile. Returns when there may be room (or a
// shutdown, a deadline, a wake-up meant for another condition): the caller checks again.
void QueueCore::sleep_for_room(std::int64_t deadline_ns) {
    put_lock_.unlock();
    const auto ready = [this] { return room_now() || shutdown_.load(std::memory_order_seq_cst); };
    if (!spin_until(ready)) {
        LinkedSleeper sleeper(putters_);
        if (!ready()) sleeper.sleep(deadline_ns);  // re-checked once linked: see any()
    }
    put_lock_.lock();
}

void QueueCore::sleep_for_item(threading::Lock& held, std::int64_t deadline_ns) {
    held.unlock();
    const auto ready = [this] { return item_now() || shutdown_.load(std::memory_order_seq_cst); };
    if (!spin_until(ready)) {
        LinkedSleeper sleeper(getters_);
        if (!ready()) sleeper.sleep(deadline_ns);
    }
    held.lock();
}

void QueueCore::task_done() {
    std::uint64_t done = done_.load(std::memory_order_relaxed);
    do {
        // done_ never passes puts_: equal means no unfinished task (done is re-read on failure).
        if (done >= puts_.load(std::memory_order_seq_cst)) throw ValueError("task_done() called too many times");
    } while (!done_.compare_exchange_weak(done, done + 1, std::memory_order_seq_cst, std::memory_order_relaxed));
    if (done + 1 == puts_.load(std::memory_order_seq_cst) && joiners_.any()) joiners_.wake_all();
}

void QueueCore::join() {
    while (unfinished_tasks() != 0) {
        LinkedSleeper sleeper(joiners_);
        if (unfinished_tasks() != 0) sleeper.sleep(no_deadline);
    }
}

void QueueCore::mark_shutdown(bool immediate) noexcept {
    shutdown_.store(true, std::memory_order_seq_cst);
    if (!immediate) return;
    // Python: while self._qsize(): self._get(); if self.unfinished_tasks > 0: unfinished_tasks -= 1
    const std::uint64_t puts = puts_.load(std::memory_order_relaxed);
    const std::uint64_t dropped = puts - gets_.load(std::memory_order_relaxed);
    gets_.store(puts, std::memory_order_seq_cst);
    puts_seen_ = puts;
    std::uint64_t done = done_.load(std::memory_order_relaxed);
    while (!done_.compare_exchange_weak(done, std::min(puts, done + dropped), std::memory_order_seq_cst,
                                        std::memory_order_relaxed)) {
    }
}

void QueueCore::wake_after_shutdown(bool immediate) noexcept {
    getters_.wake_all();
    putters_.wake_all();
    if (immediate) joiners_.wake_all();
}

}  // namespace concurrence::queue::detail
