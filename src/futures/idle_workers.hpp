// Where the idle workers of a ThreadPoolExecutor sleep, and how a submit wakes one.
//
// A worker that found no work announces itself (prepare_sleep), looks at the queue once more,
// and then sleeps (sleep) or takes back its announcement (cancel_sleep). A submitter, after its
// push, looks at the number of announced sleepers (one load; zero is the fast path: no system
// call) and, if there is one, claims it (decrements the count) and posts a permit that wakes it.
// The announcement and the push are both seq_cst, so either the submitter sees the sleeper or
// the sleeper sees the item: no lost wake-up. Claiming before waking means a burst of submits
// wakes one sleeper once, not once per submit.
//
// Thread safety: all members from any thread.
#pragma once

#include <atomic>

#include "futures/futex_wait.hpp"

namespace concurrence::futures::detail {

class IdleWorkers {
public:
    void prepare_sleep() noexcept { sleepers_.fetch_add(1, std::memory_order_seq_cst); }

    // Work turned up after prepare_sleep(): withdraw, or, if a waker already claimed a sleeper
    // in our place, take its permit (it was meant for us, or for one who will take ours).
    void cancel_sleep() noexcept {
        int s = sleepers_.load(std::memory_order_relaxed);
        while (s > 0)
            if (sleepers_.compare_exchange_weak(s, s - 1, std::memory_order_relaxed)) return;
        take_permit();
    }

    // After prepare_sleep(): sleeps until a waker posts a permit.
    void sleep() noexcept { take_permit(); }

    // After a push (or anything a sleeper should see): wakes one sleeper, if one is announced.
    void wake_one() noexcept {
        int s = sleepers_.load(std::memory_order_seq_cst);
        while (s > 0) {
            if (sleepers_.compare_exchange_weak(s, s - 1, std::memory_order_seq_cst)) {
                permits_.fetch_add(1, std::memory_order_release);
                futex_wake_one(permits_);
                return;
            }
        }
    }

    // Wakes every announced sleeper (shutdown).
    void wake_all() noexcept {
        const int s = sleepers_.exchange(0, std::memory_order_seq_cst);
        if (s > 0) {
            permits_.fetch_add(s, std::memory_order_release);
            futex_wake_all(permits_);
        }
    }

private:
    void take_permit() noexcept {
        for (;;) {
            int p = permits_.load(std::memory_order_acquire);
            if (p > 0) {
                if (permits_.compare_exchange_weak(p, p - 1, std::memory_order_acquire)) return;
                continue;
            }
            futex_wait(permits_, 0, -1);
        }
    }

    alignas(64) std::atomic<int> sleepers_{0};  // announced and not claimed
    std::atomic<int> permits_{0};              // futex word: posted and not taken
};

}  // namespace concurrence::futures::detail
