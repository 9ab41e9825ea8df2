// Awaiting something that completes later (a Future, a Task, a gather): Python's
// `yield self` in Future.__await__ plus Task.__wakeup.
//
// Ordering: the awaiting task resumes in the loop iteration after completion (the done
// callbacks' call_soon), exactly as in Python. Awaiting something already done does not
// suspend at all.
// Cancellation: cancelling the awaiting task cancels the awaited future/task (Python's
// _fut_waiter.cancel()); the awaiting task then sees its CancelledError.
#pragma once

#include <coroutine>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

#include "concurrence/task/task_core.hpp"

namespace concurrence::asyncio {

// Names one add_done_callback registration, for remove_done_callback. Python compares
// callbacks with ==; a C++ closure has no ==, so the registration is named instead.
struct DoneCallbackId {
    std::uint64_t value = 0;
    friend bool operator==(DoneCallbackId, DoneCallbackId) = default;
};

}  // namespace concurrence::asyncio

namespace concurrence::asyncio::detail {

// The value an await yields: a copy (Python hands every awaiter the same object); moved
// out instead when the awaiting handle is the only one, or when T cannot be copied (the first
// reader takes it, later ones get RuntimeError).
template <class T, class Core>
T await_result(Core* core) {
    if constexpr (std::is_void_v<T>) {
        core->result();
    } else if constexpr (!std::is_copy_constructible_v<T>) {
        core->take_once();
        return core->take_result();
    } else {
        if (core->sole_handle()) return core->take_result();
        return core->result();
    }
}

// add_done_callback of Future and Task: callback() or callback(handle), run one loop
// iteration after completion. A plain function's address is kept to compare by.
template <class Handle, class F>
DoneCallbackId add_done_callback(const Handle& self, F callback) {
    void (*function)() = nullptr;
    if constexpr (std::is_pointer_v<F> && std::is_function_v<std::remove_pointer_t<F>>)
        function = reinterpret_cast<void (*)()>(callback);
    if constexpr (std::is_invocable_v<F&, Handle&>)
        return {self.core()->add_user_callback([cb = std::move(callback), h = self]() mutable { cb(h); }, function)};
    else
        return {self.core()->add_user_callback(std::move(callback), function)};
}

// The done-callback methods Task<T> and Future<T> share (Handle: the class itself).
template <class Handle>
class DoneCallbackMethods {
public:
    // callback() or callback(Handle&): run one loop iteration after completion. The id names
    // this registration for remove_done_callback.
    template <class F>
    DoneCallbackId add_done_callback(F callback) {
        return detail::add_done_callback(self(), std::move(callback));
    }
    // Python's remove_done_callback: how many registrations it dropped (the one `id` names;
    // or, given a plain function, every registration of it, as Python's == finds them).
    // 0 once done: the callbacks are already scheduled.
    std::size_t remove_done_callback(DoneCallbackId id) { return self().core()->remove_user_callbacks(id.value, nullptr); }
    template <class R, class... A>
    std::size_t remove_done_callback(R (*function)(A...)) {
        return self().core()->remove_user_callbacks(0, reinterpret_cast<void (*)()>(function));
    }

private:
    const Handle& self() const { return static_cast<const Handle&>(*this); }
};

// Handle: Task<T> or Future<T> (anything with core() and a result getter).
template <class Handle>
class DoneAwaiter final : public Waitable {
public:
    explicit DoneAwaiter(Handle h) : target_(std::move(h)) {}
    DoneAwaiter(DoneAwaiter&&) = default;

    bool await_ready() const noexcept { return target_.core()->done(); }
    template <class P>
    void await_suspend(std::coroutine_handle<P> h, unsigned line = __builtin_LINE()) {
        ::concurrence::asyncio::detail::note_suspension(h, line);
        TaskCore& me = current_task_for_await();
        if (static_cast<FutureBase*>(&me) == target_.core()) throw RuntimeError("Task cannot await on itself");
        me.suspend_at(h, this);
        waiter_ = &me;
        target_.core()->add_waiter(&me);
    }
    decltype(auto) await_resume() {
        if (waiter_) waiter_->throw_if_cancel_requested();
        return target_.result_for_await();
    }
    bool cancel_wait(TaskCore&, const std::string& message) override { return target_.core()->cancel(message); }
    const char* wait_kind() const noexcept override { return target_.core()->wait_label(); }
    const FutureBase* awaited_future() const noexcept override { return target_.core(); }

private:
    Handle target_;
    TaskCore* waiter_ = nullptr;
};

}  // namespace concurrence::asyncio::detail
