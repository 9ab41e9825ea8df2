// An executor's task (internal): Python's _WorkItem and its Future in one allocation.
//
// The state of the Future that submit() returns also holds the callable and its arguments, and
// is the node of the executor's work queue (QueueLink), so submitting a task allocates once.
// It starts with three references: the returned Future's and two for the executor's queue
// (src/futures/work_queue.hpp).
//
// run_task() is _WorkItem.run(): set_running_or_notify_cancel() (a cancelled task is skipped),
// the call, then the result or the exception stored in the future (never reported elsewhere).
// The callable and its arguments are destroyed right after the call, before the result is
// published (Python's `del work_item`), so a task holds no resource once its future is done.
//
// Thread safety: run_task() is called by one worker; the future is shared as any other.
#pragma once

#include <exception>
#include <functional>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "concurrence/futures/future_state.hpp"

namespace concurrence::futures::detail {

template <class R, class F, class... Args>
class TaskState final : public FutureState<R> {
public:
    template <class G, class... A>
    explicit TaskState(G&& fn, A&&... args)
        : FutureState<R>(3), call_(std::in_place, std::forward<G>(fn), std::forward<A>(args)...) {}

    void run_task(BeforePublish before_publish) noexcept override {
        bool runs = false;
        try {
            runs = this->set_running_or_notify_cancel();
        } catch (...) {
            // Completed by hand while queued (CPython's worker would log it and die): skip it.
        }
        if (!runs) {
            call_.reset();
            before_publish();
            return;
        }
        if constexpr (std::is_void_v<R>) {
            std::exception_ptr error;
            try {
                invoke();
            } catch (...) {
                error = std::current_exception();
            }
            call_.reset();
            before_publish();
            if (error)
                this->publish_task_exception(std::move(error));
            else
                this->publish_task_value();
        } else {
            std::optional<R> value;
            std::exception_ptr error;
            try {
                value.emplace(invoke());
            } catch (...) {
                error = std::current_exception();
            }
            call_.reset();
            before_publish();
            if (error)
                this->publish_task_exception(std::move(error));
            else
                this->publish_task_value(std::move(*value));
        }
    }

    void drop_task() noexcept override { call_.reset(); }

private:
    // As std::thread: the callable and the arguments are invoked as rvalues.
    decltype(auto) invoke() {
        return std::apply([](F& fn, Args&... args) -> decltype(auto) { return std::invoke(std::move(fn), std::move(args)...); },
                          *call_);
    }

    std::optional<std::tuple<F, Args...>> call_;
};

}  // namespace concurrence::futures::detail
