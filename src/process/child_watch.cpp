#include "process/child_watch.hpp"

#include <signal.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <thread>

#include "base/write_stderr.hpp"
#include "concurrence/base/os_error.hpp"
#include "net/retry_eintr.hpp"
#include "process/sigchld.hpp"

namespace concurrence::asyncio::subprocess::detail {

namespace {

// Python's returncode: the exit code, or -N for a death by signal N.
int returncode_of(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return -WTERMSIG(status);
    return status;
}

int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
    const long fd = ::syscall(SYS_pidfd_open, pid, 0);  // close-on-exec by itself
    if (fd < 0) throw_os_error(errno);
    return static_cast<int>(fd);
#else
    (void)pid;
    throw_os_error(ENOSYS);
#endif
}

}  // namespace

std::shared_ptr<ChildWatch> ChildWatch::start(EventLoop& loop, pid_t pid) {
    std::shared_ptr<ChildWatch> watch(new ChildWatch(loop, pid));
    watch->by_pidfd_ = children_watched_by_pidfd();
    if (watch->by_pidfd_) {
        watch->fd_ = open_pidfd(pid);
    } else {
        watch->fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (watch->fd_ < 0) throw_os_error(errno);
        try {
            sigchld_watch(watch->fd_);
        } catch (...) {
            ::close(std::exchange(watch->fd_, -1));
            throw;
        }
    }
    try {
        loop.claim_fd(watch->fd_, watch.get());
        try {
            loop.poller().add(watch->fd_, io::readable, io::Trigger::level, watch.get());
        } catch (...) {
            loop.release_fd(watch->fd_);
            throw;
        }
    } catch (...) {
        if (!watch->by_pidfd_) sigchld_unwatch(watch->fd_);
        ::close(std::exchange(watch->fd_, -1));
        throw;
    }
    watch->self_ = watch;
    // A SIGCHLD that came before the eventfd was watched said nothing to it: look once now.
    if (!watch->by_pidfd_) watch->io_event(io::readable);
    return watch;
}

ChildWatch::~ChildWatch() { stop_watching(); }

void ChildWatch::stop_watching() noexcept {
    if (fd_ < 0) return;
    loop_.poller().remove(fd_);
    loop_.release_fd(fd_);
    if (!by_pidfd_) sigchld_unwatch(fd_);
    ::close(std::exchange(fd_, -1));
}

// Inside the poller's walk: only schedule (the reap removes the registration).
void ChildWatch::io_event(std::uint32_t) {
    if (reap_scheduled_ || returncode_) return;
    reap_scheduled_ = true;
    loop_.call_soon([self = shared_from_this()] {
        self->reap_scheduled_ = false;
        self->try_reap();
    });
}

void ChildWatch::try_reap() {
    if (returncode_) return;
    if (!by_pidfd_) {
        std::uint64_t count;
        [[maybe_unused]] ssize_t n = ::read(fd_, &count, sizeof count);  // level-triggered: drain it
    }
    int status = 0;
    const pid_t r = net::detail::retry_eintr([&] { return ::waitpid(pid_, &status, WNOHANG); });
    if (r == 0) return;  // not yet (another child's SIGCHLD)
    if (r < 0) {
        // Someone else reaped it (a waitpid(-1) elsewhere, or SIGCHLD ignored): Python's
        // "Unknown child process pid %d, will report returncode 255".
        concurrence::detail::write_stderr("asyncio: Unknown child process pid " + std::to_string(pid_) +
                                          ", will report returncode 255\n");
        reaped(255);
        return;
    }
    reaped(returncode_of(status));
}

void ChildWatch::reaped(int returncode) {
    const std::shared_ptr<ChildWatch> keep = std::move(self_);
    returncode_ = returncode;
    stop_watching();
    std::vector<Future<int>> waiters = std::move(waiters_);
    waiters_.clear();
    for (Future<int>& f : waiters)
        if (!f.done()) f.set_result(returncode);
}

void ChildWatch::loop_closing() noexcept {
    const std::shared_ptr<ChildWatch> keep = std::move(self_);
    stop_watching();
    waiters_.clear();  // their loop is closing: nobody will run them
    if (returncode_) return;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        returncode_ = returncode_of(status);
        return;
    }
    if (loop_.get_debug())
        concurrence::detail::write_stderr("asyncio: Close running child process: kill pid " + std::to_string(pid_) +
                                          "\n");
    if (auto rc = kill_and_reap(pid_)) {
        returncode_ = rc;
        return;
    }
    // Not ours to kill any more (e.g. it changed its credentials): reaped when it ends.
    const pid_t pid = pid_;
    try {
        std::thread([pid] {
            int ignored;
            net::detail::retry_eintr([&] { return ::waitpid(pid, &ignored, 0); });
        }).detach();
    } catch (...) {
    }
}

std::optional<int> kill_and_reap(pid_t pid) noexcept {
    if (::kill(pid, SIGKILL) != 0) return std::nullopt;
    int status = 0;
    const pid_t r = net::detail::retry_eintr([&] { return ::waitpid(pid, &status, 0); });
    return r == pid ? returncode_of(status) : 255;
}

void ChildWatch::add_waiter(Future<int> f) {
    std::erase_if(waiters_, [](const Future<int>& w) { return w.done(); });  // cancelled waits
    waiters_.push_back(std::move(f));
}

void ChildWatch::send_signal(int sig) {
    // A reaped child's pid may already be another process's.
    if (returncode_) throw ProcessLookupError(std::string());
    if (::kill(pid_, sig) != 0) throw_os_error(errno);
}

Coro<int> wait_for_exit(std::shared_ptr<ChildWatch> watch) {
    if (auto rc = watch->returncode()) co_return *rc;
    Future<int> exited = watch->loop().create_future<int>();
    watch->add_waiter(exited);
    co_return co_await exited;
}

}  // namespace concurrence::asyncio::subprocess::detail
