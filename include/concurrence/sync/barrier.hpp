// asyncio::Barrier: Python's asyncio.Barrier (3.11).
//
//   std::size_t index = co_await barrier.wait();   // 0 .. parties-1, in arrival order
//   co_await barrier.reset();  co_await barrier.abort();
//
// Tasks wait until `parties` of them have called wait(); then all are released together
// (the barrier drains, and later arrivals wait for the next round). abort() breaks it: every
// waiter and every later wait() throws BrokenBarrierError; reset() throws it in the current
// waiters and makes the barrier usable again.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>

#include "concurrence/base/errors.hpp"
#include "concurrence/sync/condition.hpp"
#include "concurrence/sync/loop_bound.hpp"
#include "concurrence/task/coro.hpp"
#include "concurrence/task/ready.hpp"

namespace concurrence::asyncio {

// Python's asyncio.BrokenBarrierError (a RuntimeError).
class BrokenBarrierError : public RuntimeError {
public:
    using RuntimeError::RuntimeError;
};

class Barrier final : public detail::LoopBound {
public:
    // Throws ValueError("parties must be >= 1").
    explicit Barrier(std::int64_t parties);
    ~Barrier() { *alive_ = false; }

    Coro<std::size_t> wait();
    Coro<> reset();
    Coro<> abort();

    std::size_t parties() const { return parties_; }
    // Tasks waiting for the barrier to fill (0 while it drains or resets).
    std::size_t n_waiting() const { return state_ == State::filling ? count_ : 0; }
    bool broken() const { return state_ == State::broken; }
    std::string repr() const;
    const char* type_name() const override { return "asyncio::Barrier"; }

    // `async with barrier as index`: aenter is wait().
    Coro<std::size_t> aenter() { return wait(); }
    detail::Ready<bool> aexit(const std::exception_ptr&) { return {false}; }

private:
    enum class State : std::uint8_t { filling, draining, resetting, broken };
    Coro<> block();
    Coro<> wait_released();
    void exit();

    Condition cond_;  // notified whenever the state changes
    std::size_t parties_;
    std::size_t count_ = 0;  // tasks inside wait()
    State state_ = State::filling;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // read by waiters in wait()
};

}  // namespace concurrence::asyncio
