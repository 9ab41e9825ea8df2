// concurrent.futures.wait's untyped part: one Waiter linked to every future.
#include "concurrence/futures/wait.hpp"

#include <string>

#include "futures/futex_wait.hpp"
#include "futures/waiter.hpp"

namespace concurrence::futures::detail {

std::vector<char> wait_for_states(const std::vector<StateCore*>& states, const std::optional<Delay>& timeout,
                                  ReturnWhen return_when) {
    Waiter::Mode mode{};
    switch (return_when) {
        case ReturnWhen::FIRST_COMPLETED: mode = Waiter::Mode::first_completed; break;
        case ReturnWhen::FIRST_EXCEPTION: mode = Waiter::Mode::first_exception; break;
        case ReturnWhen::ALL_COMPLETED: mode = Waiter::Mode::all_completed; break;
        default: throw ValueError("Invalid return condition: " + std::to_string(static_cast<int>(return_when)));
    }
    std::vector<char> done(states.size(), 0);
    if (states.empty()) return done;  // Python: len(done) == len(fs)
    const std::int64_t deadline = deadline_of(timeout);
    Waiter waiter(mode, states.size());
    for (std::size_t i = 0; i < states.size(); ++i) waiter.watch(*states[i], i);
    waiter.wait(deadline);
    for (std::size_t i = 0; i < states.size(); ++i) waiter.unwatch(*states[i], i);
    for (std::size_t i : waiter.take_finished()) done[i] = 1;
    return done;
}

}  // namespace concurrence::futures::detail
