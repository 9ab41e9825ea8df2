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

#include <cstdint>
#include <string>
#include <thread>

#include "concurrence/loop/event_loop.hpp"

namespace concurrence::asyncio::detail {

class LoopBound {
public:
    LoopBound() = default;
    LoopBound(const LoopBound&) = delete;
    LoopBound& operator=(const LoopBound&) = delete;

    // "asyncio::Lock": the error messages name the object by type and address only (its
    // state may be changing in the loop's thread while another thread builds the message).
    virtual const char* type_name() const = 0;

protected:
    ~LoopBound() = default;

    void check_loop() const {
        // Loops are told apart by serial, not address (a new loop may reuse a dead one's).
        // Equal serials: the bound loop runs here, or (both 0) an unbound object is used
        // outside any loop, which is allowed.
        if (detail::t_running_serial == serial_) [[likely]]
            return;
        check_loop_slow(running_loop_or_null());
    }

private:
    void check_loop_slow(EventLoop* running) const;

    mutable std::uint64_t serial_ = 0;  // the bound loop's; 0 until bound
    mutable std::thread::id thread_;  // the bound loop's thread
};

// "<asyncio::Lock at 0x... [locked, waiters:1]>": Python's repr shape ("<asyncio::Lock at
// 0x...>" without a state).
std::string object_repr(const char* type, const void* self, const std::string& state = {});

}  // namespace concurrence::asyncio::detail
