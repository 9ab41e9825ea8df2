// concurrent.futures.Future: the result of a call that runs in another thread.
//
//     fut = executor.submit(pow, 2, 8)      →   futures::Future<int> fut = pool.submit(pow2, 8);
//     fut.result(timeout=5)                 →   int v = fut.result(5);
//     fut.add_done_callback(fn)             →   fut.add_done_callback([](futures::Future<int> f) {...});
//     f = Future(); f.set_result(42)        →   futures::Future<int> f; f.set_result(42);
//
// A Future is a handle to shared state, as a Python reference is: copies are cheap and share one
// future, and `a == b` is Python's `a is b`. A default-constructed Future is a new pending future
// (Python's Future()). A moved-from handle may only be assigned to or destroyed.
//
// result(timeout) blocks until the future is done or the timeout passes (std::nullopt: no limit;
// a number of seconds or a std::chrono duration; <= 0: only looks), then returns the value, or
// throws futures::CancelledError, futures::TimeoutError (message ""), or the exception the call
// threw. It returns a copy of the value (each call, like Python's, gives the same value), or,
// for a T that cannot be copied, a T& into the shared state, valid while a handle lives
// (`auto v = std::move(fut.result());` takes it out).
//
// Done-callbacks receive the future; one added to a done future runs at once in the calling
// thread, otherwise in the thread that completes or cancels it, in the order they were added.
// An exception escaping a callback is written to stderr (Python logs
// "exception calling callback for <Future ...>") and otherwise ignored.
//
// set_running_or_notify_cancel(), set_result() and set_exception() are for executors, bridges
// and tests, as in Python.
//
// Thread safety: every method may be called from any thread, on any handle.
#pragma once

#include <concepts>
#include <cstddef>
#include <exception>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <type_traits>
#include <utility>

#include "concurrence/base/timeout.hpp"
#include "concurrence/futures/done_callback.hpp"
#include "concurrence/futures/errors.hpp"
#include "concurrence/futures/future_state.hpp"

namespace concurrence::futures {

namespace detail {
// How a Future takes a state pointer: adopting a reference already counted, or adding one.
struct AdoptRef {};
struct AddRef {};
inline constexpr AdoptRef adopt_ref{};
inline constexpr AddRef add_ref{};
}  // namespace detail

template <class T>
class Future {
public:
    using value_type = T;

    // Python's Future(): a new pending future.
    Future() : state_(new detail::FutureState<T>()) {}

    Future(const Future& other) noexcept : state_(other.state_) {
        if (state_) state_->add_ref();
    }
    Future(Future&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}
    Future& operator=(Future other) noexcept {
        std::swap(state_, other.state_);
        return *this;
    }
    ~Future() {
        if (state_) state_->release();
    }

    // False if running or done (finished); true if cancelled now or before.
    bool cancel() { return state_->cancel(); }
    [[nodiscard]] bool cancelled() const noexcept { return state_->cancelled(); }
    [[nodiscard]] bool running() const noexcept { return state_->running(); }
    [[nodiscard]] bool done() const noexcept { return state_->done(); }

    // See the top of the file.
    decltype(auto) result(std::optional<Delay> timeout = std::nullopt) const {
        state_->wait_for_result(timeout);
        if constexpr (std::is_void_v<T>)
            return;
        else if constexpr (std::is_copy_constructible_v<T>)
            return T(state_->value());
        else
            return static_cast<T&>(state_->value());
    }

    // The exception the call threw, or null if it returned. Throws CancelledError, TimeoutError.
    std::exception_ptr exception(std::optional<Delay> timeout = std::nullopt) const {
        return state_->wait_for_exception(timeout);
    }

    // fn(future): see the top of the file. fn is copied or moved in.
    template <class F>
        requires std::invocable<std::decay_t<F>&, Future&>
    void add_done_callback(F&& fn) {
        state_->add_done_callback(detail::DoneCallback([fn = std::forward<F>(fn)](detail::StateCore& s) mutable {
            Future self(static_cast<detail::FutureState<T>*>(&s), detail::add_ref);
            fn(self);
        }));
    }

    // ---- for executors, bridges and tests (Python: "should only be used by Executor
    // implementations and unit tests")

    // False (and wait()/as_completed() told) if cancelled; true, now running, if pending.
    // Throws RuntimeError "Future in unexpected state" otherwise.
    bool set_running_or_notify_cancel() { return state_->set_running_or_notify_cancel(); }

    // Throw InvalidStateError "FINISHED: <Future at 0x... state=finished returned int>" (or
    // CANCELLED..., CANCELLED_AND_NOTIFIED...) when the future is done.
    template <class... U>
        requires(std::is_void_v<T> ? sizeof...(U) == 0 : std::is_constructible_v<T, U...>)
    void set_result(U&&... value) {
        state_->set_result(std::forward<U>(value)...);
    }
    // Also throws ValueError for a null exception_ptr.
    void set_exception(std::exception_ptr e) { state_->set_exception(std::move(e)); }
    template <class E>
        requires(!std::same_as<std::decay_t<E>, std::exception_ptr>)
    void set_exception(E&& e) {
        state_->set_exception(std::make_exception_ptr(std::forward<E>(e)));
    }

    // Python's repr: "<Future at 0x7f... state=pending>", "state=running", "state=cancelled",
    // "state=finished returned int", "state=finished raised ValueError".
    [[nodiscard]] std::string repr() const { return state_->repr(); }
    friend std::ostream& operator<<(std::ostream& out, const Future& f) { return out << f.repr(); }

    // Python's `is`: the same future.
    friend bool operator==(const Future& a, const Future& b) noexcept { return a.state_ == b.state_; }

    // ---- internal
    Future(detail::FutureState<T>* state, detail::AdoptRef) noexcept : state_(state) {}
    Future(detail::FutureState<T>* state, detail::AddRef) noexcept : state_(state) { state_->add_ref(); }
    [[nodiscard]] detail::FutureState<T>* state() const noexcept { return state_; }

private:
    detail::FutureState<T>* state_;
};

}  // namespace concurrence::futures

// Futures as keys of unordered containers (Python's futures are hashable by identity).
template <class T>
struct std::hash<concurrence::futures::Future<T>> {
    std::size_t operator()(const concurrence::futures::Future<T>& f) const noexcept {
        return std::hash<const void*>()(f.state());
    }
};
