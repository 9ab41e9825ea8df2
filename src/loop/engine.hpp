// The loop's private state beside the ready queue: timers, the poller, the cross-thread queue,
// watched descriptors and signal handlers (shared by the loop's source files).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "concurrence/loop/event_loop.hpp"
#include "io/poller.hpp"
#include "loop/fd_watch.hpp"
#include "loop/timer_queue.hpp"

namespace concurrence::asyncio {

struct EventLoop::Engine {
    detail::TimerQueue timers;
    std::uint64_t next_seq = 1;
    std::size_t cancelled_timers = 0;
    explicit Engine(Backend backend) : poller(io::make_poller(static_cast<io::Kind>(backend))) {}
    std::unique_ptr<io::Poller> poller;

    // call_soon_threadsafe: handles posted by other threads.
    std::mutex posted_mutex;
    std::vector<detail::Runnable*> posted;
    std::vector<detail::Runnable*> draining;  // swapped with `posted` to drain outside the lock
    std::atomic<bool> wakeup_pending{false};

    // add_reader/add_writer callbacks by descriptor, and the descriptors transports own.
    std::unordered_map<int, std::unique_ptr<detail::FdWatch>> fd_watches;
    std::unordered_map<int, detail::FdOwner*> transport_fds;

    // add_signal_handler's callbacks by signal number (src/loop/signal_handlers.cpp).
    std::unordered_map<int, detail::HandleCore*> signal_handlers;
};

}  // namespace concurrence::asyncio
