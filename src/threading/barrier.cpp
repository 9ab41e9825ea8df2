// threading.Barrier: CPython's threading.py state machine, step for step.
#include "concurrence/threading/barrier.hpp"

#include <mutex>
#include <sstream>

namespace concurrence::threading {

Barrier::Barrier(std::size_t parties, std::function<void()> action, std::optional<Delay> timeout)
    : parties_(parties), action_(std::move(action)), timeout_(timeout) {
    if (parties < 1) throw ValueError("parties must be >= 1");
}

std::size_t Barrier::wait(std::optional<Delay> timeout) {
    if (!timeout) timeout = timeout_;
    std::lock_guard held(cond_);
    enter();
    const std::size_t index = count_++;
    try {
        if (index + 1 == parties_) {
            release_all();
        } else {
            wait_released(timeout);
        }
    } catch (...) {
        --count_;
        leave();
        throw;
    }
    --count_;
    leave();
    return index;
}

// Waits while the previous round drains or resets; throws if the barrier is broken.
void Barrier::enter() {
    cond_.wait_for([&] { return state_ != State::draining && state_ != State::resetting; });
    if (state_ == State::broken) throw BrokenBarrierError();
}

// The last arrival: runs the action, then lets everybody go.
void Barrier::release_all() {
    try {
        if (action_) action_();
        state_ = State::draining;
        cond_.notify_all();
    } catch (...) {
        break_barrier();
        throw;
    }
}

void Barrier::wait_released(std::optional<Delay> timeout) {
    if (!cond_.wait_for([&] { return state_ != State::filling; }, timeout)) {
        break_barrier();
        throw BrokenBarrierError();
    }
    if (state_ == State::broken || state_ == State::resetting) throw BrokenBarrierError();
}

// The last thread out of a draining or resetting round opens the barrier for the next one.
void Barrier::leave() {
    if (count_ == 0 && (state_ == State::draining || state_ == State::resetting)) {
        state_ = State::filling;
        cond_.notify_all();
    }
}

void Barrier::break_barrier() {
    state_ = State::broken;
    cond_.notify_all();
}

void Barrier::reset() {
    std::lock_guard held(cond_);
    if (count_ > 0) {
        // Waiters get BrokenBarrierError; the last one out sets the state back to filling.
        if (state_ == State::filling || state_ == State::broken) state_ = State::resetting;
    } else {
        state_ = State::filling;
    }
    cond_.notify_all();
}

void Barrier::abort() {
    std::lock_guard held(cond_);
    break_barrier();
}

std::size_t Barrier::n_waiting() const { return state_.load() == State::filling ? count_.load() : 0; }

bool Barrier::broken() const { return state_.load() == State::broken; }

std::string Barrier::repr() const {
    std::ostringstream out;
    out << "<threading.Barrier at " << static_cast<const void*>(this);
    if (broken()) {
        out << ": broken>";
    } else {
        out << ": waiters=" << n_waiting() << '/' << parties_ << '>';
    }
    return out.str();
}

}  // namespace concurrence::threading
