// asyncio::Runner and asyncio::run: Python's asyncio.Runner / asyncio.run.
//
//   int main() { return asyncio::run(amain()); }
//
//   asyncio::Runner runner;              // with asyncio.Runner() as runner:
//   runner.run(first());                 //     runner.run(first())
//   runner.run(second());                //     runner.run(second())   (same loop)
//                                        // closed at the end of the scope
//
// run(coro) runs the coroutine as the main task of the runner's loop. Closing the runner
// cancels every task still pending, waits for their cleanup, reports their errors, and
// closes the loop.
// SIGINT (Ctrl-C), on the main thread and when the program has not set its own handler:
// the first one cancels the main task, which runs its cleanup; run() then throws
// KeyboardInterrupt. A second SIGINT ends the process at once. A KeyboardInterrupt nobody
// catches ends the process as Python's does: killed by SIGINT (exit status 130 in a shell).
#pragma once

#include <memory>
#include <optional>
#include <utility>

#include "concurrence/base/errors.hpp"
#include "concurrence/loop/event_loop.hpp"
#include "concurrence/task/coro.hpp"
#include "concurrence/task/current_task.hpp"
#include "concurrence/task/task.hpp"

namespace concurrence::asyncio {

// asyncio.run(main, debug=...) / Runner(debug=...): none keeps the loop's default
// (CONCURRENCE_DEBUG).
struct RunOptions {
    std::optional<bool> debug = std::nullopt;
    // The loop's I/O backend (concurrence/loop/backend.hpp), Python's loop_factory in small.
    Backend backend = Backend::automatic;
};

namespace detail {
// Cancels what is left, lets it clean up, reports what failed (Python's _cancel_all_tasks).
void cancel_all_tasks(EventLoop& loop);

// While alive (on the main thread, if SIGINT has its default action): SIGINT cancels `main`.
class SigintScope {
public:
    SigintScope(EventLoop& loop, TaskRef main);
    ~SigintScope();
    SigintScope(const SigintScope&) = delete;
    int interrupts() const;

private:
    EventLoop& loop_;
    TaskRef main_;
    bool installed_ = false;
};

// An uncaught KeyboardInterrupt from now on ends the process by SIGINT, as Python's does.
void exit_by_sigint_if_uncaught();
}  // namespace detail

class Runner {
public:
    explicit Runner(RunOptions options = {}) : options_(options) {}
    ~Runner() {
        try {
            close();
        } catch (...) {  // close() reports task errors itself; nothing else may escape
        }
    }
    Runner(const Runner&) = delete;
    Runner& operator=(const Runner&) = delete;

    // Runs coro as the main task until it completes; its result or exception.
    template <class T>
    T run(Coro<T> coro) {
        if (running_loop_or_null()) throw RuntimeError("Runner.run() cannot be called from a running event loop");
        EventLoop& loop = get_loop();
        Task<T> task = loop.create_task(std::move(coro));
        detail::SigintScope sigint(loop, TaskRef(task.core()));
        try {
            return loop.run_until_complete(task);
        } catch (const CancelledError&) {
            // Python: the cancellation came from Ctrl-C (and nothing else): KeyboardInterrupt.
            if (sigint.interrupts() > 0 && task.uncancel() == 0) {
                detail::exit_by_sigint_if_uncaught();
                throw KeyboardInterrupt();
            }
            throw;
        }
    }

    // Cancels the tasks left, waits for them, closes the loop. Idempotent.
    void close();

    // The runner's loop (created on first use). RuntimeError("Runner is closed") after close().
    EventLoop& get_loop();

private:
    RunOptions options_;
    std::unique_ptr<EventLoop> loop_;
    bool closed_ = false;
};

namespace detail {
void check_no_running_loop();
}

// Python's asyncio.run(main, debug=None).
template <class T>
T run(Coro<T> main, RunOptions options = {}) {
    detail::check_no_running_loop();
    Runner runner(options);
    if constexpr (std::is_void_v<T>) {
        runner.run(std::move(main));
        runner.close();
    } else {
        T result = runner.run(std::move(main));
        runner.close();
        return result;
    }
}

}  // namespace concurrence::asyncio
