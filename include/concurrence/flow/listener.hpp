// A done-callback target that is not a future itself: what wait(), as_completed() and
// TaskGroup register on the tasks they watch (Python's add_done_callback of a bound method).
// It lives in its owner (often a coroutine frame) and must be removed from every future it
// still watches before it goes away (remove_waiter: Python's remove_done_callback).
#pragma once

#include <coroutine>
#include <exception>
#include <string>
#include <vector>

#include "concurrence/loop/handle.hpp"
#include "concurrence/task/future.hpp"
#include "concurrence/task/task_core.hpp"

namespace concurrence::asyncio::detail {

class Listener : public FutureBase {
public:
    Listener() : FutureBase(nullptr) {}
    ~Listener() { cancel_soon(); }
    Listener(const Listener&) = delete;

    // Python's add_done_callback: on_future_done(f) when f is done; for f already done, at the
    // loop's next iteration (call_soon), as Python does. The pending call keeps f alive.
    void watch(FutureBase& f) {
        if (!f.done()) {
            f.add_waiter(this);
            return;
        }
        soon_.push_back(f.loop().call_soon([this, ref = CoreRef<FutureBase>(&f)] { on_future_done(*ref.get()); }));
    }
    // Python's remove_done_callback (for a future done or not).
    void unwatch(FutureBase& f) { f.remove_waiter(this); }

protected:
    // Drops the calls watch() queued for futures already done.
    void cancel_soon() {
        for (Handle& h : soon_) h.cancel();
        soon_.clear();
    }

    std::exception_ptr stored_exception() const override { return nullptr; }
    void set_stored_exception(std::exception_ptr) override {}
    void destroy() override {}

private:
    std::vector<Handle> soon_;
};

// Waits until `target` is done without cancelling it when the awaiting task is cancelled
// (Python's `await waiter` on a separate future, as in _cancel_and_wait).
class DoneWait final : public TaskWait, public Listener {
public:
    explicit DoneWait(FutureBase& target) : target_(target) {}
    bool await_ready() const noexcept { return target_.done(); }
    template <class P>
    void await_suspend(std::coroutine_handle<P> h, unsigned line = __builtin_LINE()) {
        ::concurrence::asyncio::detail::note_suspension(h, line);
        suspend(h);
        target_.add_waiter(this);
    }
    void await_resume() { resume_checks(); }
    bool cancel_wait(TaskCore& task, const std::string&) override {
        target_.remove_waiter(this);
        wake_cancelled(task);
        return true;
    }

private:
    void on_future_done(FutureBase&) override { waiting_task()->on_future_done(target_); }

    FutureBase& target_;
};

}  // namespace concurrence::asyncio::detail
