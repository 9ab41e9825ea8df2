#include "process/sigchld.hpp"

#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <string_view>

#include "concurrence/base/errors.hpp"
#include "concurrence/base/os_error.hpp"

namespace concurrence::asyncio::subprocess::detail {

namespace {

constexpr int max_watched = 4096;
std::atomic<int> g_watched[max_watched];  // efd + 1; 0: free
std::atomic<int> g_watched_end{0};        // slots in use are below this
std::atomic<int> g_handlers_running{0};
std::mutex g_mutex;
bool g_installed = false;  // under g_mutex
struct sigaction g_previous {};

extern "C" void on_sigchld(int sig, siginfo_t* info, void* context) {
    const int saved_errno = errno;
    g_handlers_running.fetch_add(1, std::memory_order_acq_rel);
    const int end = g_watched_end.load(std::memory_order_acquire);
    for (int i = 0; i < end; ++i) {
        const int efd = g_watched[i].load(std::memory_order_acquire) - 1;
        if (efd < 0) continue;
        const std::uint64_t one = 1;
        [[maybe_unused]] ssize_t n = ::write(efd, &one, sizeof one);
    }
    g_handlers_running.fetch_sub(1, std::memory_order_acq_rel);
    if (g_previous.sa_flags & SA_SIGINFO) {
        if (g_previous.sa_sigaction) g_previous.sa_sigaction(sig, info, context);
    } else if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN) {
        g_previous.sa_handler(sig);
    }
    errno = saved_errno;
}

}  // namespace

bool children_watched_by_pidfd() {
    static const bool by_pidfd = [] {
        const char* choice = std::getenv("CONCURRENCE_CHILD_WATCHER");
        if (choice && std::string_view(choice) == "sigchld") return false;
#ifdef SYS_pidfd_open
        const long fd = ::syscall(SYS_pidfd_open, ::getpid(), 0);
        if (fd < 0) return false;
        ::close(static_cast<int>(fd));
        return true;
#else
        return false;
#endif
    }();
    return by_pidfd;
}

void sigchld_watch(int efd) {
    std::lock_guard guard(g_mutex);
    if (!g_installed) {
        struct sigaction action {};
        action.sa_sigaction = on_sigchld;
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESTART | SA_NOCLDSTOP | SA_SIGINFO;
        if (::sigaction(SIGCHLD, &action, &g_previous) != 0) throw_os_error(errno);
        g_installed = true;  // for the rest of the process: children may come at any time
    }
    for (int i = 0; i < max_watched; ++i) {
        int expected = 0;
        if (g_watched[i].compare_exchange_strong(expected, efd + 1, std::memory_order_acq_rel)) {
            if (i >= g_watched_end.load(std::memory_order_relaxed))
                g_watched_end.store(i + 1, std::memory_order_release);
            return;
        }
    }
    throw RuntimeError("too many child processes watched by SIGCHLD at once");
}

void sigchld_unwatch(int efd) noexcept {
    std::lock_guard guard(g_mutex);
    for (int i = 0; i < g_watched_end.load(std::memory_order_relaxed); ++i) {
        if (g_watched[i].load(std::memory_order_relaxed) != efd + 1) continue;
        g_watched[i].store(0, std::memory_order_release);
        // A handler that read efd before the store may still write to it.
        while (g_handlers_running.load(std::memory_order_acquire) != 0) ::sched_yield();
        return;
    }
}

}  // namespace concurrence::asyncio::subprocess::detail
