// asyncio::Lock: Python's asyncio.Lock.
//
//   co_await lock.acquire();              // await lock.acquire()
//   lock.release();
//   { auto held = co_await lock.scoped(); ... }   // async with lock: ...
//
// Strictly FIFO: an acquire() that finds the lock free still queues behind waiters, and a
// release() wakes the first waiter, which takes the lock when it runs. A waiter cancelled
// while queued leaves no trace; one cancelled after it was woken passes the wake-up on to
// the next waiter (Python 3.13's rules). Acquiring allocates nothing: the waiter is the
// awaiter, in the awaiting coroutine's frame.
#pragma once

#include <coroutine>
#include <exception>
#include <string>

#include "concurrence/sync/held.hpp"
#include "concurrence/sync/loop_bound.hpp"
#include "concurrence/sync/waiter_list.hpp"
#include "concurrence/task/ready.hpp"

namespace concurrence::asyncio {

class Condition;

class Lock final : public detail::LoopBound {
public:
    class Acquire;

    Lock() = default;

    // co_await yields true (Python's acquire() returns True).
    [[nodiscard]] inline Acquire acquire();
    [[nodiscard]] inline detail::ScopedAcquire<Lock, Acquire> scoped();
    // Throws RuntimeError("Lock is not acquired.") if the lock is not locked.
    void release() {
        check_loop();
        if (!locked_) throw_not_acquired();
        locked_ = false;
        wake_up_first();
    }
    bool locked() const {
        check_loop();
        return locked_;
    }
    std::string repr() const;
    const char* type_name() const override { return "asyncio::Lock"; }

    // For asyncio::async_with(lock, body).
    [[nodiscard]] inline Acquire aenter();
    detail::Ready<bool> aexit(const std::exception_ptr&) {
        release();
        return {false};
    }

private:
    friend class Condition;  // its repr reads the state without the loop check
    [[noreturn]] static void throw_not_acquired();
    // Python's _wake_up_first: the first waiter, unless it was already told to wake up.
    void wake_up_first() {
        detail::WaitNode* first = waiters_.front();
        if (first && !first->woken()) first->wake_up();
    }

    detail::WaiterList waiters_;
    bool locked_ = false;
};

class Lock::Acquire final : public detail::WaitNode {
public:
    explicit Acquire(Lock& lock) : lock_(lock) {}
    Acquire(Acquire&&) = default;

    bool await_ready() {
        lock_.check_loop();
        if (lock_.locked_ || !lock_.waiters_.empty()) return false;
        lock_.locked_ = true;
        return true;
    }
    template <class P>
    void await_suspend(std::coroutine_handle<P> h, unsigned line = __builtin_LINE()) {
        ::concurrence::asyncio::detail::note_suspension(h, line);
        suspend(h);
        lock_.waiters_.push_back(*this);
    }
    bool await_resume() {
        if (!waiting_task()) return true;  // acquired without waiting
        if (orphaned()) throw_orphaned("asyncio::Lock");
        if (linked()) lock_.waiters_.remove(*this);
        if (resumes_cancelled()) {
            // Not taking the lock: if it is free, the next waiter must get it.
            if (!lock_.locked_) lock_.wake_up_first();
            resume_checks();
        }
        lock_.locked_ = true;
        return true;
    }
    const char* wait_kind() const noexcept override { return "Lock.acquire"; }
    bool cancel_wait(detail::TaskCore& task, const std::string&) override {
        unlink();
        wake_cancelled(task);
        return true;
    }

private:
    friend class Lock;
    Lock& lock_;
};

Lock::Acquire Lock::acquire() { return Acquire(*this); }
Lock::Acquire Lock::aenter() { return Acquire(*this); }
detail::ScopedAcquire<Lock, Lock::Acquire> Lock::scoped() { return {*this, Acquire(*this)}; }

}  // namespace concurrence::asyncio
