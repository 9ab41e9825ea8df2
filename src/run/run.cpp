#include "concurrence/run/runner.hpp"

#include <unordered_set>

#include "concurrence/task/async_generator.hpp"
#include "run/dump_signal.hpp"

namespace concurrence::asyncio {

namespace detail {

namespace {
Coro<> wait_all(std::vector<TaskRef> tasks) {
    for (TaskRef& t : tasks) co_await t;
}
}  // namespace

void check_no_running_loop() {
    if (running_loop_or_null()) throw RuntimeError("asyncio.run() cannot be called from a running event loop");
}

// The tasks closing async generators (their finalizers) are spared: shutdown_asyncgens()
// awaits them, so that a cleanup that awaits still runs.
std::unordered_set<const TaskCore*> generator_closers(EventLoop& loop) {
    std::unordered_set<const TaskCore*> out;
    for (AsyncGenNode* node : loop.asyncgen_registry().snapshot())
        if (const TaskCore* t = AsyncGenCore::from_node(*node).closing_task()) out.insert(t);
    return out;
}

void cancel_all_tasks(EventLoop& loop) {
    std::vector<TaskRef> to_cancel = all_tasks(loop);
    const std::unordered_set<const TaskCore*> spared = generator_closers(loop);
    std::erase_if(to_cancel, [&](const TaskRef& t) { return spared.contains(t.core()); });
    if (to_cancel.empty()) return;
    for (TaskRef& t : to_cancel) t.cancel();
    loop.run_until_complete(wait_all(to_cancel));
    for (TaskRef& t : to_cancel) {
        if (t.cancelled()) continue;
        if (std::exception_ptr e = t.core()->exception_or_null())
            loop.call_exception_handler({"unhandled exception during asyncio.run() shutdown", e, t.core()->repr()});
    }
}

}  // namespace detail

EventLoop& Runner::get_loop() {
    if (closed_) throw RuntimeError("Runner is closed");
    if (!loop_) {
        loop_ = std::make_unique<EventLoop>(options_.backend);
        if (options_.debug) loop_->set_debug(*options_.debug);
        detail::dump_call_graphs_from_environment(*loop_);
    }
    return *loop_;
}

void Runner::close() {
    if (closed_) return;
    closed_ = true;
    if (!loop_) return;
    struct CloseLoop {
        EventLoop& loop;
        ~CloseLoop() { loop.close(); }
    } close_loop{*loop_};
    detail::cancel_all_tasks(*loop_);
    loop_->run_until_complete(loop_->shutdown_asyncgens());
    // Python's Runner.close: the default executor's threads are joined, waiting at most
    // THREAD_JOIN_TIMEOUT (300 s), while the loop runs.
    loop_->run_until_complete(loop_->shutdown_default_executor(300));
}

}  // namespace concurrence::asyncio
