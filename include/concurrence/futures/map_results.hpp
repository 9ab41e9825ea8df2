// The iterator that Executor.map returns: the results of the calls, in the order of the inputs.
//
//     for r in executor.map(fn, items, timeout=5):   →   for (int r : pool.map(fn, items, 5))
//
// All the calls are submitted by map() itself; iterating waits for each result in turn, the
// timeout counted from the map() call. A call that raised rethrows its exception at its turn;
// when the timeout passes first, the step throws futures::TimeoutError. Either way, and when
// the results are let go before the end, the calls not yet returned are cancelled (Python's
// _result_or_cancel and the generator's finally) — but only once iteration has begun: results
// that are never iterated leave every call to run, as Python's unstarted generator does.
//
// A function returning void yields std::monostate (Python's None) for each call. Each value is
// moved out of its future as it is reached; the results keep no reference to it afterwards.
//
// Thread safety: one thread iterates.
#pragma once

#include <chrono>
#include <cstddef>
#include <iterator>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "concurrence/base/timeout.hpp"
#include "concurrence/futures/future.hpp"
#include "concurrence/futures/generator_range.hpp"

namespace concurrence::futures {

template <class R>
class MapResults
    : public detail::GeneratorRange<MapResults<R>, std::conditional_t<std::is_void_v<R>, std::monostate, R>> {
public:
    using value_type = std::conditional_t<std::is_void_v<R>, std::monostate, R>;

    using clock = std::chrono::steady_clock;

    // When a timeout given now passes (none: never).
    static std::optional<clock::time_point> deadline_after(const std::optional<Delay>& timeout) {
        if (!timeout) return std::nullopt;
        return clock::now() + std::chrono::duration_cast<clock::duration>(
                                  std::chrono::nanoseconds(timeout->is_positive() ? timeout->nanoseconds() : 0));
    }

    // The futures of the calls, in order, and when waiting for them ends.
    MapResults(std::vector<Future<R>> fs, std::optional<clock::time_point> deadline)
        : fs_(std::move(fs)), deadline_(deadline) {}
    MapResults(MapResults&& other) noexcept
        : detail::GeneratorRange<MapResults<R>, value_type>(std::move(other)),
          fs_(std::move(other.fs_)),
          next_(std::exchange(other.next_, other.fs_.size())),
          deadline_(other.deadline_),
          started_(std::exchange(other.started_, false)) {}
    MapResults& operator=(MapResults&&) = delete;
    ~MapResults() {
        if (started_) cancel_remaining();
    }

    // The next result, or std::nullopt after the last one.
    std::optional<value_type> next() {
        started_ = true;
        if (next_ == fs_.size()) return std::nullopt;
        Future<R> f = std::move(fs_[next_++]);
        try {
            f.state()->wait_for_result(remaining());
        } catch (...) {
            f.cancel();
            cancel_remaining();
            throw;
        }
        if constexpr (std::is_void_v<R>)
            return std::monostate{};
        else
            return std::optional<value_type>(std::move(f.state()->value()));
    }

    // begin() waits for the first result (and may throw), as each ++ does.

private:
    std::optional<Delay> remaining() const {
        if (!deadline_) return std::nullopt;
        return Delay(*deadline_ - clock::now());
    }
    void cancel_remaining() noexcept {
        for (std::size_t i = next_; i < fs_.size(); ++i)
            if (fs_[i].state()) fs_[i].cancel();
        next_ = fs_.size();
    }

    std::vector<Future<R>> fs_;
    std::size_t next_ = 0;
    std::optional<clock::time_point> deadline_;
    bool started_ = false;
};

}  // namespace concurrence::futures
