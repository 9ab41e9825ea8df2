// queue.SimpleQueue: an unbounded FIFO queue between threads, without task tracking (no
// task_done, join, shutdown or maxsize, as in Python).
//
//     queue::SimpleQueue<int> q;          // q = queue.SimpleQueue()
//     q.put(1);                           // q.put(1)              never blocks
//     int x = q.get(true, 0.5);           // x = q.get(timeout=0.5)   queue::Empty after 0.5 s
//
// put(item, block, timeout) accepts and ignores its last two arguments, as Python's does. get
// checks its timeout first, as CPython's C implementation does: with block=true, a NaN timeout is
// ValueError "Invalid value NaN (not a number)" and a negative one "'timeout' must be a
// non-negative number", whether or not an item is there.
//
// Reentrancy: CPython's SimpleQueue.put is reentrant (a __del__ or a signal handler may call it
// in the middle of another put on the same thread). This one is a plain thread-safe queue (a
// Queue<T> without its extras): put takes a lock and may allocate, so it must not be called from
// a signal handler, and items' move constructors must not call back into their queue.
//
// Thread safety: every method may be called from any thread at once.
#pragma once

#include <cstddef>
#include <optional>
#include <utility>

#include "concurrence/base/errors.hpp"
#include "concurrence/base/timeout.hpp"
#include "concurrence/thread_queue/errors.hpp"
#include "concurrence/thread_queue/queue.hpp"
#include "concurrence/threading/timeout_max.hpp"

namespace concurrence::queue {

template <class T>
class SimpleQueue {
public:
    SimpleQueue() = default;
    SimpleQueue(const SimpleQueue&) = delete;
    SimpleQueue& operator=(const SimpleQueue&) = delete;

    // Python's put(item, block=True, timeout=None): never blocks; block and timeout are ignored.
    void put(T item, [[maybe_unused]] bool block = true, [[maybe_unused]] std::optional<Delay> timeout = std::nullopt) {
        items_.put(std::move(item));
    }
    void put_nowait(T item) { items_.put(std::move(item)); }

    // Python's get(block=True, timeout=None). Throws Empty, ValueError.
    T get(bool block = true, std::optional<Delay> timeout = std::nullopt) {
        if (block && timeout) [[unlikely]] {
            if (timeout->is_nan()) throw ValueError("Invalid value NaN (not a number)");
            if (timeout->nanoseconds() < 0) throw ValueError("'timeout' must be a non-negative number");
            threading::detail::check_timeout_max(*timeout);
        }
        return items_.get(block, timeout);
    }
    // get(0.5) would mean block=true without a timeout: write get(true, 0.5).
    template <Seconds S>
    T get(S) = delete;
    T get_nowait() { return items_.get(false); }

    [[nodiscard]] bool empty() const noexcept { return items_.empty(); }
    [[nodiscard]] std::size_t qsize() const noexcept { return items_.qsize(); }

private:
    Queue<T> items_;
};

}  // namespace concurrence::queue
