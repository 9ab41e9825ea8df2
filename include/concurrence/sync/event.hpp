// asyncio::Event: Python's asyncio.Event.
//
//   co_await event.wait();   // returns at once if set; else until set() (yields true)
//   event.set();             // wakes every waiter, in the order they came
//   event.clear();  event.is_set();
#pragma once

#include <coroutine>
#include <string>

#include "concurrence/sync/loop_bound.hpp"
#include "concurrence/sync/waiter_list.hpp"

namespace concurrence::asyncio {

class Event final : public detail::LoopBound {
public:
    class Wait;

    Event() = default;

    bool is_set() const {
        check_loop();
        return value_;
    }
    void set() {
        check_loop();
        if (value_) return;
        value_ = true;
        while (!waiters_.empty()) waiters_.pop_front().wake_up();
    }
    void clear() {
        check_loop();
        value_ = false;
    }
    [[nodiscard]] inline Wait wait();
    std::string repr() const;
    const char* type_name() const override { return "asyncio::Event"; }

private:
    detail::WaiterList waiters_;
    bool value_ = false;
};

class Event::Wait final : public detail::WaitNode {
public:
    explicit Wait(Event& event) : event_(event) {}
    Wait(Wait&&) = default;

    bool await_ready() {
        event_.check_loop();
        return event_.value_;
    }
    template <class P>
    void await_suspend(std::coroutine_handle<P> h, unsigned line = __builtin_LINE()) {
        ::concurrence::asyncio::detail::note_suspension(h, line);
        suspend(h);
        event_.waiters_.push_back(*this);
    }
    bool await_resume() {
        if (!waiting_task()) return true;
        if (orphaned()) throw_orphaned("asyncio::Event");
        resume_checks();
        return true;
    }
    const char* wait_kind() const noexcept override { return "Event.wait"; }
    bool cancel_wait(detail::TaskCore& task, const std::string&) override {
        unlink();
        wake_cancelled(task);
        return true;
    }

private:
    Event& event_;
};

Event::Wait Event::wait() { return Wait(*this); }

}  // namespace concurrence::asyncio
