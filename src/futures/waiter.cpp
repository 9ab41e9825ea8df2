// Python's _AsCompletedWaiter, _FirstCompletedWaiter and _AllCompletedWaiter in one class.
#include "futures/waiter.hpp"

#include <chrono>
#include <utility>

#include "futures/futex_wait.hpp"

namespace concurrence::futures::detail {

Waiter::Waiter(Mode mode, std::size_t count) : mode_(mode), pending_calls_(count), links_(count) {
    finished_.reserve(count);  // add_* run under a future's lock: they must not allocate
    for (std::size_t i = 0; i < count; ++i) {
        links_[i].waiter = this;
        links_[i].index = i;
    }
}

Waiter::~Waiter() = default;

void Waiter::watch(StateCore& state, std::size_t index) { state.add_waiter(links_[index]); }

void Waiter::unwatch(StateCore& state, std::size_t index) noexcept { state.remove_waiter(links_[index]); }

void Waiter::record_locked(std::size_t index) {
    finished_.push_back(index);  // never beyond the reserved count: each future reports once
}

void Waiter::set_event_locked() {
    event_ = true;
    event_set_.notify_all();
}

void Waiter::count_down_locked() {
    if (--pending_calls_ == 0) set_event_locked();
}

void Waiter::add_result(std::size_t index) noexcept {
    std::lock_guard lock(mutex_);
    record_locked(index);
    if (mode_ == Mode::as_completed || mode_ == Mode::first_completed)
        set_event_locked();
    else
        count_down_locked();
}

void Waiter::add_exception(std::size_t index) noexcept {
    std::lock_guard lock(mutex_);
    record_locked(index);
    if (mode_ == Mode::all_completed)
        count_down_locked();
    else
        set_event_locked();  // as_completed, first_completed, first_exception
}

void Waiter::add_cancelled(std::size_t index) noexcept { add_result(index); }

void Waiter::wait(std::int64_t deadline_ns) {
    std::unique_lock lock(mutex_);
    if (deadline_ns < 0) {
        event_set_.wait(lock, [this] { return event_; });
        return;
    }
    // CLOCK_MONOTONIC is the steady clock's clock (libstdc++ and libc++ on Linux).
    const std::chrono::steady_clock::time_point deadline{std::chrono::nanoseconds(deadline_ns)};
    event_set_.wait_until(lock, deadline, [this] { return event_; });
}

std::vector<std::size_t> Waiter::take_finished() {
    std::lock_guard lock(mutex_);
    std::vector<std::size_t> out(finished_.begin(), finished_.end());
    finished_.clear();  // keeps the capacity reserved
    event_ = false;
    return out;
}

}  // namespace concurrence::futures::detail
