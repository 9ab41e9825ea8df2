// What every queue shares whatever its items: the bound, the getters and putters waiting,
// task_done/join accounting, and shutdown (Python's asyncio.Queue minus _put/_get).
//
// A woken getter or putter does not get an item or a slot reserved: as in Python, it checks
// the queue again when it runs, and waits again (at the back) if another task took the item
// or the slot meanwhile. That check happens before its task is resumed: the waiter, not the
// task, is what the loop's ready queue holds, so waiting again costs no step of the task.
// A woken waiter stays linked (marked woken) until the loop reaches it, so that a queue
// destroyed meanwhile orphans it too (see waiter_list.hpp); wake-ups skip woken waiters.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <new>
#include <string>

#include "concurrence/loop/runnable.hpp"
#include "concurrence/queues/queue_errors.hpp"
#include "concurrence/sync/event.hpp"
#include "concurrence/sync/loop_bound.hpp"
#include "concurrence/sync/waiter_list.hpp"

namespace concurrence::asyncio::detail {

class QueueCore;

// A task waiting for an item (a getter) or a free slot (a putter). A get or put awaiter builds
// one only when it suspends (WaitingSlot below): most gets and puts do not wait.
class QueueWaiter final : public Runnable, public WaitNode {
public:
    // Built when `task` suspends, then linked, then parked.
    QueueWaiter(QueueCore& queue, bool getter, TaskCore& task) : WaitNode(task), queue_(queue), getter_(getter) {}
    QueueWaiter(const QueueWaiter&) = delete;

    // For the awaiter that holds this node: parks its task here.
    void park(std::coroutine_handle<> h) { park_task(h); }
    using TaskWait::resume_checks;
    using TaskWait::resumes_cancelled;
    using WaitNode::throw_orphaned;

    bool cancel_wait(TaskCore& task, const std::string&) override;
    const char* wait_kind() const noexcept override { return getter_ ? "Queue.get" : "Queue.put"; }
    // The loop runs this in its task's place: reports name the task.
    std::string describe() const override {
        return waiting_task() ? waiting_task()->describe() : "<Queue waiter>";
    }
    // run() found the queue able to serve this waiter and no cancellation: the awaiter's
    // await_resume need not check again (nothing runs between run() and it).
    bool proceeds() const { return proceeds_; }
    // Python's waiter.set_result(None): checks the queue when the loop reaches it.
    void wake_to_check() {
        set_woken();
        TaskCore& task = *waiting_task();
        task.clear_waiting();
        task.loop().schedule(static_cast<Runnable*>(this));
    }

private:
    QueueCore& queue_;
    // The loop reached the woken waiter: resume its task, or wait again.
    void run() override;
    bool timer_stale(std::uint64_t) const override { return true; }
    void timer_fired(EventLoop&, std::uint64_t) override {}
    void timer_release() override {}

    bool getter_;
    bool proceeds_ = false;
};

// Room for the QueueWaiter of a get or put awaiter, built in place when it suspends and
// destroyed with the awaiter. The awaiter that does not wait (an item or a slot was there)
// writes one pointer instead of a waiter's dozen fields (W3: 5% fewer instructions, ~10% less time).
// Movable only while empty (an awaiter is moved before it is awaited, never after).
class WaitingSlot {
public:
    WaitingSlot() = default;
    WaitingSlot(WaitingSlot&&) noexcept {}
    WaitingSlot& operator=(WaitingSlot&&) = delete;
    // Unlinks the node rather than running its destructor, which would only rewrite its two
    // vtable pointers before doing the same (its members need no destruction).
    ~WaitingSlot() {
        if (node_) node_->unlink();
    }
    // In await_suspend: builds the node for the running task, links it at the back of the
    // queue's getters or putters (`waiters`), and parks the task. The task is found first (it
    // throws outside a task), so the node's fields are written once.
    void wait(QueueCore& queue, WaiterList& waiters, bool getter, std::coroutine_handle<> h) {
        TaskCore& task = current_task_for_await();
        node_ = ::new (static_cast<void*>(storage_)) QueueWaiter(queue, getter, task);
        waiters.push_back(*node_);
        node_->park(h);
    }
    // Null if the awaiter did not wait.
    QueueWaiter* get() const { return node_; }

private:
    QueueWaiter* node_ = nullptr;
    alignas(QueueWaiter) unsigned char storage_[sizeof(QueueWaiter)];
};

class QueueCore : public LoopBound {
public:
    std::int64_t maxsize() const { return maxsize_; }
    std::size_t qsize() const {
        check_loop();
        return size_;
    }
    bool empty() const { return qsize() == 0; }
    // Never true for an unbounded queue (maxsize <= 0).
    bool full() const {
        check_loop();
        return is_full();
    }

    // Python's task_done: ValueError("task_done() called too many times") past the count.
    void task_done();
    // Python's join(): until every item put has been marked done (yields true).
    class Join;
    [[nodiscard]] inline Join join();
    // Python 3.13's shutdown: puts throw QueueShutDown; gets too once the queue is empty, or
    // at once if `immediate` (the items left are dropped and count as done).
    void shutdown(bool immediate = false);
    bool is_shutdown() const { return shutdown_; }
    std::string repr() const;

protected:
    explicit QueueCore(std::int64_t maxsize)
        : limit_(maxsize > 0 ? static_cast<std::size_t>(maxsize) : SIZE_MAX), maxsize_(maxsize) {
        finished_.set();
    }
    ~QueueCore() = default;

    bool is_full() const { return size_ >= limit_; }
    // Bookkeeping of an item added (put_nowait): counts it and wakes the first getter.
    // Inlined into put (as item_taken into get): called, each cost a frame's worth of saved
    // registers (24 of W3's ~650 instructions per round trip).
    // `finished_` is set whenever no item is unfinished, but an item added leaves it set: a
    // join clears it when it finds items unfinished (see Join), so a put costs one increment.
    [[gnu::always_inline]] void item_added() {
        ++size_;
        ++unfinished_;
        wake_first(getters_);
    }
    // An item taken (get_nowait): wakes the first putter.
    [[gnu::always_inline]] void item_taken() {
        --size_;
        wake_first(putters_);
    }
    // Python's _wakeup_next: the first waiter not woken yet, if any.
    static void wake_first(WaiterList& waiters) {
        if (WaitNode* first = waiters.first_not_woken()) static_cast<QueueWaiter*>(first)->wake_to_check();
    }
    [[noreturn]] void throw_empty() const;
    // What the storage drops on shutdown(immediate).
    virtual void drop_items() = 0;

    WaiterList getters_;
    WaiterList putters_;
    std::size_t size_ = 0;
    std::size_t limit_;  // maxsize, or no limit (SIZE_MAX) for maxsize <= 0
    bool shutdown_ = false;

private:
    friend class QueueWaiter;
    // A woken waiter stops waiting (it gets an item or a slot, or shutdown makes it throw).
    bool can_proceed(bool getter) const { return shutdown_ || (getter ? size_ != 0 : !is_full()); }
    // ... and the get or put it waits in succeeds (Python: get takes what is left after a
    // shutdown; put does not).
    bool can_serve(bool getter) const { return getter ? size_ != 0 : !shutdown_ && !is_full(); }

    std::int64_t maxsize_;
    std::size_t unfinished_ = 0;
    Event finished_;
};

// Python's join(): `if self._unfinished_tasks > 0: await self._finished.wait()`, checked when
// awaited. The event is cleared here rather than by every put (see item_added).
class QueueCore::Join {
public:
    explicit Join(QueueCore& queue) : queue_(queue), wait_(queue.finished_.wait()) {}
    Join(Join&&) = default;

    bool await_ready() {
        if (queue_.unfinished_ != 0) queue_.finished_.clear();
        return wait_.await_ready();
    }
    template <class P>
    void await_suspend(std::coroutine_handle<P> h, unsigned line = __builtin_LINE()) {
        wait_.await_suspend(h, line);
    }
    bool await_resume() { return wait_.await_resume(); }

private:
    QueueCore& queue_;
    Event::Wait wait_;
};

QueueCore::Join QueueCore::join() { return Join(*this); }

}  // namespace concurrence::asyncio::detail
