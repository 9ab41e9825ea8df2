// threading.Thread: an OS thread with Python's lifecycle, names and daemon flag.
//
//     void work(int n);
//     threading::Thread t(work, 42);                                  // Thread(target=work, args=(42,))
//     threading::Thread d({.name = "poller", .daemon = true}, poll);  // name=..., daemon=...
//     t.start();
//     t.join();
//
// Python's keyword arguments `name` and `daemon` are spelled as an optional first argument,
// Thread::Options, with designated initialisers. The target is any callable; it and its
// arguments are copied or moved in, and invoked as rvalues, exactly like std::thread.
// The target's return value is ignored; an exception escaping it goes to threading::excepthook
// (excepthook.hpp) and the process goes on.
//
// Unlike std::thread, destroying a started Thread never calls std::terminate: a non-daemon
// thread is joined (Python joins non-daemon threads at exit), a daemon thread is left running
// and owns what it uses. Thread is movable, not copyable.
//
// current_thread(), main_thread() and enumerate() hand out *views*: Thread objects on the same
// thread that never join or detach when they are destroyed. A view and the Thread that started
// the thread agree on everything (name, ident, is_alive, ...), and `a == b` says whether two
// Thread objects are the same thread.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <concepts>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "concurrence/base/errors.hpp"
#include "concurrence/base/timeout.hpp"
#include "concurrence/contextvars/contextvars.hpp"
#include "concurrence/threading/timeout_max.hpp"

namespace concurrence::threading {

namespace detail {

class ThreadState;
struct ThreadAccess;

// The target with its bound arguments, type-erased so that move-only callables work
// (std::function would demand copyable ones).
class Target {
public:
    virtual ~Target() = default;
    virtual void run() = 0;
};

template <class F, class... Args>
class BoundTarget final : public Target {
public:
    template <class G, class... A>
    explicit BoundTarget(G&& f, A&&... args) : f_(std::forward<G>(f)), args_(std::forward<A>(args)...) {}

    void run() override {
        std::apply([this](Args&... args) { std::invoke(std::move(f_), std::move(args)...); }, args_);
    }

private:
    F f_;
    std::tuple<Args...> args_;
};

}  // namespace detail

class Thread {
public:
    // Python's keyword arguments. An empty name means "Thread-N" (Python treats name="" so too);
    // no daemon means "inherit the creating thread's flag".
    // (The `= {}` let `{.name = "x"}` leave out daemon without a -Wmissing-field-initializers.)
    struct Options {
        std::string name = {};
        std::optional<bool> daemon = {};
        // Python 3.14's context=: the target runs in this context (copy_context() to start
        // from the caller's values). None: an empty one, as Python without thread_inherit_context.
        std::optional<contextvars::Context> context = {};
    };

    template <class F, class... Args>
        requires(!std::same_as<std::remove_cvref_t<F>, Options>) &&
                std::invocable<std::decay_t<F>, std::decay_t<Args>...>
    explicit Thread(F&& target, Args&&... args)
        : Thread(Options{}, std::forward<F>(target), std::forward<Args>(args)...) {}

    template <class F, class... Args>
        requires std::invocable<std::decay_t<F>, std::decay_t<Args>...>
    Thread(Options options, F&& target, Args&&... args)
        : Thread(std::move(options),
                 std::make_unique<detail::BoundTarget<std::decay_t<F>, std::decay_t<Args>...>>(
                     std::forward<F>(target), std::forward<Args>(args)...)) {}

    Thread(Thread&& other) noexcept;
    // Lets go of the thread held now (as the destructor does), then takes other's.
    Thread& operator=(Thread&& other) noexcept;
    Thread(const Thread&) = delete;
    Thread& operator=(const Thread&) = delete;
    // Joins a started non-daemon thread; leaves a daemon thread running. Views do neither.
    ~Thread();

    // Runs the target in a new thread; returns once the thread exists (ident() is then set,
    // is_alive() true), without waiting for it to be scheduled.
    // Throws RuntimeError "threads can only be started once", or "can't start new thread".
    void start();

    // Waits for the thread to end. With a timeout, returns when it ends or the timeout passes,
    // whichever comes first, and returns nothing, as Python: check is_alive() afterwards.
    // A negative timeout means 0. May be called from several threads at once, and repeatedly.
    // Throws RuntimeError "cannot join thread before it is started", "cannot join current
    // thread", "cannot join a dummy thread"; ValueError for a NaN timeout, OverflowError past
    // TIMEOUT_MAX.
    void join();
    void join(Delay timeout);

    // True from when start() returns until the target has returned (or thrown).
    [[nodiscard]] bool is_alive() const;

    [[nodiscard]] std::string name() const;
    void set_name(std::string name);

    // Throws RuntimeError "cannot set daemon status of active thread" once started.
    [[nodiscard]] bool daemon() const;
    void set_daemon(bool daemonic);

    // threading.get_ident() and get_native_id() of the thread; empty before start(), kept after
    // the thread ends (the OS may then reuse the values).
    [[nodiscard]] std::optional<unsigned long> ident() const;
    [[nodiscard]] std::optional<unsigned long> native_id() const;

    // Same thread (Python's `is`).
    friend bool operator==(const Thread& a, const Thread& b) noexcept { return a.state_ == b.state_; }

private:
    friend struct detail::ThreadAccess;

    Thread(Options options, std::unique_ptr<detail::Target> target);
    Thread(std::shared_ptr<detail::ThreadState> state, bool owner) noexcept;

    // The shared state; throws for a moved-from Thread (Python: "thread.__init__() not called").
    detail::ThreadState& state() const;
    void let_go() noexcept;

    std::shared_ptr<detail::ThreadState> state_;
    bool owner_ = false;  // false for views: they never join nor detach
};

// The Thread object of the calling thread: the one that started it, MainThread, or for a thread
// not started through Thread, a daemon "Dummy-N" view. Valid while the calling thread runs.
[[nodiscard]] Thread& current_thread();
// The thread that first used the threading module (in practice, main()'s), named "MainThread".
[[nodiscard]] Thread& main_thread();
// pthread_self() of the calling thread, as CPython's get_ident().
[[nodiscard]] unsigned long get_ident() noexcept;
// The kernel's thread id (gettid) of the calling thread.
[[nodiscard]] unsigned long get_native_id() noexcept;
// Threads alive now: those started through Thread and still running, the main thread, and the
// dummy threads of other threads that have called current_thread() and still run.
[[nodiscard]] std::size_t active_count();
// Views on those threads, in the order they became alive.
[[nodiscard]] std::vector<Thread> enumerate();

// threading.stack_size(): the stack size, in bytes, that start() gives the threads it creates
// from now on; 0 means the system's default (`ulimit -s`). stack_size(size) sets it and
// returns the previous value. Throws ValueError "size must be 0 or a positive value", or
// "size not valid: N bytes" below 32 KiB (as CPython) or for a size the system refuses.
[[nodiscard]] std::size_t stack_size() noexcept;
std::size_t stack_size(long long size);

}  // namespace concurrence::threading
