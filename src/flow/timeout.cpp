#include "concurrence/flow/timeout.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "base/float_repr.hpp"

namespace concurrence::asyncio {

namespace {
const char* state_name(int s) {
    static const char* const names[] = {"created", "active", "expiring", "expired", "finished"};
    return names[s];
}
}  // namespace

Timeout timeout(Delay delay) {
    detail::check_delay(delay);
    return Timeout(get_running_loop().time() + delay.seconds());
}

void Timeout::enter() {
    if (state_ != State::created) throw RuntimeError("Timeout has already been entered");
    TaskRef task = current_task();
    if (!task) throw RuntimeError("Timeout should be used inside a task");
    task_ = std::move(task);
    cancelling_ = task_.cancelling();
    state_ = State::active;
    reschedule(when_);
}

void Timeout::reschedule(std::optional<double> when) {
    if (state_ != State::active) {
        if (state_ == State::created) throw RuntimeError("Timeout has not been entered");
        throw RuntimeError(std::string("Cannot change state of ") + state_name(static_cast<int>(state_)) + " Timeout");
    }
    if (when && *when != *when) throw ValueError("Invalid value NaN (not a number)");
    when_ = when;
    handle_.cancel();
    handle_ = Handle();
    if (!when) return;
    EventLoop& loop = task_.core()->loop();
    if (*when <= loop.time())
        handle_ = loop.call_soon([this] { on_timeout(); });
    else
        handle_ = loop.call_at(*when, [this] { on_timeout(); });
}

void Timeout::on_timeout() {
    task_.cancel();
    state_ = State::expiring;
    handle_ = Handle();
}

void Timeout::exit(const std::exception_ptr& error) {
    handle_.cancel();
    handle_ = Handle();
    if (state_ == State::expiring) {
        state_ = State::expired;
        if (task_.uncancel() <= cancelling_ && error) {
            try {
                std::rethrow_exception(error);
            } catch (const CancelledError&) {
                throw TimeoutError();  // the deadline's own cancellation
            } catch (...) {
            }
        }
    } else if (state_ == State::active) {
        state_ = State::finished;
    }
}

namespace {
// Python's repr(round(x, 3)).
std::string rounded_repr(double x) { return concurrence::detail::python_float_repr(std::round(x * 1000.0) / 1000.0); }
}  // namespace

std::string Timeout::repr() const {
    std::string out = std::string("<Timeout [") + state_name(static_cast<int>(state_)) + "]";
    if (state_ == State::active) out += " when=" + (when_ ? rounded_repr(*when_) : std::string("None"));
    return out + ">";
}

namespace detail {
void check_delay(Delay d) {
    if (d.is_nan()) throw ValueError("Invalid value NaN (not a number)");
}
}  // namespace detail

}  // namespace concurrence::asyncio
