// asyncio::gather: run awaitables concurrently and collect their results in order.
//
//   auto [a, b] = co_await asyncio::gather(fetch(1), fetch(2));     // std::tuple
//   std::vector<int> all = co_await asyncio::gather(std::move(tasks)); // a range → std::vector
//
// Coroutines are wrapped in tasks at the call, in argument order (their first steps run in
// that order); Tasks and Futures are used as they are. The result is a Future, as in Python,
// so gather can also be cancelled or inspected without awaiting it. A void result reads as
// std::monostate (Python's None).
// Errors: the first exception (or a child's cancellation) is propagated at once; the other
// children keep running (Python's default, return_exceptions=False).
//   gather(asyncio::return_exceptions, aws...) waits for every child and gives one
// Outcome<T> per child (its value, or its exception, CancelledError for a child cancelled on
// its own), in order: Python's return_exceptions=True.
// Cancellation: cancelling the gather (or the task awaiting it) cancels every child that is
// not done; the gather then ends with CancelledError.
#pragma once

#include <concepts>
#include <coroutine>
#include <cstddef>
#include <iterator>
#include <ranges>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "concurrence/flow/outcome.hpp"
#include "concurrence/task/awaitable.hpp"
#include "concurrence/task/future.hpp"
#include "concurrence/task/task.hpp"

namespace concurrence::asyncio {

// The tag of gather(return_exceptions, ...): Python's return_exceptions=True.
struct ReturnExceptions {
    explicit ReturnExceptions() = default;
};
inline constexpr ReturnExceptions return_exceptions{};

namespace detail {

template <class T>
using gather_value_t = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

template <class X>
struct awaitable_traits {};
template <class T>
struct awaitable_traits<Coro<T>> {
    using value = T;
    using handle = Task<T>;
};
template <class T>
struct awaitable_traits<Task<T>> {
    using value = T;
    using handle = Task<T>;
};
template <class T>
struct awaitable_traits<Future<T>> {
    using value = T;
    using handle = Future<T>;
};

// Any other awaiter (a lock's acquire(), a queue's get(), sleep()...) runs in a task of its
// own, as Python's ensure_future wraps any awaitable.
template <class X>
    requires PlainAwaiter<X>
struct awaitable_traits<X> {
    using value = awaiter_value_t<X>;
    using handle = Task<value>;
};

template <class X>
concept Gatherable = requires { typename awaitable_traits<std::remove_cvref_t<X>>::handle; };

template <class X>
auto to_handle(X&& x) {
    using D = std::remove_cvref_t<X>;
    using T = typename awaitable_traits<D>::value;
    if constexpr (std::is_same_v<D, Coro<T>>)
        return get_running_loop().create_task(std::move(x));
    else if constexpr (PlainAwaiter<D>)
        return get_running_loop().create_task(await_in_task<T>(D(std::forward<X>(x))));
    else
        return D(x);
}

template <class H>
gather_value_t<typename H::value_type> value_of(const H& h) {
    if constexpr (std::is_void_v<typename H::value_type>) {
        h.result();
        return {};
    } else {
        return await_result<typename H::value_type>(h.core());
    }
}

template <class H>
Outcome<gather_value_t<typename H::value_type>> outcome_of(const H& h) {
    using V = gather_value_t<typename H::value_type>;
    if (std::exception_ptr e = h.core()->exception_or_null()) return Outcome<V>(std::move(e));
    return Outcome<V>(value_of(h));
}

template <class R, class Children, bool ReturnExceptionsMode = false>
class GatherCore final : public FutureCore<R> {
public:
    GatherCore(EventLoop* loop, Children children) : FutureCore<R>(loop), children_(std::move(children)) {}

    // Called once a Future handle holds this core (a gather may finish right here).
    void start() {
        if constexpr (requires { children_.size(); })
            remaining_ = children_.size();
        else
            remaining_ = std::tuple_size_v<Children>;
        if (remaining_ == 0) {
            this->set_result(collect());
            return;
        }
        this->add_ref();  // held while children are pending: their callbacks point here
        // Python 3.12: children already done (eager tasks, done futures) are counted now,
        // after every child is registered; if all are, the gather is done when it returns.
        // One pass over the children (a gather of a million tasks touches each frame once).
        std::vector<FutureBase*> done_now;
        for_each_child([&](FutureBase& c) {
            if (c.done())
                done_now.push_back(&c);
            else
                c.add_waiter(this);
        });
        for (FutureBase* c : done_now) on_future_done(*c);
    }

    bool cancel(const std::string& message) override {
        if (this->done()) return false;
        bool any = false;
        for_each_child([&](FutureBase& c) { any = c.cancel(message) || any; });
        if (any) cancel_requested_ = true;  // the gather ends with CancelledError when all are done
        return any;
    }

    const char* wait_label() const noexcept override { return "gather"; }
    void for_each_awaited(const std::function<void(const FutureBase&)>& visit) const override {
        const_cast<GatherCore*>(this)->for_each_child([&](FutureBase& c) { visit(c); });
    }

private:
    void destroy() override { delete this; }

    void on_future_done(FutureBase& child) override {
        --remaining_;
        if constexpr (ReturnExceptionsMode) {
            if (remaining_ == 0) {
                if (cancel_requested_)  // Python: the last child's cancellation (or a new one)
                    this->set_exception(child.cancelled() ? child.exception_or_null()
                                                          : std::make_exception_ptr(CancelledError()));
                else
                    this->set_result(collect());
                this->release();
            }
            return;
        }
        if (this->done()) {
            if (!child.cancelled()) child.exception_or_null();  // retrieved: not reported as lost
        } else if (child.cancelled()) {
            this->set_exception(child.exception_or_null());
        } else if (std::exception_ptr e = child.exception_or_null()) {
            this->set_exception(std::move(e));
        } else if (remaining_ == 0) {
            if (cancel_requested_)
                this->set_exception(std::make_exception_ptr(CancelledError()));
            else
                this->set_result(collect());
        }
        if (remaining_ == 0) this->release();
    }

    template <class F>
    void for_each_child(F&& f) {
        if constexpr (requires { children_.begin(); }) {
            for (auto& c : children_) f(static_cast<FutureBase&>(*c.core()));
        } else {
            std::apply([&](auto&... c) { (f(static_cast<FutureBase&>(*c.core())), ...); }, children_);
        }
    }

    R collect() {
        if constexpr (requires { children_.begin(); }) {
            // Each child is let go as soon as its result is read: one pass over their memory.
            R out;
            out.reserve(children_.size());
            for (auto& c : children_) {
                if constexpr (ReturnExceptionsMode)
                    out.push_back(outcome_of(c));
                else
                    out.push_back(value_of(c));
                c = {};
            }
            return out;
        } else if constexpr (ReturnExceptionsMode) {
            return std::apply([](auto&... c) { return R(outcome_of(c)...); }, children_);
        } else {
            return std::apply([](auto&... c) { return R(value_of(c)...); }, children_);
        }
    }

    Children children_;
    std::size_t remaining_ = 0;
    bool cancel_requested_ = false;
};

// Python: the gather's loop is its first child's (so futures can be gathered before their
// loop runs); with no child, the running loop.
template <class Children>
EventLoop& loop_of_children(const Children& children) {
    if constexpr (requires { children.empty(); }) {
        if (children.empty()) return get_running_loop();
        return children.front().core()->loop();
    } else {
        return std::get<0>(children).core()->loop();
    }
}

template <class Core, class R, class Children>
Future<R> start_gather(Children children) {
    EventLoop& loop = loop_of_children(children);
    auto* core = new Core(&loop, std::move(children));
    Future<R> handle(core);
    core->start();
    return handle;
}

template <class X>
using gather_value_of = gather_value_t<typename awaitable_traits<std::remove_cvref_t<X>>::value>;

template <class Range>
using gather_handle_of =
    typename awaitable_traits<std::remove_cvref_t<std::ranges::range_value_t<Range>>>::handle;

// The children of gather(range): Coros become tasks, in order.
template <class H, class Range>
std::vector<H> gather_children(Range&& range) {
    std::vector<H> children;
    if constexpr (std::is_same_v<std::remove_cvref_t<Range>, std::vector<H>> && std::is_rvalue_reference_v<Range&&>) {
        children = std::move(range);
    } else {
        if constexpr (std::ranges::sized_range<Range>) children.reserve(std::ranges::size(range));
        for (auto&& x : range) children.push_back(to_handle(std::move(x)));
    }
    return children;
}

}  // namespace detail

// gather(aws...) → Future<std::tuple<results...>>.
template <detail::Gatherable... A>
    requires(sizeof...(A) > 0)
auto gather(A&&... aws) {
    using R = std::tuple<detail::gather_value_t<typename detail::awaitable_traits<std::remove_cvref_t<A>>::value>...>;
    using Children = std::tuple<typename detail::awaitable_traits<std::remove_cvref_t<A>>::handle...>;
    Children children{detail::to_handle(std::forward<A>(aws))...};
    return detail::start_gather<detail::GatherCore<R, Children>, R>(std::move(children));
}

// gather(range) → Future<std::vector<result>>: a range of Coro, Task or Future.
template <std::ranges::input_range Range>
    requires detail::Gatherable<std::ranges::range_value_t<Range>>
auto gather(Range&& range) {
    using H = detail::gather_handle_of<Range>;
    using R = std::vector<detail::gather_value_of<std::ranges::range_value_t<Range>>>;
    auto children = detail::gather_children<H>(std::forward<Range>(range));
    return detail::start_gather<detail::GatherCore<R, std::vector<H>>, R>(std::move(children));
}

// gather(return_exceptions, aws...) → Future<std::tuple<Outcome<results>...>>.
template <detail::Gatherable... A>
    requires(sizeof...(A) > 0)
auto gather(ReturnExceptions, A&&... aws) {
    using R = std::tuple<Outcome<detail::gather_value_of<A>>...>;
    using Children = std::tuple<typename detail::awaitable_traits<std::remove_cvref_t<A>>::handle...>;
    Children children{detail::to_handle(std::forward<A>(aws))...};
    return detail::start_gather<detail::GatherCore<R, Children, true>, R>(std::move(children));
}

// gather(return_exceptions, range) → Future<std::vector<Outcome<result>>>.
template <std::ranges::input_range Range>
    requires detail::Gatherable<std::ranges::range_value_t<Range>>
auto gather(ReturnExceptions, Range&& range) {
    using H = detail::gather_handle_of<Range>;
    using R = std::vector<Outcome<detail::gather_value_of<std::ranges::range_value_t<Range>>>>;
    auto children = detail::gather_children<H>(std::forward<Range>(range));
    return detail::start_gather<detail::GatherCore<R, std::vector<H>, true>, R>(std::move(children));
}

}  // namespace concurrence::asyncio
