// The shared core of Future, Task and gather's outer future: a state (pending, finished,
// failed, cancelled), a reference count, and the callbacks to run when it is done.
//
// Python runs a future's done callbacks with call_soon, one iteration after it completes.
// A done future does the same without allocating: it queues *itself* once and, when the
// loop reaches it, runs its callbacks in registration order.
//
// Not thread-safe: a future belongs to its loop's thread (as in Python).
#pragma once

#include <coroutine>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "concurrence/base/errors.hpp"
#include "concurrence/contextvars/contextvars.hpp"
#include "concurrence/loop/event_loop.hpp"
#include "concurrence/loop/runnable.hpp"

namespace concurrence::asyncio::detail {

class FutureBase;
class TaskCore;

// A user's done callback. `function` is the address of a plain function given as the
// callback (Python's remove_done_callback compares callbacks with ==; closures cannot be).
struct UserCallback {
    std::uint64_t id;
    void (*function)();
    std::function<void()> call;
};

// A done callback beyond the first: another future's waiter, or a user's function.
struct DoneCallback {
    FutureBase* waiter;
    UserCallback* user;
};

enum class FutureState : std::uint8_t { pending, finished, failed, cancelled };

// What only some futures need, allocated on first use.
struct FutureExtra {
    std::vector<DoneCallback> more_callbacks;
    std::vector<std::unique_ptr<UserCallback>> user_callbacks;
    std::string name;
    std::string cancel_message;
    // A task's contextvars context (Python's Task._context): null while it is empty.
    std::shared_ptr<contextvars::detail::ContextData> context;
    // Debug mode: where the task was created (Python's _source_traceback, one frame).
    const char* created_file = nullptr;
    unsigned created_line = 0;
};

class FutureBase : public Runnable {
public:
    bool done() const { return state_ != FutureState::pending; }
    bool cancelled() const { return state_ == FutureState::cancelled; }
    FutureState state() const { return state_; }
    EventLoop& loop() const { return *loop_; }

    void add_ref() { ++refs_; }
    void release() {
        if (--refs_ == 0) last_release();
    }
    // True when the caller's handle is the only reference besides the loop's own (so a
    // result can be moved out instead of copied).
    bool sole_handle() const { return refs_ == 1u + ((flags_ & running_callbacks_flag) ? 1u : 0u); }

    // Python's Future.cancel / Task.cancel.
    virtual bool cancel(const std::string& message);

    // Registers `waiter` to be told (on_future_done) when this is done. Must not be done yet.
    void add_waiter(FutureBase* waiter);
    // Python's remove_done_callback for a waiter: it will not be told. False if not found.
    bool remove_waiter(FutureBase* waiter);
    // Told when a future this one waits on is done (a task waking up, a gather counting).
    virtual void on_future_done(FutureBase&) {}
    // A user callback: run with call_soon semantics, errors to the loop's exception handler.
    // Returns the registration's id (never 0); `function`: see UserCallback.
    std::uint64_t add_user_callback(std::function<void()> fn, void (*function)() = nullptr);
    // Python's remove_done_callback: drops the registration `id`, or every registration of the
    // plain function `function`, and says how many. 0 once done: Python has scheduled them.
    std::size_t remove_user_callbacks(std::uint64_t id, void (*function)());

    // The stored exception (failed or cancelled), or null. Marks it retrieved.
    std::exception_ptr exception_or_null() {
        flags_ |= retrieved_flag;
        return stored_exception();
    }
    // The stored exception, or null, left unretrieved (for reports such as print_stack).
    std::exception_ptr peek_exception() const { return stored_exception(); }
    // Python's Future.exception(): pending → InvalidStateError, cancelled → CancelledError.
    std::exception_ptr exception();
    // Throws what result() would throw for a non-finished state.
    void throw_if_not_finished();

    const std::string& cancel_message() const;
    FutureExtra& extra();
    // Python's repr: "<Future pending>", "<Task finished name='t' exception=ValueError('x')>".
    virtual std::string repr() const;
    std::string describe() const override { return repr(); }
    // Debug mode: "\nTask created at file:line" for a task, "" otherwise.
    virtual std::string created_at_note() const { return {}; }
    // What a task awaiting this is said to wait on in traces: "Future", "Task", "gather".
    virtual const char* wait_label() const noexcept { return kind(); }
    // The futures this one waits on (a gather's children), for call graphs.
    virtual void for_each_awaited(const std::function<void(const FutureBase&)>&) const {}

    // Ready-queue entry: the callbacks phase.
    void run() override;
    bool timer_stale(std::uint64_t) const override { return true; }
    void timer_fired(EventLoop&, std::uint64_t) override {}
    void timer_release() override { release(); }

protected:
    explicit FutureBase(EventLoop* loop) : loop_(loop) {}
    ~FutureBase();
    FutureBase(const FutureBase&) = delete;

    virtual std::exception_ptr stored_exception() const = 0;
    virtual void set_stored_exception(std::exception_ptr e) = 0;
    virtual void destroy() = 0;
    // What to say if a failed future is destroyed with its exception never retrieved.
    virtual const char* kind() const { return "Future"; }

    // Moves to a done state and queues the callbacks phase (if there are callbacks).
    void mark_done(FutureState s);
    // Reports an exception nobody retrieved (Python: "... exception was never retrieved").
    void last_release();
    void mark_cancelled(const std::string& message);
    void run_callbacks();

    EventLoop* loop_;
    FutureBase* waiter_ = nullptr;  // the first waiter, inline (more in extra_)
    FutureExtra* extra_ = nullptr;
    std::uint32_t refs_ = 0;
    FutureState state_ = FutureState::pending;
    std::uint8_t flags_ = 0;
    std::uint16_t cancel_requests_ = 0;  // TaskCore's, packed here

    static constexpr std::uint8_t retrieved_flag = 1;         // result/exception was looked at
    static constexpr std::uint8_t callbacks_queued_flag = 2;  // queued for its callbacks phase
    static constexpr std::uint8_t is_task_flag = 4;
    static constexpr std::uint8_t must_cancel_flag = 8;
    static constexpr std::uint8_t started_flag = 16;
    static constexpr std::uint8_t running_callbacks_flag = 32;
    static constexpr std::uint8_t more_callbacks_flag = 64;  // extra_ holds more callbacks
    static constexpr std::uint8_t taken_flag = 128;          // a move-only result was moved out

public:
    // A move-only result can be moved out once; later readers get RuntimeError.
    void take_once() {
        throw_if_not_finished();
        if (flags_ & taken_flag) throw RuntimeError("the result was already taken: a move-only result can be awaited once");
        flags_ |= taken_flag;
    }
};

// Something a task waits on that can be cancelled (Python's Task._fut_waiter).
class Waitable {
public:
    // Cancels the wait: the task will be woken and see CancelledError at its await.
    // False if nothing could be cancelled.
    virtual bool cancel_wait(TaskCore& task, const std::string& message) = 0;
    // True if this wait is the one armed with timer `seq` (see TaskCore::timer_stale).
    virtual bool owns_timer(std::uint64_t) const { return false; }
    // What the task waits on, for traces and call graphs: "sleep", "Lock.acquire"... (static).
    virtual const char* wait_kind() const noexcept { return "wait"; }
    // The future or task awaited, if that is what this wait is (call graphs follow it).
    virtual const FutureBase* awaited_future() const noexcept { return nullptr; }

protected:
    ~Waitable() = default;
};

}  // namespace concurrence::asyncio::detail
