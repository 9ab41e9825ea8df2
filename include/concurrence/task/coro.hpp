// asyncio::Coro<T>: the return type of an `async def`.
//
//   asyncio::Coro<int> answer() { co_await asyncio::sleep(1); co_return 42; }
//
// Lazy, as a Python coroutine object: nothing runs until it is awaited (`co_await answer()`
// runs it inline, in the awaiting task) or wrapped in a task (create_task, gather, run).
// An exception thrown inside propagates to the awaiter. Awaiting a Coro never suspends the
// task by itself, and never grows the machine stack however deep the chain of awaits.
// A Coro is move-only and can be awaited once ("cannot reuse already awaited coroutine").
#pragma once

#include <coroutine>
#include <exception>
#include <type_traits>
#include <utility>

#include "concurrence/detail/frame_pool.hpp"
#include "concurrence/task/result_storage.hpp"
#include "concurrence/task/task_core.hpp"

namespace concurrence::asyncio {

template <class T = void>
class Coro;

namespace detail {

template <class T>
class Promise;

// Destroys a coroutine frame without recursing: destroying a frame suspended in a deep await
// chain destroys the awaiter of its child, which would destroy the child, and so on, one
// machine-stack level per coroutine. Nested destructions are queued and run by the outermost.
[[gnu::tls_model("initial-exec")]] inline thread_local bool t_destroying_frames = false;
void destroy_later(std::coroutine_handle<> h);
void destroy_queued();
inline void destroy_frame(std::coroutine_handle<> h) {
    if (t_destroying_frames) {
        destroy_later(h);
        return;
    }
    t_destroying_frames = true;
    h.destroy();
    destroy_queued();
    t_destroying_frames = false;
}

// "coroutine ... was never awaited" (Python's RuntimeWarning): reported through the running
// loop's exception handler (stderr without a loop) in debug builds, or when the loop's debug
// mode (CONCURRENCE_DEBUG=1) is on.
void report_never_awaited(bool in_debug_build, const TaskCore& coroutine);
#ifdef NDEBUG
inline constexpr bool debug_build = false;
#else
inline constexpr bool debug_build = true;
#endif

// Which coroutine function a frame runs, and where it is defined, for reports. A type of its
// own: a coroutine whose parameters are a `const char*` must not have its arguments taken for
// these (the compiler first tries to build the promise from the coroutine's arguments).
// The default arguments are evaluated where the compiler creates the promise: inside the
// coroutine function, so they name it ("dire_bonjour"; a lambda's operator()).
#ifdef __cpp_lib_source_location
// One pointer in the frame (g++; clang from 15).
struct CoroSite {
    explicit CoroSite(std::source_location where = std::source_location::current()) noexcept : site(where) {}
    std::source_location site;
};
#else
struct CoroSite {
    explicit CoroSite(const char* f = __builtin_FUNCTION(), const char* file_name = __builtin_FILE(),
                      unsigned line_number = __builtin_LINE()) noexcept
        : site{f, file_name, line_number} {}
    SourceSite site;
};
#endif

// Common part of Promise<T> and Promise<void>.
template <class T>
class PromiseBase : public TaskCore, public concurrence::detail::PoolAllocated {
public:
    explicit PromiseBase(CoroSite site) noexcept { site_ = site.site; }
    std::suspend_always initial_suspend() noexcept { return {}; }

    struct FinalAwaiter {
        bool await_ready() const noexcept { return false; }
        void await_suspend(std::coroutine_handle<Promise<T>> h) noexcept {
            auto& p = h.promise();
            // An awaited coroutine returns to its awaiter; a task's root stops the step.
            if (!p.is_task()) t_next_resume = p.resume_point_;
        }
        void await_resume() const noexcept {}
    };
    FinalAwaiter final_suspend() noexcept { return {}; }

    void unhandled_exception() noexcept {
        result_.emplace_error(std::current_exception());
        FutureState s = FutureState::failed;
        if (is_task()) {
            try {
                throw;
            } catch (const CancelledError&) {
                s = FutureState::cancelled;  // Python: a task whose coroutine raised CancelledError is cancelled
            } catch (...) {
            }
        }
        root_finished(s);
    }

    Coro<T> get_return_object() noexcept;

    // The awaiter of an inline coroutine takes the result (or the exception) from here.
    T take_result() {
        flags_ |= retrieved_flag;
        if (state_ != FutureState::finished) std::rethrow_exception(result_.error());
        if constexpr (!std::is_void_v<T>) return std::move(result_.value());
    }
    // A task's result, for any number of readers.
    decltype(auto) result() {
        flags_ |= retrieved_flag;
        throw_if_not_finished();
        if constexpr (!std::is_void_v<T>) return std::as_const(result_.value());
    }
    void set_continuation(std::coroutine_handle<> awaiter) { resume_point_ = awaiter; }
    using TaskCore::is_task;

protected:
    ~PromiseBase() { result_.destroy(state_); }
    std::exception_ptr stored_exception() const override {
        return state_ == FutureState::failed || state_ == FutureState::cancelled ? result_.error() : nullptr;
    }
    void set_stored_exception(std::exception_ptr e) override { result_.emplace_error(std::move(e)); }
    void replace_result_with_cancel(const std::string& message) override {
        result_.destroy(state_);
        result_.emplace_error(std::make_exception_ptr(CancelledError(message)));
        state_ = FutureState::cancelled;
    }
    void destroy() override {
        destroy_frame(std::coroutine_handle<Promise<T>>::from_promise(static_cast<Promise<T>&>(*this)));
    }

    ResultStorage<T> result_;
};

template <class T>
class Promise final : public PromiseBase<T> {
public:
    Promise(CoroSite site = CoroSite()) noexcept : PromiseBase<T>(site) {}
    template <class U = T>
    void return_value(U&& v) {
        this->result_.emplace_value(std::forward<U>(v));
        this->root_finished(FutureState::finished);
    }
};

template <>
class Promise<void> final : public PromiseBase<void> {
public:
    Promise(CoroSite site = CoroSite()) noexcept : PromiseBase<void>(site) {}
    void return_void() { root_finished(FutureState::finished); }
};

}  // namespace detail

template <class T>
class [[nodiscard]] Coro {
public:
    using promise_type = detail::Promise<T>;
    using value_type = T;
    using handle_type = std::coroutine_handle<promise_type>;

    Coro() = default;
    explicit Coro(handle_type h) : h_(h) {}
    Coro(Coro&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
    Coro& operator=(Coro o) noexcept {
        std::swap(h_, o.h_);
        return *this;
    }
    ~Coro() {
        if (h_) {
            detail::report_never_awaited(detail::debug_build, h_.promise());
            detail::destroy_frame(h_);
        }
    }

    // True until it is awaited or turned into a task.
    explicit operator bool() const noexcept { return static_cast<bool>(h_); }
    // Python's coroutine.close() on a coroutine never started: drops it without the
    // "never awaited" report.
    void close() noexcept {
        if (h_) detail::destroy_frame(std::exchange(h_, nullptr));
    }

    class Awaiter {
    public:
        explicit Awaiter(handle_type h) : h_(h) {}
        Awaiter(Awaiter&& o) noexcept : h_(std::exchange(o.h_, nullptr)), parent_(std::exchange(o.parent_, nullptr)) {}
        ~Awaiter() {
            if (parent_) parent_->set_awaiting(nullptr);
            if (h_) detail::destroy_frame(h_);
        }
        bool await_ready() const noexcept { return false; }
        template <class AwaiterPromise>
        void await_suspend(std::coroutine_handle<AwaiterPromise> awaiter, unsigned line = __builtin_LINE()) noexcept {
            h_.promise().set_continuation(awaiter);
            // The chain of awaits, for call graphs: the awaiting coroutine awaits this one.
            if constexpr (std::is_base_of_v<detail::TaskCore, AwaiterPromise>) {
                parent_ = &awaiter.promise();
                parent_->set_awaiting(&h_.promise(), line);
            }
            detail::t_next_resume = h_;  // run the coroutine next, on the trampoline
        }
        T await_resume() { return h_.promise().take_result(); }

    private:
        handle_type h_;
        detail::TaskCore* parent_ = nullptr;
    };

    Awaiter operator co_await() && { return Awaiter(take()); }
    Awaiter operator co_await() & { return Awaiter(take()); }

    // Gives up ownership of the frame (create_task does this).
    handle_type take() {
        if (!h_) throw RuntimeError("cannot reuse already awaited coroutine");
        return std::exchange(h_, nullptr);
    }

private:
    handle_type h_;
};

template <class T>
Coro<T> detail::PromiseBase<T>::get_return_object() noexcept {
    return Coro<T>(std::coroutine_handle<Promise<T>>::from_promise(static_cast<Promise<T>&>(*this)));
}

}  // namespace concurrence::asyncio
