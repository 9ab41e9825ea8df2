// queue.Queue, queue.LifoQueue, queue.PriorityQueue: Python's queues between threads.
//
//     queue::Queue<Job> q(100);              // q = queue.Queue(maxsize=100)   (<= 0: unbounded)
//     q.put(std::move(job));                 // q.put(job)            blocks while full
//     Job j = q.get();                       // j = q.get()           blocks while empty
//     q.put(job, true, 0.5);                 // q.put(job, timeout=0.5)   queue::Full after 0.5 s
//     Job k = q.get(false);                  // q.get(block=False)        queue::Empty at once
//     q.put_nowait(job);  q.get_nowait();    // queue::Full / queue::Empty
//     q.task_done();  q.join();              // q.task_done(); q.join()
//     q.shutdown();  q.shutdown(true);       // q.shutdown(immediate=True)   (Python 3.13)
//
// Python's semantics, exactly (see queue_core.cpp for the code each check mirrors):
//   - put() blocks while the queue holds maxsize items (never when maxsize <= 0); get() blocks
//     while it is empty. With block=false they throw Full/Empty at once (the timeout is ignored);
//     with a timeout they wait at most that long (std::chrono::steady_clock), then throw.
//   - A negative timeout with block=true is ValueError "'timeout' must be a non-negative number"
//     (for put, only on a bounded queue, as in Python); a NaN timeout is ValueError "Invalid value
//     NaN (not a number)" when the call would wait (Python's Condition.wait(nan) raising).
//   - shutdown(): puts throw ShutDown; gets too once the queue is empty; every blocked put and get
//     wakes and checks again. shutdown(true) also drops the items left (each counts as a
//     task_done(), so join() returns), so gets throw ShutDown at once.
//   - Python's subclassing hooks (_put, _get, _qsize) have no C++ counterpart: the order is the
//     class (FIFO, LIFO, smallest first by Compare).
//
// Items are moved in and out, so move-only types work; they must be nothrow-move-constructible.
// Dropped items (shutdown(true)) are destroyed after the queue's locks are released.
//
// Thread safety: every method may be called from any thread at once. put/get allocate nothing
// once the storage has grown to the queue's largest size (a bounded queue: once it was full).
// Destroying a queue while another thread still uses it is undefined, as for any C++ object.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>

#include "concurrence/base/timeout.hpp"
#include "concurrence/thread_queue/errors.hpp"
#include "concurrence/thread_queue/queue_core.hpp"
#include "concurrence/thread_queue/storage.hpp"

namespace concurrence::queue {

template <class T, class Storage>
class BasicQueue : public detail::QueueCore {
    static_assert(std::is_nothrow_move_constructible_v<T>, "queue items must be nothrow-move-constructible");

public:
    // Python's Queue(maxsize=0): maxsize <= 0 means unbounded.
    explicit BasicQueue(long maxsize = 0) : QueueCore(maxsize) {}
    ~BasicQueue() { storage_.destroy(first_item(), end_item()); }

    // Python's put(item, block=True, timeout=None). Throws Full, ShutDown, ValueError.
    void put(T item, bool block = true, std::optional<Delay> timeout = std::nullopt) {
        {
            std::lock_guard guard(put_lock_);
            const std::uint64_t at = admit_put(block, timeout);
            if constexpr (Storage::split_locks) {
                if (at - gets_seen() >= storage_.capacity()) [[unlikely]]
                    make_room(at);
            }
            storage_.push(at, std::move(item));
            count_put(at);
        }
        wake_getter();
    }
    // put(item, 0.5) would mean block=true without a timeout: write put(item, true, 0.5).
    template <Seconds S>
    void put(T, S) = delete;

    // Python's get(block=True, timeout=None). Throws Empty, ShutDown, ValueError.
    T get(bool block = true, std::optional<Delay> timeout = std::nullopt) {
        GetSide side(*this);
        const std::uint64_t at = admit_get(side.lock, block, timeout);
        T item = storage_.pop(at);
        count_get(at);
        side.took = true;
        return item;
    }
    // get(0.5) would mean block=true without a timeout: write get(true, 0.5).
    template <Seconds S>
    T get(S) = delete;

    void put_nowait(T item) { put(std::move(item), false); }
    T get_nowait() { return get(false); }

    // Python's shutdown(immediate=False) (3.13). Idempotent; shutdown(true) after shutdown()
    // still drops the items left.
    void shutdown(bool immediate = false) {
        std::optional<Storage> dropped;
        std::uint64_t first = 0;
        std::uint64_t last = 0;
        {
            std::lock_guard puts(put_lock_);
            std::unique_lock gets(get_lock_, std::defer_lock);
            if constexpr (Storage::split_locks) gets.lock();
            if (immediate) {
                first = first_item();
                last = end_item();
                dropped.emplace(std::move(storage_));
            }
            mark_shutdown(immediate);
        }
        wake_after_shutdown(immediate);
        if (dropped) dropped->destroy(first, last);
    }

private:
    // The get side's lock, released then the putters woken (an item was taken) on scope exit.
    struct GetSide {
        explicit GetSide(BasicQueue& q) : queue(q), lock(Storage::split_locks ? q.get_lock_ : q.put_lock_) {
            lock.lock();
        }
        ~GetSide() {
            lock.unlock();
            if (took) queue.wake_putter();
        }
        GetSide(const GetSide&) = delete;
        GetSide& operator=(const GetSide&) = delete;

        BasicQueue& queue;
        threading::Lock& lock;
        bool took = false;
    };

    // The ring is full (as far as the put side knew): grow it, unless getters made room.
    [[gnu::noinline]] void make_room(std::uint64_t at) {
        if (at - refresh_gets_seen() < storage_.capacity()) return;
        std::lock_guard gets(get_lock_);
        storage_.grow(first_item(), at, limit());
    }

    Storage storage_;
};

// First in, first out.
template <class T>
class Queue : public BasicQueue<T, detail::RingStorage<T>> {
public:
    using BasicQueue<T, detail::RingStorage<T>>::BasicQueue;
};

// Last in, first out.
template <class T>
class LifoQueue : public BasicQueue<T, detail::StackStorage<T>> {
public:
    using BasicQueue<T, detail::StackStorage<T>>::BasicQueue;
};

// Smallest first by Compare (Python's heapq order: PriorityQueue<std::pair<int, Job>> gets the
// lowest priority number first). Compare should not throw.
template <class T, class Compare = std::less<T>>
class PriorityQueue : public BasicQueue<T, detail::HeapStorage<T, Compare>> {
public:
    using BasicQueue<T, detail::HeapStorage<T, Compare>>::BasicQueue;
};

}  // namespace concurrence::queue
