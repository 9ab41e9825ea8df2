// The threads asleep in a queue until what they wait for may have happened (an item to get, a
// free slot, every task done): the waiter list of one of Python's Queue conditions (not_empty,
// not_full, all_tasks_done).
//
// Each sleeper is a node on its own stack with its own futex word, linked in FIFO order, so a
// wake-up goes to one named thread, which is unlinked when woken (as Python's Condition.notify
// pops a waiter): two puts wake two getters, never the same one twice, and a wake-up cannot be
// lost to a thread that was leaving anyway. count_ lets the fast paths of put and get see "nobody
// sleeps" with one load of a line that is only written when somebody goes to sleep.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>

#include "concurrence/threading/lock.hpp"

namespace concurrence::queue::detail {

struct Sleeper;  // src/thread_queue/sleeper.hpp: lives on the sleeping thread's stack

class Sleepers {
public:
    Sleepers() = default;
    Sleepers(const Sleepers&) = delete;
    Sleepers& operator=(const Sleepers&) = delete;

    // Somebody is linked (asleep, or about to sleep). Sequentially consistent: a thread that
    // makes the awaited condition true (a seq_cst store) and then sees false here knows that any
    // sleeper linked later will see the condition before it sleeps.
    [[nodiscard]] bool any() const noexcept { return count_.load(std::memory_order_seq_cst) != 0; }
    // Python's notify(): wakes the thread linked first, if any.
    void wake_one() noexcept;
    // notify_all().
    void wake_all() noexcept;

    // A thread links itself, checks the condition again, sleeps, unlinks itself.
    void link(Sleeper& sleeper) noexcept;
    void unlink(Sleeper& sleeper) noexcept;

private:
    void unlink_locked(Sleeper& sleeper) noexcept;
    void wake_locked(Sleeper& sleeper) noexcept;

    std::atomic<std::uint32_t> count_{0};
    threading::Lock lock_;  // guards the list (slow paths only)
    Sleeper* first_ = nullptr;
    Sleeper* last_ = nullptr;
};

}  // namespace concurrence::queue::detail
