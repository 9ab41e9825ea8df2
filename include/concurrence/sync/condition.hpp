// asyncio::Condition: Python's asyncio.Condition, with its own Lock or one it shares.
//
//   { auto held = co_await cond.scoped();      // async with cond:
//     co_await cond.wait_for([&] { return ready; });   //     await cond.wait_for(lambda: ready)
//   }
//   { auto held = co_await cond.scoped(); ready = true; cond.notify_all(); }
//
// wait() releases the lock, waits for a notify, and takes the lock back before it returns or
// throws, even when cancelled (Python 3.13: a waiter that was notified but fails to return
// normally passes the notification on, which may give another waiter a spurious wake-up).
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <string>
#include <type_traits>

#include "concurrence/sync/held.hpp"
#include "concurrence/sync/lock.hpp"
#include "concurrence/sync/loop_bound.hpp"
#include "concurrence/sync/waiter_list.hpp"
#include "concurrence/task/coro.hpp"
#include "concurrence/task/ready.hpp"

namespace concurrence::asyncio {

class Condition final : public detail::LoopBound {
public:
    Condition() : lock_(&own_lock_) {}
    // Shares `lock` (which must outlive the condition).
    explicit Condition(Lock& lock) : lock_(&lock) {}

    // The lock's methods, as Python exports them.
    [[nodiscard]] Lock::Acquire acquire() { return lock_->acquire(); }
    [[nodiscard]] detail::ScopedAcquire<Condition, Lock::Acquire> scoped() { return {*this, lock_->acquire()}; }
    void release() { lock_->release(); }
    bool locked() const { return lock_->locked(); }

    // Requires the lock (RuntimeError "cannot wait on un-acquired lock"). Yields true.
    Coro<bool> wait();
    // Waits until predicate() is truthy; yields its last value.
    template <class Predicate>
    Coro<std::decay_t<std::invoke_result_t<Predicate&>>> wait_for(Predicate predicate) {
        auto result = predicate();
        while (!result) {
            co_await wait();
            result = predicate();
        }
        co_return result;
    }
    // Wake up to n waiters; requires the lock ("cannot notify on un-acquired lock").
    void notify(std::size_t n = 1);
    void notify_all() { notify(waiters_.size()); }
    std::string repr() const;
    const char* type_name() const override { return "asyncio::Condition"; }

    [[nodiscard]] Lock::Acquire aenter() { return lock_->acquire(); }
    detail::Ready<bool> aexit(const std::exception_ptr&) {
        release();
        return {false};
    }

private:
    class NotifyWait;
    void wake(std::size_t n);

    Lock own_lock_;
    Lock* lock_;
    detail::WaiterList waiters_;
};

// Awaits a notify. A notified waiter stays in the list until it runs (Python keeps its done
// future in _waiters), so notify_all() counts it and notify() skips it.
class Condition::NotifyWait final : public detail::WaitNode {
public:
    explicit NotifyWait(Condition& cond) : cond_(cond) {}
    bool await_ready() const noexcept { return false; }
    template <class P>
    void await_suspend(std::coroutine_handle<P> h, unsigned line = __builtin_LINE()) {
        ::concurrence::asyncio::detail::note_suspension(h, line);
        suspend(h);
        cond_.waiters_.push_back(*this);
    }
    void await_resume() {
        if (orphaned()) throw_orphaned("asyncio::Condition");
        if (linked()) cond_.waiters_.remove(*this);
        resume_checks();
    }
    const char* wait_kind() const noexcept override { return "Condition.wait"; }
    bool cancel_wait(detail::TaskCore& task, const std::string&) override {
        unlink();
        wake_cancelled(task);
        return true;
    }

private:
    Condition& cond_;
};

}  // namespace concurrence::asyncio
