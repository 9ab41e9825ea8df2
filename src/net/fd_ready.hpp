// Waiting for a descriptor to become readable or writable, the way Python's sock_* operations
// do: an add_reader/add_writer callback that wakes the task, removed when it fires or when the
// task is cancelled (so a cancelled wait leaves nothing registered).
#pragma once

#include <coroutine>
#include <string>

#include "concurrence/loop/event_loop.hpp"
#include "concurrence/task/task_core.hpp"

namespace concurrence::net::detail {

class FdReady : public asyncio::detail::TaskWait {
public:
    FdReady(asyncio::EventLoop& loop, int fd, bool writable) : loop_(loop), fd_(fd), writable_(writable) {}

    bool await_ready() const noexcept { return false; }
    template <class P>
    void await_suspend(std::coroutine_handle<P> h, unsigned line = __builtin_LINE()) {
        ::concurrence::asyncio::detail::note_suspension(h, line);
        auto wake_up = [this] {
            stop_watching();
            wake();
        };
        if (writable_)
            loop_.add_writer(fd_, wake_up);
        else
            loop_.add_reader(fd_, wake_up);
        suspend(h);
    }
    void await_resume() { resume_checks(); }

    const char* wait_kind() const noexcept override { return writable_ ? "socket writable" : "socket readable"; }
    bool cancel_wait(asyncio::detail::TaskCore& task, const std::string&) override {
        stop_watching();
        wake_cancelled(task);
        return true;
    }

private:
    void stop_watching() {
        if (writable_)
            loop_.remove_writer(fd_);
        else
            loop_.remove_reader(fd_);
    }

    asyncio::EventLoop& loop_;
    int fd_;
    bool writable_;
};

}  // namespace concurrence::net::detail
