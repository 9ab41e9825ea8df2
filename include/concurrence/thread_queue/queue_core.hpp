// What Queue, LifoQueue and PriorityQueue share whatever their items: Python's queue.Queue minus
// _put/_get. The bound, the counts, blocking and waking, task_done/join and shutdown live here,
// compiled once in src/thread_queue/queue_core.cpp; the templates (queue.hpp) only move items.
//
// Design (why it is fast):
//   - Two counters instead of a size: puts_ (items ever put) and gets_ (items ever got). The
//     size is their difference, unfinished tasks are puts_ - done_, and a FIFO ring uses them as
//     its indices. A putter writes only puts_, a getter only gets_: each keeps its own cache line.
//   - Two locks: a putter holds put_lock_ and a getter the get-side lock, so one producer and one
//     consumer never contend. For a FIFO ring (which can add at one end while taking at the other)
//     the get-side lock is get_lock_; LIFO and heap storage use put_lock_ for both sides.
//   - Each side keeps a stale copy of the other side's counter (gets_seen_, puts_seen_) and reads
//     the real one only when the copy says "full" or "empty": the other side's line is read once
//     per batch, not once per item.
//   - No system call per item: a put wakes a getter only if one sleeps (one load of a line written
//     only when somebody goes to sleep), and a thread about to sleep first watches the counters
//     for a few microseconds (src/thread_queue/spin.hpp), so a short wait costs no sleep and no
//     wake-up.
//   - No wake-up is lost: a sleeper links itself, then reads the counters again (seq_cst), then
//     sleeps; a put or get stores its counter (seq_cst), then looks for sleepers (seq_cst). One of
//     the two sees the other.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>

#include "concurrence/base/errors.hpp"
#include "concurrence/base/timeout.hpp"
#include "concurrence/thread_queue/errors.hpp"
#include "concurrence/thread_queue/sleepers.hpp"
#include "concurrence/threading/lock.hpp"

namespace concurrence::queue::detail {

// Members written by different threads go to different cache lines.
inline constexpr std::size_t cache_line = 64;

class QueueCore {
public:
    QueueCore(const QueueCore&) = delete;
    QueueCore& operator=(const QueueCore&) = delete;

    // As given to the constructor (Python's q.maxsize): <= 0 means unbounded.
    [[nodiscard]] long maxsize() const noexcept { return maxsize_; }
    // Python's qsize(), empty(), full(): exact at some instant during the call, stale after it.
    [[nodiscard]] std::size_t qsize() const noexcept {
        const std::uint64_t gets = gets_.load(std::memory_order_acquire);  // first: puts_ >= it
        return static_cast<std::size_t>(puts_.load(std::memory_order_acquire) - gets);
    }
    [[nodiscard]] bool empty() const noexcept { return qsize() == 0; }
    [[nodiscard]] bool full() const noexcept { return qsize() >= limit_; }
    // Python's q.unfinished_tasks: items put and not yet marked done.
    [[nodiscard]] std::size_t unfinished_tasks() const noexcept {
        const std::uint64_t done = done_.load(std::memory_order_seq_cst);  // first: puts_ >= it
        return static_cast<std::size_t>(puts_.load(std::memory_order_seq_cst) - done);
    }
    // Python's q.is_shutdown (3.13).
    [[nodiscard]] bool is_shutdown() const noexcept { return shutdown_.load(std::memory_order_seq_cst); }

    // Python's task_done(): one item got earlier is processed. Throws ValueError
    // "task_done() called too many times" when no task is unfinished.
    void task_done();
    // Python's join(): blocks until every item put has been marked done (task_done, or dropped
    // by shutdown(immediate=true)).
    void join();

protected:
    explicit QueueCore(long maxsize) noexcept
        : limit_(maxsize > 0 ? static_cast<std::uint64_t>(maxsize) : std::numeric_limits<std::uint64_t>::max()),
          maxsize_(maxsize) {}
    ~QueueCore() = default;

    // ---- The put side: put_lock_ held. ----

    // Python's put() up to _put: returns the index of the new item once it may be added (waiting
    // if needed, with put_lock_ released while it waits). Throws ShutDown, Full or ValueError.
    std::uint64_t admit_put(bool block, const std::optional<Delay>& timeout) {
        const std::uint64_t at = puts_.load(std::memory_order_relaxed);
        if (!shutdown_.load(std::memory_order_relaxed) && plain_timeout(block, timeout) && has_room(at)) [[likely]]
            return at;
        return wait_to_put(block, timeout);
    }
    // The item at index `at` was added: getters may take it.
    void count_put(std::uint64_t at) noexcept { puts_.store(at + 1, std::memory_order_seq_cst); }
    // After releasing put_lock_: Python's not_empty.notify(), if anybody sleeps.
    void wake_getter() noexcept {
        if (getters_.any()) [[unlikely]]
            getters_.wake_one();
    }
    // maxsize, or "no limit" (the largest count).
    [[nodiscard]] std::uint64_t limit() const noexcept { return limit_; }
    // The oldest item's index as the put side knows it (<= the real one).
    [[nodiscard]] std::uint64_t gets_seen() const noexcept { return gets_seen_; }
    // The real one.
    std::uint64_t refresh_gets_seen() noexcept { return gets_seen_ = gets_.load(std::memory_order_acquire); }

    // ---- The get side: the get-side lock (`held`) held. ----

    // Python's get() up to _get: returns the index of the item to take once there is one.
    // Throws ShutDown, Empty or ValueError.
    std::uint64_t admit_get(threading::Lock& held, bool block, const std::optional<Delay>& timeout) {
        const std::uint64_t at = gets_.load(std::memory_order_relaxed);
        if (plain_timeout(block, timeout) && has_item(at)) [[likely]]
            return at;
        return wait_to_get(held, block, timeout);
    }
    void count_get(std::uint64_t at) noexcept { gets_.store(at + 1, std::memory_order_seq_cst); }
    // After releasing the get-side lock: Python's not_full.notify(), if anybody sleeps.
    void wake_putter() noexcept {
        if (putters_.any()) [[unlikely]]
            putters_.wake_one();
    }

    // ---- shutdown(): every lock held. ----

    // The indices of the items in the queue: [first_item(), end_item()).
    [[nodiscard]] std::uint64_t first_item() const noexcept { return gets_.load(std::memory_order_relaxed); }
    [[nodiscard]] std::uint64_t end_item() const noexcept { return puts_.load(std::memory_order_relaxed); }
    // Python's shutdown() under the mutex; with `immediate`, the items are dropped by the caller
    // and counted here as got and done.
    void mark_shutdown(bool immediate) noexcept;
    // After releasing the locks: every sleeper checks again (and throws ShutDown, or gets an item).
    void wake_after_shutdown(bool immediate) noexcept;

private:
    // A call without timeout, non-blocking, or with a timeout that cannot be an error unless it
    // waits (NaN): the fast path may take it. The others go through Python's checks.
    static bool plain_timeout(bool block, const std::optional<Delay>& timeout) noexcept {
        return !timeout || !block || timeout->nanoseconds() >= 0;
    }
    bool has_room(std::uint64_t at) noexcept {
        return at - gets_seen_ < limit_ || at - refresh_gets_seen() < limit_;
    }
    bool has_item(std::uint64_t at) noexcept {
        return puts_seen_ > at || (puts_seen_ = puts_.load(std::memory_order_acquire)) > at;
    }
    // Python's put() and get() when the fast path cannot decide: argument checks, Empty/Full,
    // ShutDown, and waiting (queue_core.cpp).
    std::uint64_t wait_to_put(bool block, const std::optional<Delay>& timeout);
    std::uint64_t wait_to_get(threading::Lock& held, bool block, const std::optional<Delay>& timeout);
    void sleep_for_room(std::int64_t deadline_ns);
    void sleep_for_item(threading::Lock& held, std::int64_t deadline_ns);
    // Racy reads for the threads that wait without a lock.
    bool room_now() const noexcept;
    bool item_now() const noexcept;

    // The data, one cache line per writer (the locks are protected: the templates take them).
protected:
    alignas(cache_line) threading::Lock put_lock_;
private:
    std::atomic<std::uint64_t> puts_{0};
    std::uint64_t gets_seen_ = 0;  // with put_lock_
    const std::uint64_t limit_;    // maxsize, or "no limit"

protected:
    alignas(cache_line) threading::Lock get_lock_;  // FIFO storage only: the others use put_lock_
private:
    std::atomic<std::uint64_t> gets_{0};
    std::uint64_t puts_seen_ = 0;  // with the get-side lock

    // Read by everybody, written once.
    alignas(cache_line) const long maxsize_;
    std::atomic<bool> shutdown_{false};

    alignas(cache_line) Sleepers getters_;  // Python's not_empty waiters
    alignas(cache_line) Sleepers putters_;  // not_full
    alignas(cache_line) std::atomic<std::uint64_t> done_{0};  // task_done() calls, and items dropped
    Sleepers joiners_;                                         // all_tasks_done
};

}  // namespace concurrence::queue::detail
