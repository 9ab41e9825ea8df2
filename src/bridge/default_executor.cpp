// The loop's default executor: made on first use, shut down by shutdown_default_executor()
// (asyncio::run) or, without waiting, by close().
#include <cstdio>
#include <exception>
#include <memory>
#include <thread>

#include "concurrence/bridge/loop_owned.hpp"
#include "concurrence/bridge/run_in_executor.hpp"
#include "concurrence/flow/timeout.hpp"
#include "concurrence/futures/thread_pool_executor.hpp"

namespace concurrence::asyncio {

namespace detail {

void shutdown_without_waiting(futures::ThreadPoolExecutor& executor) noexcept {
    try {
        executor.shutdown(false);
    } catch (...) {  // close() goes on: nothing useful to do with it there
    }
}

futures::ThreadPoolExecutor& default_executor_of(EventLoop& loop) {
    if (loop.executor_shutdown_called()) throw RuntimeError("Executor shutdown has been called");
    auto& executor = loop.default_executor();
    if (!executor) {
        futures::ThreadPoolExecutor::Options options;
        options.thread_name_prefix = "asyncio";
        executor = std::make_shared<futures::ThreadPoolExecutor>(std::move(options));
    }
    return *executor;
}

namespace {

// Posted by the shutting-down thread: the executor's threads are all joined.
class SetDone {
public:
    explicit SetDone(LoopOwned<Future<void>> done) : done_(std::move(done)) {}
    SetDone(SetDone&&) noexcept = default;
    void operator()() {
        if (!done_->done()) done_->set_result();
    }
    void leak() noexcept { done_.leak(); }

private:
    LoopOwned<Future<void>> done_;
};

}  // namespace

}  // namespace detail

void EventLoop::set_default_executor(std::shared_ptr<futures::ThreadPoolExecutor> executor) {
    if (!executor) throw ValueError("executor must be ThreadPoolExecutor");
    default_executor_ = std::move(executor);
}

Coro<void> EventLoop::shutdown_default_executor(std::optional<Delay> timeout) {
    executor_shutdown_called_ = true;
    std::shared_ptr<futures::ThreadPoolExecutor> executor = default_executor_;
    if (!executor) co_return;
    // The loop keeps running while another thread waits for the executor's threads: a worker
    // may still need the loop (run_coroutine_threadsafe(...).result()) to finish.
    Future<void> done = create_future<void>();
    std::thread joiner([executor, postbox = postbox(), owned = detail::LoopOwned<Future<void>>(done)]() mutable {
        executor->shutdown(true);
        detail::post_or_leak(postbox, detail::SetDone(std::move(owned)));
    });
    try {
        co_await wait_for(done, timeout);
    } catch (const TimeoutError&) {
        std::fprintf(stderr, "RuntimeWarning: The executor did not finishing joining its threads within %g seconds.\n",
                     timeout ? timeout->seconds() : 0.0);
        executor->shutdown(false);
        joiner.detach();  // it owns the executor and posts to a postbox: nothing of ours
        co_return;
    }
    joiner.join();
}

}  // namespace concurrence::asyncio
