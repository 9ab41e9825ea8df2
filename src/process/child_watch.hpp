// One child process on its loop: waits for it to exit (its pidfd, or an eventfd the SIGCHLD
// handler signals), reaps it exactly once with waitpid(pid, WNOHANG), and gives wait() its
// return code (Python's _process_exited). If the loop closes first, the child is killed and
// reaped, as Python's collected subprocess transport does.
//
// Lifetime: shared. The watch holds itself while it watches; Process handles share it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "concurrence/loop/event_loop.hpp"
#include "concurrence/task/coro.hpp"
#include "concurrence/task/future.hpp"
#include "io/poller.hpp"

namespace concurrence::asyncio::subprocess::detail {

class ChildWatch final : public std::enable_shared_from_this<ChildWatch>,
                         private io::IoSource,
                         private asyncio::detail::FdOwner {
public:
    // pid: a child of this process, not reaped. Throws OSError if it cannot be watched (the
    // caller then owns the child still).
    static std::shared_ptr<ChildWatch> start(EventLoop& loop, pid_t pid);
    ChildWatch(const ChildWatch&) = delete;
    ChildWatch& operator=(const ChildWatch&) = delete;
    ~ChildWatch();

    pid_t pid() const { return pid_; }
    std::optional<int> returncode() const { return returncode_; }
    EventLoop& loop() const { return loop_; }
    // f gets the return code when the child is reaped (unless cancelled meanwhile).
    void add_waiter(Future<int> f);
    void send_signal(int sig);

private:
    ChildWatch(EventLoop& loop, pid_t pid) : loop_(loop), pid_(pid) {}
    void io_event(std::uint32_t events) override;
    void loop_closing() noexcept override;
    void try_reap();
    void reaped(int returncode);
    void stop_watching() noexcept;

    EventLoop& loop_;
    const pid_t pid_;
    int fd_ = -1;  // the pidfd, or the eventfd of the SIGCHLD watcher
    bool by_pidfd_ = true;
    bool reap_scheduled_ = false;
    std::optional<int> returncode_;
    std::vector<Future<int>> waiters_;
    std::shared_ptr<ChildWatch> self_;  // while watching
};

// SIGKILL, then a blocking waitpid: the return code (255 if waitpid failed), or nullopt if
// the kill was refused. For a child nobody else reaps; blocks while it dies.
std::optional<int> kill_and_reap(pid_t pid) noexcept;

// Process.wait(): the return code, once the child is reaped.
Coro<int> wait_for_exit(std::shared_ptr<ChildWatch> watch);

}  // namespace concurrence::asyncio::subprocess::detail
