#include "loop/signal_hub.hpp"

#include <sched.h>
#include <signal.h>

#include <atomic>
#include <cerrno>
#include <mutex>
#include <string>

#include "concurrence/base/errors.hpp"
#include "concurrence/loop/event_loop.hpp"

namespace concurrence::asyncio::detail::signal_hub {

namespace {

// Loops per signal: a handful in practice (Python allows one, the main thread's).
constexpr int max_loops_per_signal = 8;

struct SignalEntry {
    std::atomic<EventLoop*> loops[max_loops_per_signal] = {};
    int subscribers = 0;           // under g_mutex
    struct sigaction previous {};  // under g_mutex: the action before the first subscriber
};

SignalEntry g_entries[NSIG];
std::mutex g_mutex;                      // subscribe / unsubscribe (never the handler)
std::atomic<int> g_handlers_running{0};  // handlers between reading a loop and being done with it

static_assert(std::atomic<EventLoop*>::is_always_lock_free && std::atomic<int>::is_always_lock_free,
              "signal handlers need lock-free atomics");

extern "C" void on_signal(int sig) {
    const int saved_errno = errno;
    g_handlers_running.fetch_add(1, std::memory_order_acq_rel);
    for (auto& slot : g_entries[sig].loops)
        if (EventLoop* loop = slot.load(std::memory_order_acquire)) loop->signal_from_handler(sig);
    g_handlers_running.fetch_sub(1, std::memory_order_acq_rel);
    errno = saved_errno;
}

}  // namespace

void subscribe(int sig, EventLoop* loop) {
    std::lock_guard guard(g_mutex);
    SignalEntry& entry = g_entries[sig];
    for (auto& slot : entry.loops)
        if (slot.load(std::memory_order_relaxed) == loop) return;
    std::atomic<EventLoop*>* free_slot = nullptr;
    for (auto& slot : entry.loops)
        if (!slot.load(std::memory_order_relaxed)) {
            free_slot = &slot;
            break;
        }
    if (!free_slot)
        throw RuntimeError("sig " + std::to_string(sig) + " is already handled by " +
                           std::to_string(max_loops_per_signal) + " event loops");
    if (entry.subscribers == 0) {
        struct sigaction action {};
        action.sa_handler = on_signal;
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESTART;
        if (::sigaction(sig, &action, &entry.previous) != 0) {
            const int err = errno;
            if (err == EINVAL) throw RuntimeError("sig " + std::to_string(sig) + " cannot be caught");
            throw_os_error(err);
        }
    }
    free_slot->store(loop, std::memory_order_release);
    ++entry.subscribers;
}

void unsubscribe(int sig, EventLoop* loop) noexcept {
    std::lock_guard guard(g_mutex);
    SignalEntry& entry = g_entries[sig];
    for (auto& slot : entry.loops) {
        if (slot.load(std::memory_order_relaxed) != loop) continue;
        slot.store(nullptr, std::memory_order_release);
        if (--entry.subscribers == 0) ::sigaction(sig, &entry.previous, nullptr);
        // A handler that read the loop before the store may still be using it.
        while (g_handlers_running.load(std::memory_order_acquire) != 0) ::sched_yield();
        return;
    }
}

bool replace_saved_action(int sig, void (*stale)(int), const struct sigaction& instead) noexcept {
    std::lock_guard guard(g_mutex);
    SignalEntry& entry = g_entries[sig];
    if (entry.subscribers == 0) return false;
    if (!(entry.previous.sa_flags & SA_SIGINFO) && entry.previous.sa_handler == stale) entry.previous = instead;
    return true;
}

void ignore_sigpipe_once() noexcept {
    static const bool done = [] {
        struct sigaction current {};
        if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL &&
            !(current.sa_flags & SA_SIGINFO))
            ::signal(SIGPIPE, SIG_IGN);
        return true;
    }();
    (void)done;
}

}  // namespace concurrence::asyncio::detail::signal_hub
