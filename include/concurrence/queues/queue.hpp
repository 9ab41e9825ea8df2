// asyncio::Queue<T>, LifoQueue<T>, PriorityQueue<T, Compare>: Python's asyncio queues.
//
//   asyncio::Queue<int> q(10);          // q = asyncio.Queue(maxsize=10)   (0: unbounded)
//   co_await q.put(1);                  // await q.put(1)      waits while full
//   int x = co_await q.get();           // x = await q.get()   waits while empty
//   q.put_nowait(2);  q.get_nowait();   // QueueFull / QueueEmpty
//   q.task_done();  co_await q.join();
//   q.shutdown();   q.shutdown(true);   // QueueShutDown (Python 3.13)
//
// No item is lost or duplicated when a getter or putter is cancelled: an item stays in the
// queue until a get() returns it, and a woken getter that is cancelled before it runs passes
// its wake-up to the next getter (the same for putters and free slots). put/get allocate
// nothing once the storage has grown to the queue's largest size: waiters live in the
// awaiting coroutines' frames.
#pragma once

#include <coroutine>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>

#include "concurrence/queues/queue_core.hpp"
#include "concurrence/queues/storage.hpp"

namespace concurrence::asyncio {

template <class T, class Storage>
class BasicQueue : public detail::QueueCore {
public:
    class Get;
    class Put;

    explicit BasicQueue(std::int64_t maxsize = 0) : QueueCore(maxsize) {}
    ~BasicQueue() { storage_.clear(); }

    void put_nowait(T item) {
        check_loop();
        if (shutdown_) throw QueueShutDown();
        if (is_full()) throw QueueFull();
        add(std::move(item));
    }
    T get_nowait() {
        check_loop();
        if (size_ == 0) throw_empty();
        return take();
    }
    [[nodiscard]] Put put(T item) { return Put(*this, std::move(item)); }
    [[nodiscard]] Get get() { return Get(*this); }
    const char* type_name() const override { return Storage::type_name; }

private:
    [[gnu::always_inline]] void add(T&& item) {
        storage_.push(std::move(item));
        item_added();
    }
    [[gnu::always_inline]] T take() {
        T item = storage_.pop();
        item_taken();
        return item;
    }
    void drop_items() override { storage_.clear(); }

    Storage storage_;
};

template <class T, class Storage>
class BasicQueue<T, Storage>::Get final {
public:
    explicit Get(BasicQueue& q) : queue_(&q) {}
    Get(Get&&) = default;

    // The fast paths are inlined into the awaiting coroutine; waking and the rare cases
    // (shutdown, cancellation) are calls.
    [[gnu::always_inline]] bool await_ready() {
        BasicQueue& q = *queue_;
        q.check_loop();
        if (q.size_ != 0) [[likely]]
            return true;
        if (q.shutdown_) throw QueueShutDown();
        return false;
    }
    template <class P>
    void await_suspend(std::coroutine_handle<P> h, unsigned line = __builtin_LINE()) {
        ::concurrence::asyncio::detail::note_suspension(h, line);
        waiting_.wait(*queue_, queue_->getters_, true, h);
    }
    [[gnu::always_inline]] T await_resume() {
        if (detail::QueueWaiter* w = waiting_.get()) {
            if (!w->proceeds()) [[unlikely]]
                check_after_wait(*w);
        }
        return queue_->take();
    }

private:
    // Resumed otherwise than by a wake-up that found an item (see QueueWaiter::proceeds):
    // throws if cancelled, woken by shutdown with nothing left to take, or the queue is gone.
    [[gnu::noinline]] void check_after_wait(detail::QueueWaiter& w) {
        if (w.orphaned()) w.throw_orphaned(Storage::type_name);
        BasicQueue& q = *queue_;
        if (w.resumes_cancelled()) {
            // Woken for an item we will not take: the next getter must get the wake-up.
            if (w.woken() && q.size_ != 0) q.wake_first(q.getters_);
            w.resume_checks();
        }
        if (q.size_ == 0) throw QueueShutDown();
    }
    BasicQueue* queue_;
    detail::WaitingSlot waiting_;
};

template <class T, class Storage>
class BasicQueue<T, Storage>::Put final {
public:
    Put(BasicQueue& q, T item) : queue_(&q), item_(std::move(item)) {}
    Put(Put&&) = default;

    [[gnu::always_inline]] bool await_ready() {
        BasicQueue& q = *queue_;
        q.check_loop();
        if (!q.shutdown_ && !q.is_full()) [[likely]] {
            q.add(std::move(item_));
            return true;
        }
        if (q.shutdown_) throw QueueShutDown();
        return false;
    }
    template <class P>
    void await_suspend(std::coroutine_handle<P> h, unsigned line = __builtin_LINE()) {
        ::concurrence::asyncio::detail::note_suspension(h, line);
        waiting_.wait(*queue_, queue_->putters_, false, h);
    }
    [[gnu::always_inline]] void await_resume() {
        detail::QueueWaiter* w = waiting_.get();
        if (!w) return;  // put in await_ready
        if (!w->proceeds()) [[unlikely]]
            check_after_wait(*w);
        queue_->add(std::move(item_));
    }

private:
    // Resumed otherwise than by a wake-up that found a slot (see QueueWaiter::proceeds):
    // throws if cancelled, woken by shutdown, or the queue is gone.
    [[gnu::noinline]] void check_after_wait(detail::QueueWaiter& w) {
        if (w.orphaned()) w.throw_orphaned(Storage::type_name);
        BasicQueue& q = *queue_;
        if (w.resumes_cancelled()) {
            // Woken for a slot we will not use: the next putter must get the wake-up.
            if (w.woken() && !q.is_full()) q.wake_first(q.putters_);
            w.resume_checks();
        }
        if (q.shutdown_) throw QueueShutDown();
    }
    BasicQueue* queue_;
    T item_;
    detail::WaitingSlot waiting_;
};

namespace detail {
template <class T>
struct NamedFifo : FifoStorage<T> {
    static constexpr const char* type_name = "asyncio::Queue";
};
template <class T>
struct NamedLifo : LifoStorage<T> {
    static constexpr const char* type_name = "asyncio::LifoQueue";
};
template <class T, class Compare>
struct NamedPriority : PriorityStorage<T, Compare> {
    static constexpr const char* type_name = "asyncio::PriorityQueue";
};
}  // namespace detail

// First in, first out.
template <class T>
class Queue : public BasicQueue<T, detail::NamedFifo<T>> {
public:
    using BasicQueue<T, detail::NamedFifo<T>>::BasicQueue;
};

// Last in, first out.
template <class T>
class LifoQueue : public BasicQueue<T, detail::NamedLifo<T>> {
public:
    using BasicQueue<T, detail::NamedLifo<T>>::BasicQueue;
};

// Smallest first by Compare (Python's heapq order: PriorityQueue<std::pair<int, Job>> gets
// the lowest priority number first).
template <class T, class Compare = std::less<T>>
class PriorityQueue : public BasicQueue<T, detail::NamedPriority<T, Compare>> {
public:
    using BasicQueue<T, detail::NamedPriority<T, Compare>>::BasicQueue;
};

}  // namespace concurrence::asyncio
