// asyncio::Future<T>: a result that will be set later, awaitable by any number of tasks.
//
//   auto fut = loop.create_future<int>();
//   loop.call_later(1s, [fut]() mutable { fut.set_result(42); });
//   int v = co_await fut;
//
// A Future handle is a reference (copies share one future), as a Python reference is.
// Thread safety: the loop's thread only (from another thread, use call_soon_threadsafe).
// Cancellation: cancelling a task that awaits a future cancels the future (Python's rule).
#pragma once

#include <exception>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>

#include "concurrence/detail/frame_pool.hpp"
#include "concurrence/loop/event_loop.hpp"
#include "concurrence/task/done_awaiter.hpp"
#include "concurrence/task/result_storage.hpp"

namespace concurrence::asyncio {

namespace detail {

template <class T>
class FutureCore : public FutureBase, public concurrence::detail::PoolAllocated {
public:
    explicit FutureCore(EventLoop* loop) : FutureBase(loop) {}

    template <class... U>
    void set_result(U&&... v) {
        if (done()) throw InvalidStateError("invalid state");
        if constexpr (!std::is_void_v<T>) result_.emplace_value(std::forward<U>(v)...);
        mark_done(FutureState::finished);
    }
    void set_exception(std::exception_ptr e) {
        if (done()) throw InvalidStateError("invalid state");
        if (!e) throw ValueError("set_exception() needs an exception");
        result_.emplace_error(std::move(e));
        mark_done(FutureState::failed);
    }
    decltype(auto) result() {
        throw_if_not_finished();
        if constexpr (!std::is_void_v<T>) return std::as_const(result_.value());
    }
    // For the owner of the only reference: the value is moved out.
    T take_result() {
        throw_if_not_finished();
        if constexpr (!std::is_void_v<T>) return std::move(result_.value());
    }

protected:
    ~FutureCore() { result_.destroy(state_); }
    std::exception_ptr stored_exception() const override {
        return state_ == FutureState::failed || state_ == FutureState::cancelled ? result_.error() : nullptr;
    }
    void set_stored_exception(std::exception_ptr e) override { result_.emplace_error(std::move(e)); }

    ResultStorage<T> result_;
};

// The future of create_future(): nothing more than the core.
template <class T>
class PlainFutureCore final : public FutureCore<T> {
public:
    using FutureCore<T>::FutureCore;

private:
    void destroy() override { delete this; }
};

// Reference-counted pointer to a FutureBase-derived core.
template <class Core>
class CoreRef {
public:
    CoreRef() = default;
    explicit CoreRef(Core* c) : c_(c) {
        if (c_) c_->add_ref();
    }
    CoreRef(const CoreRef& o) : CoreRef(o.c_) {}
    CoreRef(CoreRef&& o) noexcept : c_(std::exchange(o.c_, nullptr)) {}
    CoreRef& operator=(CoreRef o) noexcept {
        std::swap(c_, o.c_);
        return *this;
    }
    ~CoreRef() {
        if (c_) c_->release();
    }
    Core* get() const { return c_; }
    Core* operator->() const { return c_; }
    explicit operator bool() const { return c_ != nullptr; }

private:
    Core* c_ = nullptr;
};

}  // namespace detail

template <class T>
class Future : public detail::DoneCallbackMethods<Future<T>> {
public:
    using value_type = T;

    Future() = default;
    explicit Future(detail::FutureCore<T>* core) : core_(core) {}

    template <class... U>
    void set_result(U&&... v) {
        core_->set_result(std::forward<U>(v)...);
    }
    void set_exception(std::exception_ptr e) { core_->set_exception(std::move(e)); }
    template <class E>
    void set_exception(E&& e)
        requires(!std::is_same_v<std::decay_t<E>, std::exception_ptr>)
    {
        core_->set_exception(std::make_exception_ptr(std::forward<E>(e)));
    }

    bool done() const { return core_->done(); }
    bool cancelled() const { return core_->cancelled(); }
    // Python's Future.cancel(msg): false if already done.
    bool cancel(const std::string& msg = {}) { return core_->cancel(msg); }
    decltype(auto) result() const { return core_->result(); }
    std::exception_ptr exception() const { return core_->exception(); }
    EventLoop& get_loop() const { return core_->loop(); }

    // add_done_callback, remove_done_callback: see DoneCallbackMethods.

    auto operator co_await() const& { return detail::DoneAwaiter<Future<T>>(*this); }
    auto operator co_await() && { return detail::DoneAwaiter<Future<T>>(std::move(*this)); }

    // ---- for awaiters
    detail::FutureCore<T>* core() const { return core_.get(); }
    T result_for_await() const { return detail::await_result<T>(core_.get()); }

private:
    detail::CoreRef<detail::FutureCore<T>> core_;
};

template <class T>
Future<T> EventLoop::create_future() {
    check_open();
    return Future<T>(new detail::PlainFutureCore<T>(this));
}

}  // namespace concurrence::asyncio
