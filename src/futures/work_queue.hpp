// The work queue of a ThreadPoolExecutor: an intrusive FIFO of task states (Python's
// SimpleQueue of _WorkItems).
//
// The submitters' end is Vyukov's MPSC push: one atomic exchange on the tail and one store, so
// submitters never wait for each other nor for a worker. The consumers' end is Michael and
// Scott's: the queue always holds one node, the dummy (at first the queue's own stub), and a
// pop moves past it to the next node, which becomes the dummy in turn. So a worker never writes
// the submitters' tail (Vyukov's consumer puts its stub back there whenever the queue runs
// empty, which costs the next submit two cache misses), and the submitters write only the
// node they link to. The workers take turns at the consumers' end (`consumer_lock`, held for a
// few instructions).
//
// References: a pushed task state carries two references for the queue: one for the worker
// that pops it (its to run and release), one for its time as the dummy, released by the pop
// that moves past it (or by the queue's destructor).
//
// A push has two steps (swing the tail, then link the previous node); between them the queue is
// "busy": the item is there but cannot be reached yet. A worker must not go to sleep on a busy
// queue: the pushing thread is about to finish.
//
// Thread safety: push() from any thread; try_pop() under the consumer lock; looks_empty() from
// any thread (a hint).
#pragma once

#include <atomic>

#include "concurrence/futures/future_state.hpp"
#include "concurrence/threading/lock.hpp"

namespace concurrence::futures::detail {

class WorkQueue {
public:
    WorkQueue() = default;
    WorkQueue(const WorkQueue&) = delete;
    WorkQueue& operator=(const WorkQueue&) = delete;
    ~WorkQueue() { release_dummy(head_.load(std::memory_order_relaxed)); }

    // `task` carries the queue's two references. seq_cst: a worker that announced it sleeps and
    // then found the queue empty is seen by the pusher's next look at the sleepers
    // (IdleWorkers::wake_one).
    void push(StateCore* task) noexcept {
        QueueLink* node = task;
        node->next_in_queue.store(nullptr, std::memory_order_relaxed);
        QueueLink* prev = tail_.exchange(node, std::memory_order_seq_cst);
        prev->next_in_queue.store(node, std::memory_order_release);
    }

    enum class Pop { item, empty, busy };

    // Under consumer_lock. On Pop::item, `out` holds the popper's reference and `former_dummy`
    // the node that was the dummy: pass it to release_dummy() once the lock is released.
    Pop try_pop(StateCore*& out, QueueLink*& former_dummy) noexcept {
        QueueLink* dummy = head_.load(std::memory_order_relaxed);
        QueueLink* next = dummy->next_in_queue.load(std::memory_order_acquire);
        if (!next) return tail_.load(std::memory_order_seq_cst) == dummy ? Pop::empty : Pop::busy;
        head_.store(next, std::memory_order_relaxed);
        former_dummy = dummy;
        out = static_cast<StateCore*>(next);
        return Pop::item;
    }

    // Drops the queue's reference to a node that is no longer the dummy.
    void release_dummy(QueueLink* dummy) noexcept {
        if (dummy != &stub_) static_cast<StateCore*>(dummy)->release();
    }

    // False when something is (or is about to be) in the queue. Any thread; no lock.
    bool looks_empty() const noexcept {
        return tail_.load(std::memory_order_relaxed) == head_.load(std::memory_order_relaxed);
    }

    // The consumers' end.
    alignas(64) threading::Lock consumer_lock;

private:
    QueueLink stub_;
    std::atomic<QueueLink*> head_{&stub_};  // the dummy; written under consumer_lock
    alignas(64) std::atomic<QueueLink*> tail_{&stub_};  // the submitters' end
};

}  // namespace concurrence::futures::detail
