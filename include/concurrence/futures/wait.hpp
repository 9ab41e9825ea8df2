// concurrent.futures.wait: blocks until some or all of the futures are done.
//
//     done, not_done = wait(fs, timeout=5, return_when=FIRST_COMPLETED)
//     →   auto [done, not_done] = futures::wait(fs, 5, futures::FIRST_COMPLETED);
//     →   auto [done, not_done] = futures::wait(fs, futures::FIRST_EXCEPTION);   // no timeout
//
// return_when: FIRST_COMPLETED (any future finishes or is cancelled), FIRST_EXCEPTION (any
// future raises; else as ALL_COMPLETED), ALL_COMPLETED (the default). The timeout (none: no
// limit) bounds the wait; nothing is cancelled when it passes.
//
// Python returns two sets; here two vectors, each in the order the futures were given,
// duplicates removed. As in CPython, a future cancelled while pending counts as done only once
// its executor noticed (set_running_or_notify_cancel): until then it is in not_done.
//
// Waiting does not poll: a waiter is linked into every future (CPython's _Waiter) and the
// thread that completes one of them wakes the caller; the links are removed before returning.
//
// Thread safety: any thread may wait on any futures, several at once.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <unordered_set>
#include <vector>

#include "concurrence/base/timeout.hpp"
#include "concurrence/futures/future.hpp"

namespace concurrence::futures {

enum class ReturnWhen { FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED };
inline constexpr ReturnWhen FIRST_COMPLETED = ReturnWhen::FIRST_COMPLETED;
inline constexpr ReturnWhen FIRST_EXCEPTION = ReturnWhen::FIRST_EXCEPTION;
inline constexpr ReturnWhen ALL_COMPLETED = ReturnWhen::ALL_COMPLETED;

// Python's DoneAndNotDoneFutures named tuple.
template <class T>
struct DoneAndNotDoneFutures {
    std::vector<Future<T>> done;
    std::vector<Future<T>> not_done;
};

namespace detail {

// Which of `states` were done when the condition held or the timeout passed (one flag each).
// Throws ValueError "Invalid return condition: N" for a value outside ReturnWhen.
std::vector<char> wait_for_states(const std::vector<StateCore*>& states, const std::optional<Delay>& timeout,
                                  ReturnWhen return_when);

// The futures of `fs` without duplicates, in their first order.
template <class T, class Range>
std::vector<Future<T>> unique_futures(const Range& fs) {
    std::vector<Future<T>> out;
    std::unordered_set<const void*> seen;
    for (const Future<T>& f : fs)
        if (seen.insert(f.state()).second) out.push_back(f);
    return out;
}

}  // namespace detail

template <class T>
DoneAndNotDoneFutures<T> wait(const std::vector<Future<T>>& fs, std::optional<Delay> timeout = std::nullopt,
                              ReturnWhen return_when = ALL_COMPLETED) {
    std::vector<Future<T>> unique = detail::unique_futures<T>(fs);
    std::vector<detail::StateCore*> states;
    states.reserve(unique.size());
    for (const Future<T>& f : unique) states.push_back(f.state());
    const std::vector<char> done = detail::wait_for_states(states, timeout, return_when);
    DoneAndNotDoneFutures<T> out;
    for (std::size_t i = 0; i < unique.size(); ++i) (done[i] ? out.done : out.not_done).push_back(std::move(unique[i]));
    return out;
}

template <class T>
DoneAndNotDoneFutures<T> wait(const std::vector<Future<T>>& fs, ReturnWhen return_when) {
    return wait(fs, std::nullopt, return_when);
}

template <class T>
DoneAndNotDoneFutures<T> wait(std::initializer_list<Future<T>> fs, std::optional<Delay> timeout = std::nullopt,
                              ReturnWhen return_when = ALL_COMPLETED) {
    return wait(std::vector<Future<T>>(fs), timeout, return_when);
}

template <class T>
DoneAndNotDoneFutures<T> wait(std::initializer_list<Future<T>> fs, ReturnWhen return_when) {
    return wait(std::vector<Future<T>>(fs), std::nullopt, return_when);
}

}  // namespace concurrence::futures
