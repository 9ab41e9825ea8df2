// What the event loop runs: an entry of its ready queue, which may also be the target of a timer.
// Tasks and callback handles are Runnables; the loop knows nothing else about them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

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

    // Python's repr of what the loop runs, for debug reports ("Executing <Task pending
    // name='Task-1' coro=<main() running at main.cpp:7>> took 0.150 seconds").
    virtual std::string describe() const { return "<Handle>"; }

protected:
    ~Runnable() = default;
};

// FIFO of Runnables: a ring of pointers that doubles when full. An array rather than a linked
// list so that the loop can prefetch the entries it will run next: running a million ready
// tasks is otherwise one cache miss after another.
class ReadyQueue {
public:
    ReadyQueue() : ring_(new Runnable*[initial_capacity]()), mask_(initial_capacity - 1) {}
    ReadyQueue(const ReadyQueue&) = delete;
    ReadyQueue& operator=(const ReadyQueue&) = delete;
    ~ReadyQueue() { delete[] ring_; }

    bool empty() const { return head_ == tail_; }
    std::size_t size() const { return tail_ - head_; }
    void push(Runnable* r) {
        if (tail_ - head_ > mask_) grow();
        ring_[tail_++ & mask_] = r;
    }
    // Requires !empty().
    Runnable* pop() { return ring_[head_++ & mask_]; }
    // The entry `ahead` places after the head; requires ahead < size() (slots past the tail
    // are not initialized).
    Runnable* peek(std::size_t ahead) const { return ring_[(head_ + ahead) & mask_]; }

private:
    static constexpr std::size_t initial_capacity = 1024;

    void grow() {
        const std::size_t capacity = (mask_ + 1) * 2;
        auto* ring = new Runnable*[capacity];  // not zeroed: only what is copied is read
        for (std::size_t i = head_; i != tail_; ++i) ring[i - head_] = ring_[i & mask_];
        tail_ -= head_;
        head_ = 0;
        delete[] ring_;
        ring_ = ring;
        mask_ = capacity - 1;
    }

    Runnable** ring_;
    std::size_t mask_;  // the capacity (a power of two) minus one: the ring is full past it
    std::size_t head_ = 0;
    std::size_t tail_ = 0;
};

}  // namespace concurrence::asyncio::detail
