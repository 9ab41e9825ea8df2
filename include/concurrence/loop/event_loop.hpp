// asyncio's event loop: one per thread, a FIFO of ready callbacks and task steps, timers,
// and an I/O poller (epoll) that also wakes the loop when another thread hands it work.
//
// One iteration (Python's BaseEventLoop._run_once, same order):
//   1. wait for I/O, at most until the earliest timer (not at all if something is ready);
//   2. take what other threads sent (call_soon_threadsafe);
//   3. move every due timer, in (deadline, scheduling order), to the ready queue;
//   4. run what was ready when the iteration began; what they schedule waits for the next one.
// That is the only place where callbacks and task steps are actually run: everything else
// only adds them to the ready queue.
//
// Thread safety: every member is for the loop's own thread, except call_soon_threadsafe.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "concurrence/base/errors.hpp"
#include "concurrence/base/timeout.hpp"
#include "concurrence/loop/handle.hpp"
#include "concurrence/loop/runnable.hpp"
#include "concurrence/loop/task_registry.hpp"

namespace concurrence::asyncio {

template <class T>
class Coro;
template <class T>
class Task;
template <class T>
class Future;

// What went wrong, for the loop's exception handler (Python passes a dict).
struct ExceptionContext {
    std::string message;
    std::exception_ptr exception;
};

class EventLoop {
public:
    using ExceptionHandler = std::function<void(EventLoop&, const ExceptionContext&)>;

    EventLoop();
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    // ---- running and stopping
    void run_forever();
    // Runs until the task or coroutine is done; returns its result or throws its exception.
    template <class T>
    T run_until_complete(Task<T> task);
    template <class T>
    T run_until_complete(Coro<T> coro);
    void stop();
    bool is_running() const { return running_; }
    bool is_closed() const { return closed_.load(std::memory_order_relaxed); }
    // Closes the loop; pending callbacks are dropped. Throws RuntimeError if it is running.
    void close();

    // ---- time: monotonic seconds, the clock of call_at and of every timeout
    double time() const { return static_cast<double>(now_ns()) / 1e9; }

    // ---- callbacks
    template <class F>
    Handle call_soon(F&& callback) {
        check_open();
        auto* h = new detail::HandleImpl<std::decay_t<F>>(std::forward<F>(callback));
        h->add_ref();  // one for the ready queue, one for the returned Handle
        schedule(h);
        return Handle(h);
    }
    template <class F>
    TimerHandle call_later(Delay delay, F&& callback) {
        return call_at_ns(now_ns() + delay.nanoseconds(), std::forward<F>(callback));  // negative: in the past, as Python
    }
    template <class F>
    TimerHandle call_at(double when, F&& callback) {
        return call_at_ns(seconds_to_ns(when), std::forward<F>(callback));
    }
    // The only thread-safe member: runs callback on the loop's thread, waking it if needed.
    template <class F>
    Handle call_soon_threadsafe(F&& callback) {
        check_open();
        auto* h = new detail::HandleImpl<std::decay_t<F>>(std::forward<F>(callback));
        h->add_ref();
        post_threadsafe(h);
        return Handle(h);
    }

    // ---- tasks and futures (defined in the task layer)
    template <class T>
    Task<T> create_task(Coro<T> coro, std::string name = {});
    template <class T = void>
    Future<T> create_future();

    // ---- errors in callbacks and forgotten tasks
    void set_exception_handler(ExceptionHandler handler) { exception_handler_ = std::move(handler); }
    const ExceptionHandler& get_exception_handler() const { return exception_handler_; }
    void call_exception_handler(const ExceptionContext& context);
    static void default_exception_handler(const ExceptionContext& context);

    // ---- for the layers above (tasks, sleep, sync): not for users
    void schedule(detail::Runnable* r) {
        // Python appends call_soon_threadsafe's callbacks to the ready queue at once: take them
        // in before anything scheduled after them.
        if (posted_pending_.load(std::memory_order_acquire)) take_posted();
        ready_.push(r);
    }
    std::int64_t now_ns() const;
    // Arms a timer that will call target->timer_fired(seq) at `when_ns` (loop clock, ns) and
    // takes one reference on the target for it. Returns the timer's sequence number.
    std::uint64_t add_timer(std::int64_t when_ns, detail::Runnable* target);
    // A timer was cancelled and is now stale: lets the heap compact itself when half stale.
    void note_timer_cancelled();
    detail::TaskRegistry& task_registry() { return tasks_; }
    void check_open() const {
        if (closed_.load(std::memory_order_relaxed)) throw RuntimeError("Event loop is closed");
    }
    // Throws Python's errors for running a loop that is running, or inside another loop.
    void check_can_run() const;
    static std::int64_t seconds_to_ns(double when);

private:
    template <class F>
    TimerHandle call_at_ns(std::int64_t when_ns, F&& callback) {
        check_open();
        auto* h = new detail::HandleImpl<std::decay_t<F>>(std::forward<F>(callback));
        h->when_ns = when_ns;
        h->loop = this;
        h->is_timer = true;
        h->add_ref();  // one for the timer, one for the returned TimerHandle
        add_timer(when_ns, h);
        return TimerHandle(h);
    }
    void post_threadsafe(detail::HandleCore* h);
    void take_posted();
    void run_once();

    struct Engine;  // timers, poller, cross-thread queue (src/loop)
    std::unique_ptr<Engine> engine_;
    detail::ReadyQueue ready_;
    detail::TaskRegistry tasks_;  // pending tasks (all_tasks, cancelling leftovers)
    ExceptionHandler exception_handler_;
    bool running_ = false;
    bool stopping_ = false;
    std::atomic<bool> closed_{false};
    std::atomic<bool> posted_pending_{false};  // call_soon_threadsafe left something to take
};

// The loop running in this thread; throws RuntimeError("no running event loop") if none.
EventLoop& get_running_loop();
// The loop running in this thread, or nullptr.
EventLoop* running_loop_or_null() noexcept;

}  // namespace concurrence::asyncio
