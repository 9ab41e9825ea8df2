// A delay or timeout spelled as Python spells it (a number of seconds, int or float) or as
// C++ spells it (any std::chrono::duration). Used by every call that takes a delay.
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <limits>
#include <type_traits>

namespace concurrence {

// Seconds as a plain number, Python style: 2, 0.5, 1e-3.
template <class T>
concept Seconds = std::is_arithmetic_v<T> && !std::same_as<T, bool>;

template <class T>
concept ChronoDuration = requires { typename T::rep; typename T::period; } &&
                         std::same_as<T, std::chrono::duration<typename T::rep, typename T::period>>;

// A span of time in nanoseconds, saturating instead of overflowing: `sleep(1e30)` and
// `sleep(std::chrono::hours::max())` mean "practically forever", never a negative wrap.
// One word: it is often a temporary of a co_await's full-expression, which g++ keeps in the
// coroutine frame (a flag beside the count made every sleeping task's frame 8 bytes larger).
class Delay {
public:
    using rep = std::int64_t;
    static constexpr rep max_ns = std::numeric_limits<rep>::max() / 4;  // room for now + delay

    constexpr Delay() = default;

    template <Seconds S>
    constexpr Delay(S seconds) : ns_(from_number(seconds)) {}  // NOLINT(implicit)

    template <class Rep, class Period>
    constexpr Delay(std::chrono::duration<Rep, Period> d)  // NOLINT(implicit)
        : ns_(from_seconds(std::chrono::duration<double>(d).count())) {}

    // 0 for NaN (callers that care ask is_nan() first).
    constexpr rep nanoseconds() const { return ns_ == nan_ns ? 0 : ns_; }
    constexpr double seconds() const { return static_cast<double>(nanoseconds()) / 1e9; }
    constexpr bool is_positive() const { return ns_ > 0; }
    // NaN was given: Python rejects it in most places ("Invalid value NaN (not a number)").
    constexpr bool is_nan() const { return ns_ == nan_ns; }

private:
    // Outside the saturated range [-max_ns, max_ns], so no count can be mistaken for it.
    static constexpr rep nan_ns = std::numeric_limits<rep>::min();

    // Whole seconds (sleep(0), sleep(2)) need no floating point: W1's sleep(0) took 29
    // instructions through double.
    template <Seconds S>
    static constexpr rep from_number(S s) {
        constexpr rep limit = max_ns / 1'000'000'000;
        if constexpr (std::is_integral_v<S> && std::is_signed_v<S>) {
            const long long whole = s;
            if (whole > limit) return max_ns;
            if (whole < -limit) return -max_ns;
            return whole * 1'000'000'000;
        } else if constexpr (std::is_integral_v<S>) {
            const unsigned long long whole = s;
            if (whole > static_cast<unsigned long long>(limit)) return max_ns;
            return static_cast<rep>(whole) * 1'000'000'000;
        } else {
            return from_seconds(static_cast<double>(s));
        }
    }
    static constexpr rep from_seconds(double s) {
        if (s != s) return nan_ns;
        double ns = s * 1e9;
        if (ns >= static_cast<double>(max_ns)) return max_ns;
        if (ns <= -static_cast<double>(max_ns)) return -max_ns;
        // Rounded up: never sleep shorter than asked (std::ceil is not constexpr before C++23).
        const rep truncated = static_cast<rep>(ns);
        return static_cast<double>(truncated) < ns ? truncated + 1 : truncated;
    }

    rep ns_ = 0;
};

}  // namespace concurrence
