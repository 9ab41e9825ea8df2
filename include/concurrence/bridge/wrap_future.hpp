// asyncio.wrap_future: a concurrent.futures future seen as an asyncio future.
//
//     futures::Future<int> f = pool.submit(work);          // f = pool.submit(work)
//     int v = co_await asyncio::wrap_future(f);            // v = await asyncio.wrap_future(f)
//
// As Python's _chain_future: when the concurrent future completes (in whichever thread), its
// outcome is copied to the asyncio future on the loop's thread (through call_soon_threadsafe);
// cancelling the asyncio future cancels the concurrent one (which only succeeds if its work has
// not started). If the loop is closed before the concurrent future completes, the asyncio
// future is never completed (and its state is leaked rather than touched from another thread).
//
// Thread safety: wrap_future is for the loop's thread; the futures::Future may complete anywhere.
#pragma once

#include <type_traits>
#include <utility>

#include "concurrence/bridge/loop_owned.hpp"
#include "concurrence/futures/future.hpp"
#include "concurrence/loop/event_loop.hpp"
#include "concurrence/task/future.hpp"

namespace concurrence::asyncio {

namespace detail {

// Posted by the thread that completed `source`: copies its outcome into `dest` on the loop.
template <class T>
class CopyOutcome {
public:
    CopyOutcome(LoopOwned<Future<T>> dest, futures::Future<T> source)
        : dest_(std::move(dest)), source_(std::move(source)) {}
    CopyOutcome(CopyOutcome&&) noexcept = default;

    void operator()() {
        Future<T>& dest = *dest_;
        if (dest.cancelled()) return;  // cancelled meanwhile on the loop: nothing to copy
        if (source_.cancelled()) {
            dest.cancel();
        } else if (std::exception_ptr error = source_.exception()) {
            dest.set_exception(std::move(error));
        } else if constexpr (std::is_void_v<T>) {
            dest.set_result();
        } else {
            dest.set_result(source_.result());
        }
    }
    void leak() noexcept { dest_.leak(); }

private:
    LoopOwned<Future<T>> dest_;
    futures::Future<T> source_;
};

// source's outcome goes to dest; dest's cancellation goes to source.
template <class T>
void chain_to_loop(futures::Future<T> source, Future<T> dest, EventLoop& loop) {
    dest.add_done_callback([source](Future<T>& done) mutable {
        if (done.cancelled()) source.cancel();
    });
    // Made here, on the loop's thread; the callback below may run in any thread, so it holds
    // the asyncio handle only through LoopOwned, and the postbox (which outlives the loop).
    auto bound = std::make_shared<LoopOwnedWithPostbox<Future<T>>>(std::move(dest), loop.postbox());
    source.add_done_callback([bound](futures::Future<T> completed) {
        post_or_leak(bound->postbox, CopyOutcome<T>(std::move(bound->value), std::move(completed)));
    });
}

}  // namespace detail

template <class T>
Future<T> wrap_future(futures::Future<T> source, EventLoop& loop) {
    Future<T> dest = loop.create_future<T>();
    detail::chain_to_loop(std::move(source), dest, loop);
    return dest;
}

// With the running loop (Python's loop=None).
template <class T>
Future<T> wrap_future(futures::Future<T> source) {
    return wrap_future(std::move(source), get_running_loop());
}

}  // namespace concurrence::asyncio
