// asyncio::timeout / timeout_at / Timeout, and asyncio::wait_for.
//
//   co_await asyncio::async_with(asyncio::timeout(5), [&](asyncio::Timeout& cm) -> asyncio::Coro<> {
//       co_await long_job();             // cancelled when 5 s have passed...
//       cm.reschedule(cm.when().value() + 1);
//   });                                  // ...and the cancellation becomes TimeoutError here
//
//   int v = co_await asyncio::wait_for(job(), 2.5);   // TimeoutError after 2.5 s
//
// Python 3.12's rules: the deadline cancels the task running the block; leaving the block
// turns that cancellation (and only that one: the task's cancelling() count tells) into
// TimeoutError. A cancellation from elsewhere stays a CancelledError. `None` (std::nullopt)
// means no deadline.
// wait_for(aw, t), Python 3.12's: a coroutine or an awaiter (q.get(), lock.acquire()) is
// awaited in place, inside a timeout, so a cancellation can never come between the work's end
// and its result (a queue item is never lost); a Task or Future is awaited and, at the
// deadline, cancelled, then waited for until it has finished cancelling. A timeout <= 0 makes a
// task of a coroutine or awaiter first (Python's ensure_future), as Python does.
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "concurrence/base/timeout.hpp"
#include "concurrence/flow/async_with.hpp"
#include "concurrence/flow/gather.hpp"
#include "concurrence/flow/listener.hpp"
#include "concurrence/loop/handle.hpp"
#include "concurrence/task/current_task.hpp"

namespace concurrence::asyncio {

class Timeout {
public:
    // `when`: a deadline on the loop's clock (loop.time()), or none.
    explicit Timeout(std::optional<double> when) : when_(when) {}
    Timeout(Timeout&& o) noexcept : when_(o.when_) {}  // only before it is entered
    Timeout& operator=(Timeout&&) = delete;
    ~Timeout() { handle_.cancel(); }

    std::optional<double> when() const { return when_; }
    // A new deadline (none: no deadline). RuntimeError unless inside the block.
    void reschedule(std::optional<double> when);
    // True once the deadline has passed while inside the block.
    bool expired() const { return state_ == State::expiring || state_ == State::expired; }

    // ---- the async context manager protocol (see async_with)
    detail::Ready<void> aenter() {
        enter();
        return {};
    }
    detail::Ready<bool> aexit(std::exception_ptr error) {
        exit(error);
        return {false};
    }
    // What aenter/aexit do (both synchronous): exit throws TimeoutError in place of the
    // CancelledError the deadline caused.
    void enter();
    void exit(const std::exception_ptr& error);
    // Python's repr: "<Timeout [active] when=12.5>".
    std::string repr() const;

private:
    enum class State : std::uint8_t { created, active, expiring, expired, finished };
    void on_timeout();

    std::optional<double> when_;
    State state_ = State::created;
    TaskRef task_;
    int cancelling_ = 0;
    Handle handle_;
};

// Python's asyncio.timeout(delay): a deadline `delay` from now (std::nullopt: none).
Timeout timeout(Delay delay);
inline Timeout timeout(std::nullopt_t) { return Timeout(std::nullopt); }
template <class O>
    requires std::same_as<std::remove_cvref_t<O>, std::optional<Delay>>
Timeout timeout(O&& delay) {
    return delay ? timeout(*delay) : Timeout(std::nullopt);
}
// Python's asyncio.timeout_at(when): a deadline on the loop's clock.
inline Timeout timeout_at(std::optional<double> when) { return Timeout(when); }

namespace detail {

void check_delay(Delay d);

template <class H, class T = typename H::value_type>
Coro<T> wait_for_impl(H inner, std::optional<Delay> delay) {
    if (!delay) co_return co_await inner;
    if (!delay->is_positive()) {
        // Python: already done → its result; else cancel it, wait until it is done, and
        // report TimeoutError unless it finished anyway.
        if (!inner.done()) {
            inner.cancel();
            co_await DoneWait(*inner.core());  // cancelling the caller stops only this wait
            if (inner.cancelled()) throw TimeoutError();
        }
        co_return inner.result_for_await();
    }
    Timeout scope(get_running_loop().time() + delay->seconds());
    scope.enter();
    TaskRef me = current_task();
    const int cancelling_before = me.cancelling();
    std::exception_ptr error;
    try {
        if constexpr (std::is_void_v<T>) {
            co_await inner;
            scope.exit(nullptr);
            co_return;
        } else {
            T value = co_await inner;
            scope.exit(nullptr);
            co_return value;
        }
    } catch (...) {
        error = std::current_exception();
    }
    // The result was there when the deadline fired (its cancel came too late to reach the
    // inner work): return it rather than lose it, unless someone else cancelled us too.
    if (scope.expired() && inner.done() && inner.core()->state() == FutureState::finished &&
        me.cancelling() == cancelling_before + 1) {
        scope.exit(nullptr);  // takes back the deadline's cancel request
        co_return inner.result_for_await();
    }
    scope.exit(error);
    std::rethrow_exception(error);
}

// A coroutine or an awaiter, awaited in place inside a timeout (Python 3.12's `async with
// timeout(t): return await aw`).
template <class T, class A>
Coro<T> wait_for_inline(A aw, std::optional<Delay> delay) {
    if (!delay) co_return co_await std::move(aw);
    Timeout scope(get_running_loop().time() + delay->seconds());
    scope.enter();
    std::exception_ptr error;
    try {
        if constexpr (std::is_void_v<T>) {
            co_await std::move(aw);
            scope.exit(nullptr);
            co_return;
        } else {
            T value = co_await std::move(aw);
            scope.exit(nullptr);
            co_return value;
        }
    } catch (...) {
        error = std::current_exception();
    }
    scope.exit(error);  // the deadline's CancelledError becomes TimeoutError here
    std::rethrow_exception(error);
}

template <class A>
auto wait_for_any(A&& aw, std::optional<Delay> delay) {
    using D = std::remove_cvref_t<A>;
    using T = typename awaitable_traits<D>::value;
    if constexpr (std::is_same_v<D, Coro<T>> || PlainAwaiter<D>) {
        if (!delay || delay->is_positive()) return wait_for_inline<T>(D(std::forward<A>(aw)), delay);
    }
    return wait_for_impl(to_handle(std::forward<A>(aw)), delay);
}

}  // namespace detail

// Python's asyncio.wait_for(aw, timeout): aw is a Coro, Task or Future; timeout a number of
// seconds, a std::chrono duration, std::nullopt (no limit) or a std::optional<Delay>.
template <class A>
    requires detail::Gatherable<A>
auto wait_for(A&& aw, Delay timeout) {
    detail::check_delay(timeout);
    return detail::wait_for_any(std::forward<A>(aw), std::optional<Delay>(timeout));
}
template <class A>
    requires detail::Gatherable<A>
auto wait_for(A&& aw, std::nullopt_t) {
    return detail::wait_for_any(std::forward<A>(aw), std::optional<Delay>());
}
template <class A, class O>
    requires detail::Gatherable<A> && std::same_as<std::remove_cvref_t<O>, std::optional<Delay>>
auto wait_for(A&& aw, O&& timeout) {
    if (timeout) detail::check_delay(*timeout);
    return detail::wait_for_any(std::forward<A>(aw), std::optional<Delay>(timeout));
}

}  // namespace concurrence::asyncio
