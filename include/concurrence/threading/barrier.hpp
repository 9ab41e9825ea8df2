// threading.Barrier: a fixed number of threads wait for each other, then all go on.
//
//     threading::Barrier barrier(3, [] { std::puts("all here"); });  // Barrier(3, action=f)
//     std::size_t index = barrier.wait();     // 0 .. parties-1, in arrival order
//
// CPython's state machine (filling, draining, resetting, broken), with its rules: the last
// thread to arrive runs the action before any thread leaves; an exception from the action, a
// wait that times out, or abort() breaks the barrier, and every waiter, present or future, gets
// BrokenBarrierError until reset(). A thread that arrives while the previous round is still
// leaving waits for it to leave.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include "concurrence/base/errors.hpp"
#include "concurrence/base/timeout.hpp"
#include "concurrence/threading/condition.hpp"
#include "concurrence/threading/lock.hpp"

namespace concurrence::threading {

// Python: class BrokenBarrierError(RuntimeError).
class BrokenBarrierError : public RuntimeError {
public:
    BrokenBarrierError() : RuntimeError("threading.BrokenBarrierError") {}
};

class Barrier {
public:
    // action: run by the last thread to arrive; timeout: the default of wait().
    // Throws ValueError "parties must be >= 1".
    explicit Barrier(std::size_t parties, std::function<void()> action = {},
                     std::optional<Delay> timeout = std::nullopt);
    Barrier(const Barrier&) = delete;
    Barrier& operator=(const Barrier&) = delete;

    // Waits until `parties` threads are waiting, then returns this thread's arrival index. A
    // timeout (this one, else the constructor's) that passes breaks the barrier. Throws
    // BrokenBarrierError, or what the action threw (in the thread that ran it).
    std::size_t wait(std::optional<Delay> timeout = std::nullopt);

    // Back to the initial state; threads waiting now get BrokenBarrierError.
    void reset();
    // Breaks the barrier: waiters now and later get BrokenBarrierError until reset().
    void abort();

    [[nodiscard]] std::size_t parties() const noexcept { return parties_; }
    // Threads waiting in the current round (0 while it drains or resets).
    [[nodiscard]] std::size_t n_waiting() const;
    [[nodiscard]] bool broken() const;
    // "<threading.Barrier at 0x...: waiters=1/3>" or "<threading.Barrier at 0x...: broken>".
    [[nodiscard]] std::string repr() const;

private:
    enum class State { filling, draining, resetting, broken };

    void enter();
    void release_all();
    void wait_released(std::optional<Delay> timeout);
    void leave();
    void break_barrier();

    const std::size_t parties_;
    const std::function<void()> action_;
    const std::optional<Delay> timeout_;
    mutable Lock lock_;
    mutable Condition cond_{lock_};
    // Written under lock_; read without it by n_waiting() and broken(), as Python's properties
    // do, so that the action (which runs with lock_ held) may call them.
    std::atomic<State> state_{State::filling};
    std::atomic<std::size_t> count_{0};
};

}  // namespace concurrence::threading
