#include "concurrence/sync/barrier.hpp"

namespace concurrence::asyncio {

Barrier::Barrier(std::int64_t parties) : parties_(static_cast<std::size_t>(parties)) {
    if (parties < 1) throw ValueError("parties must be >= 1");
}

Coro<std::size_t> Barrier::wait() {
    check_loop();
    // A barrier destroyed while tasks wait in it (a lifetime bug): they leave it untouched.
    const std::shared_ptr<const bool> alive = alive_;
    co_await cond_.acquire();
    std::size_t index = 0;
    std::exception_ptr error;
    try {
        co_await block();  // while the barrier drains or resets
        index = count_++;
        try {
            if (index + 1 == parties_) {
                // The last one in releases everybody.
                state_ = State::draining;
                cond_.notify_all();
            } else {
                co_await wait_released();
            }
        } catch (...) {
            error = std::current_exception();
        }
        if (*alive) {
            --count_;
            exit();
        }
    } catch (...) {
        error = std::current_exception();
    }
    if (*alive) cond_.release();
    if (error) std::rethrow_exception(error);
    co_return index;
}

Coro<> Barrier::block() {
    co_await cond_.wait_for([this] { return state_ != State::draining && state_ != State::resetting; });
    if (state_ == State::broken) throw BrokenBarrierError("Barrier aborted");
}

Coro<> Barrier::wait_released() {
    co_await cond_.wait_for([this] { return state_ != State::filling; });
    if (state_ == State::broken || state_ == State::resetting)
        throw BrokenBarrierError("Abort or reset of barrier");
}

// The last task out of a draining or resetting barrier opens it for the next round.
void Barrier::exit() {
    if (count_ != 0) return;
    if (state_ == State::resetting || state_ == State::draining) state_ = State::filling;
    cond_.notify_all();
}

Coro<> Barrier::reset() {
    check_loop();
    auto held = co_await cond_.scoped();
    if (count_ > 0)
        state_ = State::resetting;  // the waiters throw, the last one out refills
    else
        state_ = State::filling;
    cond_.notify_all();
}

Coro<> Barrier::abort() {
    check_loop();
    auto held = co_await cond_.scoped();
    state_ = State::broken;
    cond_.notify_all();
}

std::string Barrier::repr() const {
    static const char* const names[] = {"filling", "draining", "resetting", "broken"};
    std::string state = names[static_cast<int>(state_)];
    if (!broken())
        state += ", waiters:" + std::to_string(n_waiting()) + "/" + std::to_string(parties_);
    return detail::object_repr("asyncio::Barrier", this, state);
}

}  // namespace concurrence::asyncio
