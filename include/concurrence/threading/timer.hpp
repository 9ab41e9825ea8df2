// threading.Timer: a thread that calls a function after a delay, unless cancelled first.
//
//     threading::Timer t(30s, hello, "world");     // t = threading.Timer(30.0, hello, ["world"])
//     t.start();
//     t.cancel();                                  // stops it if it is still waiting
//
// A Thread like Python's Timer (which subclasses Thread): start(), join(), is_alive(), name()
// and daemon behave as Thread's; thread() gives the Thread itself. As with Thread, destroying
// a started non-daemon Timer waits for it: for one that has not fired yet, that means the rest
// of its interval, unless it was cancelled.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "concurrence/base/timeout.hpp"
#include "concurrence/threading/event.hpp"
#include "concurrence/threading/thread.hpp"

namespace concurrence::threading {

class Timer {
public:
    template <class F, class... Args>
        requires std::invocable<std::decay_t<F>, std::decay_t<Args>...>
    Timer(Delay interval, F&& function, Args&&... args)
        : Timer(Thread::Options{}, interval, std::forward<F>(function), std::forward<Args>(args)...) {}

    template <class F, class... Args>
        requires std::invocable<std::decay_t<F>, std::decay_t<Args>...>
    Timer(Thread::Options options, Delay interval, F&& function, Args&&... args)
        : finished_(std::make_shared<Event>()),
          thread_(std::move(options), &Timer::run<std::decay_t<F>, std::decay_t<Args>...>, finished_, interval,
                  std::forward<F>(function), std::forward<Args>(args)...) {}

    // Stops the timer if its function has not started yet (Python's cancel()).
    void cancel() { finished_->set(); }

    void start() { thread_.start(); }
    void join() { thread_.join(); }
    void join(Delay timeout) { thread_.join(timeout); }
    [[nodiscard]] bool is_alive() const { return thread_.is_alive(); }
    [[nodiscard]] std::string name() const { return thread_.name(); }
    void set_name(std::string name) { thread_.set_name(std::move(name)); }
    [[nodiscard]] bool daemon() const { return thread_.daemon(); }
    void set_daemon(bool daemonic) { thread_.set_daemon(daemonic); }
    [[nodiscard]] std::optional<unsigned long> ident() const { return thread_.ident(); }
    [[nodiscard]] std::optional<unsigned long> native_id() const { return thread_.native_id(); }
    [[nodiscard]] Thread& thread() noexcept { return thread_; }

private:
    // Python's Timer.run(): wait for the interval or a cancel, then call unless cancelled.
    template <class F, class... Args>
    static void run(std::shared_ptr<Event> finished, Delay interval, F function, Args... args) {
        finished->wait(interval);
        if (!finished->is_set()) std::invoke(std::move(function), std::move(args)...);
        finished->set();
    }

    std::shared_ptr<Event> finished_;  // shared with the thread, which may outlive a daemon Timer
    Thread thread_;
};

}  // namespace concurrence::threading
