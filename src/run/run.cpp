#include "concurrence/run/run.hpp"

namespace concurrence::asyncio::detail {

namespace {
Coro<> wait_all(std::vector<TaskRef> tasks) {
    for (TaskRef& t : tasks) co_await t;
}
}  // namespace

void check_no_running_loop() {
    if (running_loop_or_null()) throw RuntimeError("asyncio.run() cannot be called from a running event loop");
}

void cancel_all_tasks(EventLoop& loop) {
    std::vector<TaskRef> to_cancel = all_tasks(loop);
    if (to_cancel.empty()) return;
    for (TaskRef& t : to_cancel) t.cancel();
    loop.run_until_complete(wait_all(to_cancel));
    for (TaskRef& t : to_cancel) {
        if (t.cancelled()) continue;
        if (std::exception_ptr e = t.core()->exception_or_null())
            loop.call_exception_handler({"unhandled exception during asyncio.run() shutdown (" + t.get_name() + ")", e});
    }
}

}  // namespace concurrence::asyncio::detail
