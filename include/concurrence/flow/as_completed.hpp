// asyncio::as_completed(aws, timeout): tasks in the order they complete (Python 3.13).
//
//   auto ac = asyncio::as_completed(std::move(tasks), 10);
//   while (auto t = co_await ac.next())        // async for t in as_completed(...):
//       use(t->result());                       //     the original task, done
//
//   for (auto next : asyncio::as_completed(std::move(tasks)))   // for aw in as_completed(...):
//       int v = co_await next;                                   //     its result (or exception)
//
// Coroutines are wrapped in tasks. When the timeout passes, the next awaits throw
// TimeoutError (one per task not yet done); nothing is cancelled. next() yields nullopt once
// every task has been handed out. Not movable once created (the tasks call back into it).
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "concurrence/base/timeout.hpp"
#include "concurrence/flow/gather.hpp"
#include "concurrence/flow/listener.hpp"
#include "concurrence/loop/handle.hpp"

namespace concurrence::asyncio {

template <class H>
class AsCompleted final : private detail::Listener {
public:
    AsCompleted(std::vector<H> fs, std::optional<Delay> timeout) : loop_(get_running_loop()) {
        for (H& f : fs) {
            FutureBase* core = f.core();
            if (index_.emplace(core, todo_.size()).second) todo_.push_back(std::move(f));
        }
        left_ = todo_.size();
        pending_ = todo_.size();
        for (H& f : todo_) watch(*f.core());
        if (pending_ > 0 && timeout) timer_ = loop_.call_later(*timeout, [this] { on_timeout(); });
    }
    AsCompleted(AsCompleted&&) = delete;
    ~AsCompleted() {
        timer_.cancel();
        if (pending_ > 0)
            for (H& f : todo_) unwatch(*f.core());
    }

    // How many next() calls are left to make.
    std::size_t remaining() const { return left_; }

    class NextAwaiter final : public detail::TaskWait {
    public:
        explicit NextAwaiter(AsCompleted& ac) : ac_(ac), exhausted_(ac.left_ == 0) {
            if (!exhausted_) --ac.left_;
        }
        bool await_ready() const noexcept { return exhausted_ || !ac_.done_.empty(); }
        template <class P>
        void await_suspend(std::coroutine_handle<P> h, unsigned line = __builtin_LINE()) {
            ::concurrence::asyncio::detail::note_suspension(h, line);
            suspend(h);
            ac_.waiters_.push_back(this);
        }
        std::optional<H> await_resume() {
            resume_checks();
            if (exhausted_) return std::nullopt;
            if (!item_) {
                item_ = std::move(ac_.done_.front());
                ac_.done_.pop_front();
            }
            if (!*item_) throw TimeoutError();
            return std::move(*item_);
        }
        const char* wait_kind() const noexcept override { return "as_completed"; }
        bool cancel_wait(detail::TaskCore& task, const std::string&) override {
            // Python: the iteration is spent (its count is not given back); the completion it
            // would have taken stays queued for the next one.
            std::erase(ac_.waiters_, this);
            wake_cancelled(task);
            return true;
        }
        void give(const H* item) {  // null: the timeout
            if (item)
                item_.emplace(*item);
            else
                item_.emplace();
            wake();
        }

    private:
        AsCompleted& ac_;
        bool exhausted_;
        std::optional<std::optional<H>> item_;  // handed over by a completion (nullopt inside: timeout)
    };

    // The next task or future to complete (nullopt when all were handed out).
    [[nodiscard]] NextAwaiter next() { return NextAwaiter(*this); }

    // Range form: each element is awaited for the next result.
    class iterator {
    public:
        explicit iterator(AsCompleted* ac) : ac_(ac) {}
        // Each element counts as taken when it is created, awaited or not (Python's __next__).
        auto operator*() const { return next_result(ac_->next()); }
        iterator& operator++() { return *this; }
        bool operator!=(const iterator&) const { return ac_->left_ > 0; }

    private:
        AsCompleted* ac_;
    };
    iterator begin() { return iterator(this); }
    iterator end() { return iterator(this); }

private:
    using T = typename H::value_type;

    static Coro<T> next_result(NextAwaiter next) {
        std::optional<H> f = co_await std::move(next);
        if (!f) throw RuntimeError("as_completed: every task was already handed out");
        co_return f->result_for_await();
    }

    void on_future_done(FutureBase& core) override {
        if (pending_ == 0) return;  // the timeout came first
        --pending_;
        deliver(&todo_[index_.at(&core)]);
        if (pending_ == 0) timer_.cancel();
    }
    void on_timeout() {
        // Python: one TimeoutError for each task not handed to the queue yet.
        for (H& f : todo_) unwatch(*f.core());
        const std::size_t n = std::exchange(pending_, 0);
        for (std::size_t i = 0; i < n; ++i) deliver(nullptr);
    }
    void deliver(const H* item) {  // null: the timeout
        if (!waiters_.empty()) {
            NextAwaiter* w = waiters_.front();
            waiters_.pop_front();
            w->give(item);
        } else if (item) {
            done_.emplace_back(*item);
        } else {
            done_.emplace_back();
        }
    }

    EventLoop& loop_;
    std::vector<H> todo_;
    std::unordered_map<const FutureBase*, std::size_t> index_;
    std::deque<std::optional<H>> done_;  // completed, not handed out yet (nullopt: a timeout)
    std::deque<NextAwaiter*> waiters_;
    Handle timer_;
    std::size_t left_ = 0;     // next() calls still to come
    std::size_t pending_ = 0;  // not completed (nor timed out) yet
};

namespace detail {
template <class X>
auto handles_of(std::vector<X>&& xs) {
    using H = typename awaitable_traits<X>::handle;
    std::vector<H> out;
    out.reserve(xs.size());
    for (X& x : xs) out.push_back(to_handle(std::move(x)));
    return out;
}
}  // namespace detail

template <class X>
    requires detail::Gatherable<X>
AsCompleted<typename detail::awaitable_traits<X>::handle> as_completed(std::vector<X> aws, std::optional<Delay> timeout = std::nullopt) {
    return AsCompleted<typename detail::awaitable_traits<X>::handle>(detail::handles_of(std::move(aws)), timeout);
}

}  // namespace concurrence::asyncio
