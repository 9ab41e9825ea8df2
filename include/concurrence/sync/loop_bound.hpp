// Python's _LoopBoundMixin, made strict: a synchronization primitive or queue belongs to one
// event loop, and so to that loop's thread. The first operation made inside a running loop
// binds the object to it; from then on, an operation from another loop, or from another
// thread, throws RuntimeError instead of racing with the loop (the objects are not
// thread-safe, as in Python). Operations outside any loop, before the first binding, are
// allowed (Python programs fill queues before asyncio.run).
//
// Python binds at the first *wait* only; binding at the first use catches a cross-thread
// race even when no task ever waited.
#pragma once

#include <string>
#include <thread>

#include "concurrence/loop/event_loop.hpp"

namespace concurrence::asyncio::detail {

class LoopBound {
public:
    LoopBound() = default;
    LoopBound(const LoopBound&) = delete;
    LoopBound& operator=(const LoopBound&) = delete;

    // Python's repr, used by the error messages.
    virtual std::string repr() const = 0;

protected:
    ~LoopBound() = default;

    void check_loop() const {
        EventLoop* running = running_loop_or_null();
        if (running == loop_ && running) return;
        check_loop_slow(running);
    }

private:
    void check_loop_slow(EventLoop* running) const;

    mutable EventLoop* loop_ = nullptr;
    mutable std::thread::id thread_;  // the bound loop's thread
};

// "<asyncio::Lock at 0x... [locked, waiters:1]>": Python's repr shape.
std::string object_repr(const char* type, const void* self, const std::string& state);

}  // namespace concurrence::asyncio::detail
