// asyncio::shield(aw): protects an awaitable from the cancellation of its awaiter.
//
//   int v = co_await asyncio::shield(create_task(work()));   // or shield(work())
//
// Returns a new Future that follows the inner task or future. Cancelling it (directly, or by
// cancelling the task that awaits it) cancels only the outer future: the inner work goes on.
// A Coro is turned into a task first. When the inner work is already done, the outer future
// is done at once with the same outcome (Python returns the inner future itself).
// As in Python: keep a handle on the inner task if its result still matters after the
// outer future was cancelled.
#pragma once

#include <functional>
#include <string>
#include <type_traits>
#include <utility>

#include "concurrence/flow/gather.hpp"

namespace concurrence::asyncio {

namespace detail {

// Python 3.13: the outer future was cancelled and the inner one then failed: nobody will read
// that exception, so the loop's exception handler hears of it.
void report_shielded_exception(FutureBase& inner, std::exception_ptr error);

template <class T, class H>
class ShieldCore final : public FutureCore<T> {
public:
    ShieldCore(EventLoop* loop, H inner) : FutureCore<T>(loop), inner_(std::move(inner)) {
        FutureBase& in = *inner_.core();
        if (in.done()) {
            copy_outcome();
            return;
        }
        this->add_ref();  // held while the inner future may call back
        in.add_waiter(this);
    }

    const char* wait_label() const noexcept override { return "shield"; }
    void for_each_awaited(const std::function<void(const FutureBase&)>& visit) const override { visit(*inner_.core()); }

private:
    void destroy() override { delete this; }

    void on_future_done(FutureBase& in) override {
        if (this->done()) {
            if (!in.cancelled())
                if (std::exception_ptr e = in.exception_or_null()) report_shielded_exception(in, std::move(e));
        } else {
            copy_outcome();
        }
        this->release();
    }

    void copy_outcome() {
        FutureBase& in = *inner_.core();
        if (in.cancelled()) {
            this->cancel({});  // Python: outer.cancel(), without the inner's message
        } else if (std::exception_ptr e = in.exception_or_null()) {
            this->set_exception(std::move(e));
        } else if constexpr (std::is_void_v<T>) {
            this->set_result();
        } else {
            this->set_result(await_result<T>(inner_.core()));
        }
    }

    H inner_;
};

}  // namespace detail

template <class A>
    requires detail::Gatherable<A>
auto shield(A&& aw) {
    using X = std::remove_cvref_t<A>;
    using T = typename detail::awaitable_traits<X>::value;
    using H = typename detail::awaitable_traits<X>::handle;
    H inner = detail::to_handle(std::forward<A>(aw));  // a Coro needs the running loop
    EventLoop& loop = inner.core()->loop();            // Python: the outer is on the inner's loop
    return Future<T>(new detail::ShieldCore<T, H>(&loop, std::move(inner)));
}

}  // namespace concurrence::asyncio
