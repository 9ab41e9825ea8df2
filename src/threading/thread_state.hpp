// What a threading::Thread and all its views share: the thread's lifecycle, name and flags.
//
// A started thread owns a reference to its state until it ends, so a daemon thread whose
// Thread object was destroyed never touches freed memory.
#pragma once

#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "concurrence/threading/thread.hpp"

namespace concurrence::threading::detail {

class ThreadState {
public:
    enum class Kind {
        started_here,  // created by a Thread, runs its target
        main,          // the main thread
        dummy,         // a thread we did not start, seen through current_thread()
    };

    // A thread to start later with start().
    ThreadState(std::string name, bool daemon, std::unique_ptr<Target> target);
    // The calling thread, already running: main or dummy.
    ThreadState(Kind kind, std::string name, bool daemon);
    ThreadState(const ThreadState&) = delete;
    ThreadState& operator=(const ThreadState&) = delete;
    ~ThreadState();

    void start(const std::shared_ptr<ThreadState>& self);
    // timeout empty: no timeout.
    void join(std::optional<Delay> timeout);
    // The owning Thread object goes away: join a non-daemon thread, detach a daemon one.
    void let_go() noexcept;
    // A dummy thread's end, seen from its thread_local destructor.
    void mark_finished();

    bool is_alive() const;
    std::string name() const;
    void set_name(std::string name);
    bool daemon() const;
    void set_daemon(bool daemonic);
    std::optional<unsigned long> ident() const;
    std::optional<unsigned long> native_id() const;

private:
    enum class Phase { initial, running, finished };

    // The new thread's entry point; `arg` is the ThreadState, whose self_ it adopts.
    static void* bootstrap(void* arg);
    // Python's threading._shutdown, run by exit() (main returning): waits for every non-daemon
    // thread started through Thread, even one whose Thread object was leaked.
    static void wait_for_non_daemon_threads();
    void enter_running();
    // Creates the OS thread; false if the system refused.
    bool spawn(const std::shared_ptr<ThreadState>& self);
    // Joins the OS thread unless joined or detached already; under handle_mutex_.
    void join_handle() noexcept;
    bool wait_finished(std::optional<Delay> timeout);
    // Joins the OS thread once, whoever asks first; it has finished our part already.
    void reap();
    // join() without a timeout: waits for the OS thread's end, and joins it.
    void wait_and_reap();

    const Kind kind_;
    mutable std::mutex mutex_;
    mutable std::condition_variable phase_changed_;
    Phase phase_ = Phase::initial;
    std::string name_;
    bool daemon_;
    // 0 until known. Atomics, not under mutex_: the starting thread and the new one both
    // write them as the thread starts, and a lock there would make them wait for each other.
    std::atomic<unsigned long> ident_{0};
    std::atomic<unsigned long> native_id_{0};
    // The name the new thread gives its OS thread: copied by start(), read by the new thread.
    std::string os_name_;

    // Set before start(), then used and destroyed by the thread alone.
    std::unique_ptr<Target> target_;
    // The started thread's reference to its state, handed over through pthread_create (one
    // allocation fewer than std::thread's).
    std::shared_ptr<ThreadState> self_;

    // Guard the OS handle alone, so that a long join never blocks readers of the state above.
    std::mutex handle_mutex_;
    pthread_t handle_{};
    bool joinable_ = false;  // started here, and neither joined nor detached yet
};

// threading.stack_size(): 0 for the system's default.
std::size_t configured_stack_size() noexcept;

// The private side of Thread, for src/threading.
struct ThreadAccess {
    static Thread view(std::shared_ptr<ThreadState> state) noexcept { return Thread(std::move(state), false); }
    static ThreadState* state(const Thread& thread) noexcept { return thread.state_.get(); }
};

}  // namespace concurrence::threading::detail
