// asyncio::AsyncGenerator<T, Send>: the return type of an async generator (`async def` with
// `yield`), and `async for` over it.
//
//   async def ticker(n):                   asyncio::AsyncGenerator<int> ticker(int n) {
//       for i in range(n):                     for (int i = 0; i < n; ++i) {
//           yield i                                co_yield i;
//           await asyncio.sleep(0.1)               co_await asyncio::sleep(0.1);
//                                              }
//                                          }
//   async for v in ticker(3):              auto gen = ticker(3);
//       print(v)                           while (auto v = co_await gen.next()) std::printf("%d\n", *v);
//
// Python's methods: anext() (`__anext__`: the next value, StopAsyncIteration at the end),
// asend(v) (`co_yield` then evaluates to the value sent: std::optional<Send>, empty for
// next()/anext()), athrow(e), aclose() (GeneratorExit thrown at the `co_yield`), ag_running().
// The body runs inline in the task that awaits a step, as a Coro does: its awaits suspend that
// task, and cancelling the task throws CancelledError in the body.
//
// Dropping a generator suspended at a `co_yield` while its loop runs closes it as Python's
// finalizer does: aclose() runs in a task of its own, so a cleanup that awaits still runs.
// Without a running loop the frame is destroyed at once (its destructors run; no cleanup that
// awaits). asyncio::run closes the generators still open (loop.shutdown_asyncgens()).
#pragma once

#include <concepts>
#include <coroutine>
#include <exception>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "concurrence/base/errors.hpp"
#include "concurrence/detail/frame_pool.hpp"
#include "concurrence/loop/asyncgen_registry.hpp"
#include "concurrence/task/coro.hpp"
#include "concurrence/task/current_task.hpp"
#include "concurrence/task/task_core.hpp"

namespace concurrence::asyncio {

template <class T, class Send = void>
class AsyncGenerator;

namespace detail {

// What a consumer asks of the generator: Python's __anext__/asend, athrow, aclose.
enum class GenStep : std::uint8_t { send, athrow, aclose };

// The part of an async generator's promise that does not depend on its types.
class AsyncGenCore : public TaskCore, public AsyncGenNode {
public:
    enum class GenState : std::uint8_t { created, at_yield, running, finished };

    // ---- for the consumer's awaiters (the step protocol)
    // await_ready: Python's checks ("already running"); true if the step ends without running
    // the body (finished; or closed or thrown into before its first step).
    bool step_ready(GenStep kind, std::exception_ptr& thrown);
    // await_suspend: runs the body until its next `co_yield` or its end, then `consumer`.
    void step_start(std::coroutine_handle<> consumer, TaskCore* consumer_promise, unsigned line,
                    std::exception_ptr thrown) noexcept;
    // await_resume: the consumer no longer awaits the body.
    void step_end(TaskCore* consumer_promise) noexcept;
    // After a step: true if the body yielded a value (take it from the promise).
    bool yielded() const noexcept { return gen_state_ == GenState::at_yield; }
    // After a step that did not yield: rethrows the body's exception (once), or returns.
    void rethrow_error();
    // aclose's end: GeneratorExit (or a StopAsyncIteration turned RuntimeError) is a clean close.
    void finish_close();

    bool ag_running() const noexcept { return gen_state_ == GenState::running; }
    bool finished() const noexcept { return gen_state_ == GenState::finished; }
    bool not_started() const noexcept { return gen_state_ == GenState::created; }
    // A value the body yielded and nobody will take (aclose() answered by a co_yield).
    virtual void drop_value() noexcept = 0;
    std::string repr() const override;

    // ---- for the promise
    void at_yield(unsigned line) noexcept {
        gen_state_ = GenState::at_yield;
        set_await_line(line);
        t_next_resume = resume_point_;  // back to the consumer, on the trampoline
    }
    // At the `co_yield` resumed by athrow/aclose: throws what they threw in.
    void throw_if_thrown_in() {
        if (thrown_in_) std::rethrow_exception(std::exchange(thrown_in_, nullptr));
    }
    void body_failed(std::exception_ptr e) noexcept;
    void body_ended() noexcept {
        gen_state_ = GenState::finished;
        AsyncGenNode::unlink();
        t_next_resume = resume_point_;
    }

    // ---- for loop.shutdown_asyncgens() and the finalizer: the task running aclose() on this
    // generator (started if there is none yet). The task holds the frame until it ends.
    TaskRef closer();
    // That task, if there is one (asyncio::run's cancelling of leftover tasks spares it).
    const TaskCore* closing_task() const noexcept { return closer_; }
    static AsyncGenCore& from_node(AsyncGenNode& n) noexcept { return static_cast<AsyncGenCore&>(n); }

protected:
    AsyncGenCore() = default;
    ~AsyncGenCore() = default;
    void set_frame(std::coroutine_handle<> h) noexcept { frame_ = h; }

private:
    const char* kind() const override { return "async_generator"; }
    std::exception_ptr stored_exception() const override { return nullptr; }
    void set_stored_exception(std::exception_ptr) override {}
    void replace_result_with_cancel(const std::string&) override {}
    // The last reference is gone (the AsyncGenerator, a step in progress, a closing task).
    void destroy() override;

    std::coroutine_handle<> frame_;
    std::exception_ptr thrown_in_;  // athrow's exception or aclose's GeneratorExit, for the co_yield
    std::exception_ptr error_;      // the body's exception, for the step that ended it
    friend class ClosingRef;
    TaskCore* closer_ = nullptr;  // the task running aclose() for the finalizer or shutdown
    GenState gen_state_ = GenState::created;
    bool finalized_ = false;  // a closing task was started: never again (Python finalizes once)
};

template <class T, class Send>
class AsyncGenPromise final : public AsyncGenCore, public concurrence::detail::PoolAllocated {
public:
    using value_type = T;
    using sent_type = std::conditional_t<std::is_void_v<Send>, std::monostate, Send>;

    explicit AsyncGenPromise(CoroSite site = CoroSite()) noexcept { site_ = site.site; }

    AsyncGenerator<T, Send> get_return_object() noexcept;
    std::suspend_always initial_suspend() noexcept { return {}; }

    struct FinalAwaiter {
        bool await_ready() const noexcept { return false; }
        void await_suspend(std::coroutine_handle<AsyncGenPromise> h) noexcept { h.promise().body_ended(); }
        void await_resume() const noexcept {}
    };
    FinalAwaiter final_suspend() noexcept { return {}; }
    void unhandled_exception() noexcept { body_failed(std::current_exception()); }
    void return_void() noexcept {}

    struct YieldAwaiter {
        AsyncGenPromise& promise;
        bool await_ready() const noexcept { return false; }
        void await_suspend(std::coroutine_handle<>, unsigned line = __builtin_LINE()) noexcept {
            promise.at_yield(line);
        }
        auto await_resume() {
            promise.throw_if_thrown_in();
            if constexpr (!std::is_void_v<Send>) return std::exchange(promise.sent_, std::nullopt);
        }
    };
    template <class U>
        requires std::convertible_to<U&&, T>
    YieldAwaiter yield_value(U&& v) {
        value_.emplace(std::forward<U>(v));
        return YieldAwaiter{*this};
    }

    T take_value() {
        T v = std::move(*value_);
        value_.reset();
        return v;
    }
    void set_sent(std::optional<sent_type> v) { sent_ = std::move(v); }
    void drop_value() noexcept override { value_.reset(); }

private:

    std::optional<T> value_;
    std::optional<sent_type> sent_;
};

// What a step hands to the `co_yield` it resumes: a value for asend(), none for next(),
// nothing at all for athrow() and aclose().
struct NoSent {};
template <class Promise, GenStep Kind>
struct StepSent {
    using type = NoSent;
};
template <class Promise>
    requires requires { typename Promise::sent_type; }
struct StepSent<Promise, GenStep::send> {
    using type = std::optional<typename Promise::sent_type>;
};

[[noreturn]] void throw_stop_async_iteration();
[[noreturn]] void throw_moved_from_generator();

// The awaiter of one step; Result says what the consumer gets from it. aclose() needs no
// types: Promise is then AsyncGenCore.
template <class Promise, GenStep Kind, class Result>
class GenStepAwaiter {
    using Sent = typename StepSent<Promise, Kind>::type;

public:
    explicit GenStepAwaiter(Promise* p, std::exception_ptr thrown = nullptr, Sent sent = {})
        : p_(p), thrown_(std::move(thrown)), sent_(std::move(sent)) {
        if (!p_) throw_moved_from_generator();
    }
    GenStepAwaiter(GenStepAwaiter&& o) noexcept
        : p_(std::exchange(o.p_, nullptr)),
          thrown_(std::move(o.thrown_)),
          sent_(std::move(o.sent_)),
          consumer_(o.consumer_),
          holds_(std::exchange(o.holds_, false)) {}
    GenStepAwaiter& operator=(GenStepAwaiter&&) = delete;
    ~GenStepAwaiter() {
        if (holds_) p_->release();  // may destroy the frame: after the value was taken
    }

    bool await_ready() { return p_->step_ready(Kind, thrown_); }
    template <class ConsumerPromise>
    void await_suspend(std::coroutine_handle<ConsumerPromise> consumer, unsigned line = __builtin_LINE()) noexcept {
        if constexpr (std::is_base_of_v<TaskCore, ConsumerPromise>) consumer_ = &consumer.promise();
        if constexpr (!std::is_same_v<Sent, NoSent>) p_->set_sent(std::move(sent_));
        // A step holds the frame: dropping the generator meanwhile cannot pull it away.
        p_->add_ref();
        holds_ = true;
        p_->step_start(consumer, consumer_, line, std::move(thrown_));
    }
    Result await_resume() {
        p_->step_end(consumer_);
        if constexpr (Kind == GenStep::aclose) {
            if (p_->yielded()) {
                p_->drop_value();
                throw RuntimeError("async generator ignored GeneratorExit");
            }
            p_->finish_close();
        } else {
            if (p_->yielded()) return Result(p_->take_value());
            p_->rethrow_error();
            if constexpr (std::is_same_v<Result, std::optional<typename Promise::value_type>>)
                return std::nullopt;
            else
                throw_stop_async_iteration();
        }
    }

private:
    Promise* p_;
    std::exception_ptr thrown_;
    [[no_unique_address]] Sent sent_;
    TaskCore* consumer_ = nullptr;
    bool holds_ = false;
};

}  // namespace detail

template <class T, class Send>
class [[nodiscard]] AsyncGenerator {
    static_assert(!std::is_void_v<T> && !std::is_reference_v<T>, "an async generator yields values");

public:
    using promise_type = detail::AsyncGenPromise<T, Send>;
    using value_type = T;
    using handle_type = std::coroutine_handle<promise_type>;

    AsyncGenerator() = default;
    explicit AsyncGenerator(handle_type h) : p_(&h.promise()) { p_->add_ref(); }
    AsyncGenerator(AsyncGenerator&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
    AsyncGenerator& operator=(AsyncGenerator o) noexcept {
        std::swap(p_, o.p_);
        return *this;
    }
    ~AsyncGenerator() {
        if (p_) p_->release();
    }
    explicit operator bool() const noexcept { return p_ != nullptr; }

    // `async for v in gen:` → `while (auto v = co_await gen.next())`: the next value, or an
    // empty optional at the end. An exception from the body is thrown here, once.
    auto next() { return Awaiter<detail::GenStep::send, std::optional<T>>(p_); }
    // Python's gen.__anext__() / anext(gen): the next value; StopAsyncIteration at the end.
    auto anext() { return Awaiter<detail::GenStep::send, T>(p_); }
    // Python's gen.asend(v): resumes the body with `co_yield` evaluating to v. Sending a value
    // before the first step: TypeError, as Python.
    template <class U = Send>
        requires(!std::is_void_v<U>)
    auto asend(U value) {
        if (p_ && p_->not_started()) throw TypeError("can't send non-None value to a just-started async generator");
        return Awaiter<detail::GenStep::send, T>(p_, nullptr, std::optional<U>(std::move(value)));
    }
    // Python's gen.athrow(e): throws e at the `co_yield` the body waits at; the next value it
    // yields, or StopAsyncIteration if it ends, or its exception.
    template <class E>
    auto athrow(E&& e) {
        if constexpr (std::is_same_v<std::decay_t<E>, std::exception_ptr>)
            return Awaiter<detail::GenStep::athrow, T>(p_, std::forward<E>(e));
        else
            return Awaiter<detail::GenStep::athrow, T>(p_, std::make_exception_ptr(std::forward<E>(e)));
    }
    // Python's gen.aclose(): GeneratorExit at the `co_yield`; the body may await while it
    // cleans up. RuntimeError("async generator ignored GeneratorExit") if it yields again.
    auto aclose() { return detail::GenStepAwaiter<detail::AsyncGenCore, detail::GenStep::aclose, void>(p_); }

    // Python's gen.ag_running: a step is running (the body is suspended in an await).
    bool ag_running() const noexcept { return p_ && p_->ag_running(); }
    // "<async_generator object ticker at 0x...>"
    std::string repr() const { return p_ ? p_->repr() : "<async_generator (moved from)>"; }

private:
    template <detail::GenStep Kind, class Result>
    using Awaiter = detail::GenStepAwaiter<promise_type, Kind, Result>;

    promise_type* p_ = nullptr;
};

// Python's anext(gen): the next value; StopAsyncIteration at the end.
template <class T, class Send>
auto anext(AsyncGenerator<T, Send>& gen) {
    return gen.anext();
}
// Python's anext(gen, default): the next value, or `fallback` at the end.
template <class T, class Send, class U>
    requires std::convertible_to<U&&, T>
Coro<T> anext(AsyncGenerator<T, Send>& gen, U fallback) {
    std::optional<T> v = co_await gen.next();
    if (v) co_return std::move(*v);
    co_return T(std::move(fallback));
}

template <class T, class Send>
AsyncGenerator<T, Send> detail::AsyncGenPromise<T, Send>::get_return_object() noexcept {
    auto h = std::coroutine_handle<AsyncGenPromise>::from_promise(*this);
    set_frame(h);
    return AsyncGenerator<T, Send>(h);
}

}  // namespace concurrence::asyncio
