// concurrent.futures.as_completed: the futures, each as it completes.
//
//     for f in as_completed(fs, timeout=10):   →   for (futures::Future<int> f : futures::as_completed(fs, 10))
//         print(f.result())                    →       std::cout << f.result() << '\n';
//
// Yields futures already done first, then each as it finishes or is cancelled (and notified, as
// in CPython: see wait.hpp), each once (duplicates in `fs` are yielded once). When the timeout,
// counted from the call, passes with futures left, the next step throws futures::TimeoutError
// "N (of M) futures unfinished". Nothing is cancelled.
//
// The result is an input range (begin() already waits for the first future) and also offers
// next(), which returns std::nullopt at the end. A future is handed over when it is yielded:
// the object keeps no reference to it any more (Python's rule).
//
// Thread safety: one thread iterates; the futures may complete in any thread.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "concurrence/base/timeout.hpp"
#include "concurrence/futures/future.hpp"
#include "concurrence/futures/generator_range.hpp"
#include "concurrence/futures/wait.hpp"

namespace concurrence::futures {

namespace detail {

// The untyped part: a Waiter watching the states, and the countdown.
class AsCompletedWaiter {
public:
    AsCompletedWaiter(const std::vector<StateCore*>& states, const std::optional<Delay>& timeout);
    AsCompletedWaiter(AsCompletedWaiter&&) noexcept;
    AsCompletedWaiter& operator=(AsCompletedWaiter&&) noexcept;
    ~AsCompletedWaiter();

    // The index of the next future to yield (no longer watched), or none when all were.
    // Throws TimeoutError "N (of M) futures unfinished".
    std::optional<std::size_t> next();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace detail

template <class T>
class AsCompleted : public detail::GeneratorRange<AsCompleted<T>, Future<T>> {
public:
    AsCompleted(std::vector<Future<T>> fs, std::optional<Delay> timeout)
        : fs_(detail::unique_futures<T>(fs)), waiter_(states_of(fs_), timeout) {}

    // The next future, or std::nullopt when every future was yielded.
    std::optional<Future<T>> next() {
        const std::optional<std::size_t> i = waiter_.next();
        if (!i) return std::nullopt;
        return std::move(fs_[*i]);
    }

    // begin() waits for the first future (and may throw TimeoutError), as each ++ does.

private:
    static std::vector<detail::StateCore*> states_of(const std::vector<Future<T>>& fs) {
        std::vector<detail::StateCore*> states;
        states.reserve(fs.size());
        for (const Future<T>& f : fs) states.push_back(f.state());
        return states;
    }

    std::vector<Future<T>> fs_;
    detail::AsCompletedWaiter waiter_;
};

template <class T>
AsCompleted<T> as_completed(std::vector<Future<T>> fs, std::optional<Delay> timeout = std::nullopt) {
    return AsCompleted<T>(std::move(fs), timeout);
}

template <class T>
AsCompleted<T> as_completed(std::initializer_list<Future<T>> fs, std::optional<Delay> timeout = std::nullopt) {
    return AsCompleted<T>(std::vector<Future<T>>(fs), timeout);
}

}  // namespace concurrence::futures
