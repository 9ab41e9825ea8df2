// What the event loop runs: an entry of its ready queue, which may also be the target of a timer.
// Tasks and callback handles are Runnables; the loop knows nothing else about them.
#pragma once

#include <cstdint>

namespace concurrence::asyncio {
class EventLoop;
}

namespace concurrence::asyncio::detail {

class Runnable {
public:
    Runnable() = default;
    Runnable(const Runnable&) = delete;
    Runnable& operator=(const Runnable&) = delete;

    // One step: a task step or a callback. The ready queue's reference (if any) is the
    // callee's to drop.
    virtual void run() = 0;

    // Timer protocol. An armed timer holds one reference to its target, identified by the
    // timer's sequence number; a timer that was cancelled stays in the heap until it is due
    // or the heap is compacted, and is then "stale".
    virtual bool timer_stale(std::uint64_t seq) const = 0;
    // A due, live timer: the target takes over the timer's reference.
    virtual void timer_fired(EventLoop& loop, std::uint64_t seq) = 0;
    // A stale timer is dropped: release its reference.
    virtual void timer_release() = 0;

    // The loop closes: a ready-queue entry is dropped without running (release what the queue
    // held), and a pending task is let go (the loop's reference is dropped).
    virtual void discard_ready() {}
    virtual void abandon() {}

    Runnable* next_ready_ = nullptr;  // intrusive link of the ready queue

protected:
    ~Runnable() = default;
};

// FIFO of Runnables, intrusive: scheduling never allocates.
class ReadyQueue {
public:
    bool empty() const { return head_ == nullptr; }
    void push(Runnable* r) {
        r->next_ready_ = nullptr;
        *tail_ = r;
        tail_ = &r->next_ready_;
    }
    // Takes every entry at once: what is scheduled while they run waits for the next batch.
    Runnable* take_all() {
        Runnable* h = head_;
        head_ = nullptr;
        tail_ = &head_;
        return h;
    }

private:
    Runnable* head_ = nullptr;
    Runnable** tail_ = &head_;
};

}  // namespace concurrence::asyncio::detail
