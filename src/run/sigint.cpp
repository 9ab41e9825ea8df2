// Ctrl-C during Runner::run: Python's Runner._on_sigint. The handler only counts and wakes
// the loop (async-signal-safe); the cancellation itself runs on the loop's thread.
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <exception>

#include "concurrence/run/runner.hpp"
#include "loop/signal_hub.hpp"

namespace concurrence::asyncio::detail {

namespace {
std::atomic<EventLoop*> g_interrupted_loop{nullptr};
std::atomic<int> g_interrupts{0};
struct sigaction g_previous_action;

static_assert(std::atomic<EventLoop*>::is_always_lock_free && std::atomic<int>::is_always_lock_free,
              "the SIGINT handler needs lock-free atomics");

extern "C" void on_sigint(int) {
    if (g_interrupts.fetch_add(1, std::memory_order_acq_rel) >= 1) {
        // The second Ctrl-C: the program did not stop in time; end it now.
        ::signal(SIGINT, SIG_DFL);
        ::raise(SIGINT);
        return;
    }
    if (EventLoop* loop = g_interrupted_loop.load(std::memory_order_acquire)) loop->interrupt_from_signal();
}

bool on_main_thread() { return ::getpid() == static_cast<pid_t>(::syscall(SYS_gettid)); }

std::terminate_handler g_previous_terminate = nullptr;

[[noreturn]] void terminate_by_sigint() {
    if (std::exception_ptr e = std::current_exception()) {
        try {
            std::rethrow_exception(e);
        } catch (const KeyboardInterrupt&) {
            std::fputs("KeyboardInterrupt\n", stderr);
            std::fflush(stderr);
            ::signal(SIGINT, SIG_DFL);
            ::raise(SIGINT);
        } catch (...) {
        }
    }
    if (g_previous_terminate) g_previous_terminate();
    std::abort();
}
}  // namespace

SigintScope::SigintScope(EventLoop& loop, TaskRef main) : loop_(loop), main_(std::move(main)) {
    if (!on_main_thread()) return;
    struct sigaction current;
    if (::sigaction(SIGINT, nullptr, &current) != 0 || current.sa_handler != SIG_DFL) return;  // the program's own
    g_interrupts.store(0, std::memory_order_relaxed);
    g_interrupted_loop.store(&loop, std::memory_order_release);
    loop.set_interrupt_callback([this] {
        if (!main_.done()) main_.cancel();
    });
    struct sigaction action {};
    action.sa_handler = on_sigint;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    installed_ = ::sigaction(SIGINT, &action, &g_previous_action) == 0;
}

SigintScope::~SigintScope() {
    if (!installed_) return;
    // Python restores only its own handler. If the loop's add_signal_handler(SIGINT) took
    // over, the loop puts back the program's action (not this one) when it lets go.
    if (!detail::signal_hub::replace_saved_action(SIGINT, on_sigint, g_previous_action))
        ::sigaction(SIGINT, &g_previous_action, nullptr);
    g_interrupted_loop.store(nullptr, std::memory_order_release);
    loop_.set_interrupt_callback(nullptr);
}

int SigintScope::interrupts() const { return installed_ ? g_interrupts.load(std::memory_order_acquire) : 0; }

void exit_by_sigint_if_uncaught() {
    static std::atomic<bool> armed{false};
    if (armed.exchange(true)) return;
    g_previous_terminate = std::set_terminate(terminate_by_sigint);
}

}  // namespace concurrence::asyncio::detail
