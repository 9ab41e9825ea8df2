// asyncio::Semaphore and asyncio::BoundedSemaphore: Python's.
//
//   co_await sem.acquire();  sem.release();
//   { auto held = co_await sem.scoped(); ... }    // async with sem: ...
//
// FIFO without starvation (Python 3.12's fix): an acquire() that finds the value positive
// still waits while earlier waiters have not run yet. release() hands the unit to the first
// waiter at once (the value is decremented for it), so nobody can take it meanwhile; a
// waiter cancelled after that gives the unit back and wakes the next one.
#pragma once

#include <coroutine>
#include <cstdint>
#include <exception>
#include <string>

#include "concurrence/sync/held.hpp"
#include "concurrence/sync/loop_bound.hpp"
#include "concurrence/sync/waiter_list.hpp"
#include "concurrence/task/ready.hpp"

namespace concurrence::asyncio {

class Semaphore : public detail::LoopBound {
public:
    class Acquire;

    // Throws ValueError("Semaphore initial value must be >= 0") for a negative value.
    explicit Semaphore(std::int64_t value = 1);

    // Python: cannot be acquired at once (value 0, or earlier waiters must go first).
    bool locked() const {
        check_loop();
        return value_ == 0 || !waiters_.empty();
    }
    [[nodiscard]] inline Acquire acquire();
    [[nodiscard]] inline detail::ScopedAcquire<Semaphore, Acquire> scoped();
    void release() {
        check_loop();
        check_release();
        ++value_;
        wake_up_next();
    }
    std::string repr() const;

    [[nodiscard]] inline Acquire aenter();
    detail::Ready<bool> aexit(const std::exception_ptr&) {
        release();
        return {false};
    }

public:
    const char* type_name() const override { return "asyncio::Semaphore"; }

protected:
    // BoundedSemaphore's check, before the value goes up.
    virtual void check_release() const {}
    std::int64_t value() const { return value_; }

private:
    // Python's _wake_up_next: gives one unit to the first waiter not woken yet.
    bool wake_up_next() {
        detail::WaitNode* next = waiters_.first_not_woken();
        if (!next) return false;
        --value_;
        next->wake_up();
        return true;
    }
    // After a wait, waiters that had to queue behind it may proceed.
    void wake_up_while_positive() {
        while (value_ > 0 && wake_up_next()) {
        }
    }

    detail::WaiterList waiters_;
    std::int64_t value_;
};

class Semaphore::Acquire final : public detail::WaitNode {
public:
    explicit Acquire(Semaphore& sem) : sem_(sem) {}
    Acquire(Acquire&&) = default;

    bool await_ready() {
        sem_.check_loop();
        if (sem_.value_ == 0 || !sem_.waiters_.empty()) return false;
        --sem_.value_;
        return true;
    }
    template <class P>
    void await_suspend(std::coroutine_handle<P> h, unsigned line = __builtin_LINE()) {
        ::concurrence::asyncio::detail::note_suspension(h, line);
        suspend(h);
        sem_.waiters_.push_back(*this);
    }
    bool await_resume() {
        if (!waiting_task()) return true;
        if (orphaned()) throw_orphaned("asyncio::Semaphore");
        if (linked()) sem_.waiters_.remove(*this);
        if (resumes_cancelled()) {
            if (woken()) ++sem_.value_;  // the unit release() gave us goes back
            sem_.wake_up_while_positive();
            resume_checks();
        }
        sem_.wake_up_while_positive();
        return true;
    }
    const char* wait_kind() const noexcept override { return "Semaphore.acquire"; }
    bool cancel_wait(detail::TaskCore& task, const std::string&) override {
        unlink();
        wake_cancelled(task);
        return true;
    }

private:
    Semaphore& sem_;
};

Semaphore::Acquire Semaphore::acquire() { return Acquire(*this); }
Semaphore::Acquire Semaphore::aenter() { return Acquire(*this); }
detail::ScopedAcquire<Semaphore, Semaphore::Acquire> Semaphore::scoped() { return {*this, Acquire(*this)}; }

// Python's BoundedSemaphore: release() above the initial value throws
// ValueError("BoundedSemaphore released too many times").
class BoundedSemaphore final : public Semaphore {
public:
    explicit BoundedSemaphore(std::int64_t value = 1) : Semaphore(value), bound_(value) {}

public:
    const char* type_name() const override { return "asyncio::BoundedSemaphore"; }

private:
    void check_release() const override;
    std::int64_t bound_;
};

}  // namespace concurrence::asyncio
