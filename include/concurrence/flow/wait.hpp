// asyncio::wait(aws, timeout, return_when) → (done, pending).
//
//   auto [done, pending] = co_await asyncio::wait(tasks, asyncio::FIRST_COMPLETED);
//   auto [done, pending] = co_await asyncio::wait(tasks, 5);            // timeout, ALL_COMPLETED
//   auto [done, pending] = co_await asyncio::wait(tasks, 5, asyncio::FIRST_EXCEPTION);
//
// Waits for tasks or futures (not coroutines: Python forbids them, create tasks first) until
// the condition holds or the timeout passes, then returns which are done and which are still
// pending. Nothing is cancelled, not on timeout and not when the waiting task is cancelled.
// Python returns two sets; here two vectors, each in the order given (duplicates removed).
#pragma once

#include <concepts>
#include <cstddef>
#include <optional>
#include <unordered_set>
#include <vector>

#include "concurrence/base/timeout.hpp"
#include "concurrence/flow/awaiting_set.hpp"
#include "concurrence/flow/listener.hpp"
#include "concurrence/loop/handle.hpp"
#include "concurrence/task/future.hpp"
#include "concurrence/task/task.hpp"

namespace concurrence::asyncio {

enum class ReturnWhen { FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED };
inline constexpr ReturnWhen FIRST_COMPLETED = ReturnWhen::FIRST_COMPLETED;
inline constexpr ReturnWhen FIRST_EXCEPTION = ReturnWhen::FIRST_EXCEPTION;
inline constexpr ReturnWhen ALL_COMPLETED = ReturnWhen::ALL_COMPLETED;

template <class H>
struct WaitResult {
    std::vector<H> done;
    std::vector<H> pending;
};

namespace detail {

// Counts completions (Python's _on_completion) and completes `waiter` when the condition holds.
class WaitListener final : public Listener {
public:
    WaitListener(std::size_t count, ReturnWhen rw, Future<void> waiter) : left_(count), rw_(rw), waiter_(std::move(waiter)) {}
    void on_future_done(FutureBase& f) override {
        --left_;
        // Python looks at the exception (marking it retrieved) only for FIRST_EXCEPTION.
        const bool failed = rw_ == FIRST_EXCEPTION && f.state() == FutureState::failed && f.exception_or_null();
        if (left_ == 0 || rw_ == FIRST_COMPLETED || failed) release_waiter();
    }
    void release_waiter() {
        if (!waiter_.done()) waiter_.set_result();
    }

private:
    std::size_t left_;
    ReturnWhen rw_;
    Future<void> waiter_;
};

template <class H>
Coro<WaitResult<H>> wait_impl(std::vector<H> fs, std::optional<Delay> timeout, ReturnWhen return_when) {
    EventLoop& loop = get_running_loop();
    Future<void> waiter = make_awaiting_set(loop, fs, "wait");  // call graphs: the task awaits fs
    WaitListener listener(fs.size(), return_when, waiter);
    Handle timer;
    if (timeout) timer = loop.call_later(*timeout, [&listener] { listener.release_waiter(); });
    for (H& f : fs) listener.watch(*f.core());
    std::exception_ptr cancelled;
    try {
        co_await waiter;
    } catch (...) {
        cancelled = std::current_exception();
    }
    // Python's finally: no callback may reach the listener after this frame is gone.
    timer.cancel();
    for (H& f : fs) listener.unwatch(*f.core());  // done ones may not have run their callbacks yet
    if (cancelled) std::rethrow_exception(cancelled);
    WaitResult<H> out;
    for (H& f : fs) (f.core()->done() ? out.done : out.pending).push_back(std::move(f));
    co_return out;
}

// A coroutine, as Python's: errors surface where it is awaited.
template <class H>
Coro<WaitResult<H>> wait_checked(std::vector<H> fs, std::optional<Delay> timeout, ReturnWhen return_when) {
    if (fs.empty()) throw ValueError("Set of Tasks/Futures is empty.");
    if (timeout && timeout->is_nan()) throw ValueError("Invalid value NaN (not a number)");
    // Python takes a set: each future once, in the order first given.
    std::vector<H> unique;
    unique.reserve(fs.size());
    std::unordered_set<const void*> seen;
    for (H& f : fs)
        if (seen.insert(f.core()).second) unique.push_back(std::move(f));
    co_return co_await wait_impl(std::move(unique), timeout, return_when);
}

template <class H>
concept WaitHandle = requires(H h) { h.core()->done(); };

}  // namespace detail

// Tasks, futures or TaskRefs, all of one handle type (use TaskRef to mix result types).
// The timeout: seconds, a std::chrono duration, std::nullopt, or a std::optional<Delay>.
template <detail::WaitHandle H>
Coro<WaitResult<H>> wait(std::vector<H> fs, ReturnWhen return_when = ALL_COMPLETED) {
    return detail::wait_checked(std::move(fs), std::nullopt, return_when);
}
template <detail::WaitHandle H>
Coro<WaitResult<H>> wait(std::vector<H> fs, Delay timeout, ReturnWhen return_when = ALL_COMPLETED) {
    return detail::wait_checked(std::move(fs), std::optional<Delay>(timeout), return_when);
}
template <detail::WaitHandle H>
Coro<WaitResult<H>> wait(std::vector<H> fs, std::nullopt_t, ReturnWhen return_when = ALL_COMPLETED) {
    return detail::wait_checked(std::move(fs), std::nullopt, return_when);
}
template <detail::WaitHandle H, class O>
    requires std::same_as<std::remove_cvref_t<O>, std::optional<Delay>>
Coro<WaitResult<H>> wait(std::vector<H> fs, O&& timeout, ReturnWhen return_when = ALL_COMPLETED) {
    return detail::wait_checked(std::move(fs), std::optional<Delay>(timeout), return_when);
}

}  // namespace concurrence::asyncio
