// concurrent.futures.as_completed's untyped part (CPython's generator, as a state machine).
#include "concurrence/futures/as_completed.hpp"

#include <deque>
#include <string>

#include "futures/futex_wait.hpp"
#include "futures/waiter.hpp"

namespace concurrence::futures::detail {

struct AsCompletedWaiter::Impl {
    Impl(const std::vector<StateCore*>& s, std::int64_t deadline)
        : states(s), deadline_ns(deadline), waiter(Waiter::Mode::as_completed, s.size()), watched(s.size(), 1) {}

    std::vector<StateCore*> states;
    std::int64_t deadline_ns;  // -1: none
    Waiter waiter;
    std::vector<char> watched;  // not yet yielded
    std::deque<std::size_t> ready;  // finished, not yet yielded, in completion order
    std::size_t taken = 0;      // entries taken from the waiter (finished)
};

AsCompletedWaiter::AsCompletedWaiter(const std::vector<StateCore*>& states, const std::optional<Delay>& timeout)
    : impl_(std::make_unique<Impl>(states, deadline_of(timeout))) {
    for (std::size_t i = 0; i < states.size(); ++i) impl_->waiter.watch(*states[i], i);
}

AsCompletedWaiter::AsCompletedWaiter(AsCompletedWaiter&&) noexcept = default;
AsCompletedWaiter& AsCompletedWaiter::operator=(AsCompletedWaiter&&) noexcept = default;

// Python's finally: the waiter leaves every future it still watches.
AsCompletedWaiter::~AsCompletedWaiter() {
    if (!impl_) return;
    for (std::size_t i = 0; i < impl_->states.size(); ++i)
        if (impl_->watched[i]) impl_->waiter.unwatch(*impl_->states[i], i);
}

std::optional<std::size_t> AsCompletedWaiter::next() {
    Impl& s = *impl_;
    const std::size_t total = s.states.size();
    for (;;) {
        if (s.ready.empty()) {
            const std::vector<std::size_t> finished = s.waiter.take_finished();
            s.taken += finished.size();
            s.ready.insert(s.ready.end(), finished.begin(), finished.end());
        }
        if (!s.ready.empty()) {
            const std::size_t i = s.ready.front();
            s.ready.pop_front();
            s.waiter.unwatch(*s.states[i], i);
            s.watched[i] = 0;
            return i;
        }
        if (s.taken == total) return std::nullopt;
        if (passed(s.deadline_ns))
            throw TimeoutError(std::to_string(total - s.taken) + " (of " + std::to_string(total) +
                               ") futures unfinished");
        s.waiter.wait(s.deadline_ns);
    }
}

}  // namespace concurrence::futures::detail
