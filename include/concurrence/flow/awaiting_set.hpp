// A future that a task awaits on behalf of a set of futures (TaskGroup's exit, asyncio.wait):
// it completes like any future, and tells call graphs which futures the task really waits on
// (Python 3.14 records the awaiting task in each of them).
#pragma once

#include <functional>
#include <vector>

#include "concurrence/task/future.hpp"

namespace concurrence::asyncio::detail {

template <class Handle>
class AwaitingSet final : public FutureCore<void> {
public:
    // `futures` must outlive the waits on this future; `label`: static ("TaskGroup", "wait").
    AwaitingSet(EventLoop* loop, const std::vector<Handle>& futures, const char* label)
        : FutureCore<void>(loop), futures_(futures), label_(label) {}
    const char* wait_label() const noexcept override { return label_; }
    void for_each_awaited(const std::function<void(const FutureBase&)>& visit) const override {
        for (const Handle& f : futures_) visit(*f.core());
    }

private:
    void destroy() override { delete this; }
    const std::vector<Handle>& futures_;
    const char* label_;
};

// A Future<void> handle on a new AwaitingSet.
template <class Handle>
Future<void> make_awaiting_set(EventLoop& loop, const std::vector<Handle>& futures, const char* label) {
    return Future<void>(new AwaitingSet<Handle>(&loop, futures, label));
}

}  // namespace concurrence::asyncio::detail
