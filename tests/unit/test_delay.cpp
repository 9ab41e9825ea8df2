// White-box: concurrence::Delay, the conversion behind every delay and timeout (seconds as
// numbers, or std::chrono durations), and EventLoop::seconds_to_ns for call_at.
#include <gtest/gtest.h>

#include <chrono>
#include <limits>

#include "concurrence/base/timeout.hpp"
#include "concurrence/loop/event_loop.hpp"

namespace {

using concurrence::Delay;
using concurrence::asyncio::EventLoop;
using namespace std::chrono_literals;

TEST(Delay, NumbersAreSeconds) {
    EXPECT_EQ(Delay(1).nanoseconds(), 1'000'000'000);
    EXPECT_EQ(Delay(2L).nanoseconds(), 2'000'000'000);
    EXPECT_EQ(Delay(0.5).nanoseconds(), 500'000'000);
    EXPECT_EQ(Delay(0.25f).nanoseconds(), 250'000'000);
    EXPECT_EQ(Delay(0).nanoseconds(), 0);
    EXPECT_EQ(Delay().nanoseconds(), 0);
    EXPECT_DOUBLE_EQ(Delay(1.5).seconds(), 1.5);
}

TEST(Delay, ChronoDurations) {
    EXPECT_EQ(Delay(1ms).nanoseconds(), 1'000'000);
    EXPECT_EQ(Delay(1us).nanoseconds(), 1'000);
    EXPECT_EQ(Delay(1ns).nanoseconds(), 1);
    EXPECT_EQ(Delay(3s).nanoseconds(), 3'000'000'000);
    EXPECT_EQ(Delay(2min).nanoseconds(), 120'000'000'000);
    EXPECT_EQ(Delay(std::chrono::duration<double>(0.125)).nanoseconds(), 125'000'000);
    EXPECT_EQ(Delay(std::chrono::duration<double, std::milli>(1.5)).nanoseconds(), 1'500'000);
}

TEST(Delay, NeverShorterThanAsked) {
    EXPECT_EQ(Delay(1e-10).nanoseconds(), 1);  // rounded up, not down to zero
    EXPECT_EQ(Delay(1.5e-9).nanoseconds(), 2);
    EXPECT_TRUE(Delay(1e-12).is_positive());
}

TEST(Delay, NegativeAndZero) {
    EXPECT_FALSE(Delay(0).is_positive());
    EXPECT_FALSE(Delay(-1).is_positive());
    EXPECT_EQ(Delay(-1).nanoseconds(), -1'000'000'000);
    EXPECT_FALSE(Delay(-1ms).is_positive());
}

TEST(Delay, SaturatesInsteadOfOverflowing) {
    EXPECT_EQ(Delay(1e30).nanoseconds(), Delay::max_ns);
    EXPECT_EQ(Delay(std::numeric_limits<double>::infinity()).nanoseconds(), Delay::max_ns);
    EXPECT_EQ(Delay(-std::numeric_limits<double>::infinity()).nanoseconds(), -Delay::max_ns);
    EXPECT_EQ(Delay(std::chrono::hours::max()).nanoseconds(), Delay::max_ns);
    EXPECT_EQ(Delay(std::chrono::nanoseconds::max()).nanoseconds(), Delay::max_ns);
    EXPECT_EQ(Delay(std::numeric_limits<long long>::max()).nanoseconds(), Delay::max_ns);
    EXPECT_TRUE(Delay(1e30).is_positive());
    // Room left to add it to a clock reading.
    EXPECT_GT(std::numeric_limits<std::int64_t>::max() - Delay::max_ns, Delay::max_ns);
}

// Whole seconds are converted without floating point: the same results, edges included.
TEST(Delay, WholeSecondsSaturateAtTheSameEdges) {
    constexpr long long limit = Delay::max_ns / 1'000'000'000;
    EXPECT_EQ(Delay(limit).nanoseconds(), limit * 1'000'000'000);
    EXPECT_EQ(Delay(limit + 1).nanoseconds(), Delay::max_ns);
    EXPECT_EQ(Delay(-limit).nanoseconds(), -limit * 1'000'000'000);
    EXPECT_EQ(Delay(-limit - 1).nanoseconds(), -Delay::max_ns);
    EXPECT_EQ(Delay(std::numeric_limits<long long>::min()).nanoseconds(), -Delay::max_ns);
    EXPECT_EQ(Delay(std::numeric_limits<unsigned long long>::max()).nanoseconds(), Delay::max_ns);
    EXPECT_EQ(Delay(7U).nanoseconds(), 7'000'000'000);
    EXPECT_EQ(Delay(static_cast<short>(-3)).nanoseconds(), -3'000'000'000);
    EXPECT_EQ(Delay(1).nanoseconds(), Delay(1.0).nanoseconds());
    static_assert(Delay(2).nanoseconds() == 2'000'000'000);
}

TEST(Delay, NanIsFlagged) {
    const Delay d(std::numeric_limits<double>::quiet_NaN());
    EXPECT_TRUE(d.is_nan());
    EXPECT_FALSE(d.is_positive());
    EXPECT_EQ(d.nanoseconds(), 0);  // as before the flag shared the word with the count
    EXPECT_EQ(d.seconds(), 0.0);
    EXPECT_FALSE(Delay(1.0).is_nan());
    EXPECT_FALSE(Delay(1s).is_nan());
    // The extremes are counts, not NaN.
    EXPECT_FALSE(Delay(-std::numeric_limits<double>::infinity()).is_nan());
    EXPECT_FALSE(Delay(std::chrono::nanoseconds::min()).is_nan());
}

// One word: a Delay is often a temporary of a co_await's full-expression, kept in the frame.
static_assert(sizeof(Delay) == sizeof(std::int64_t));

TEST(Delay, ConstexprUsable) {
    constexpr Delay d(0.001);
    static_assert(d.nanoseconds() == 1'000'000);
    SUCCEED();
}

TEST(SecondsToNs, CallAtClock) {
    EXPECT_EQ(EventLoop::seconds_to_ns(1.0), 1'000'000'000);
    EXPECT_EQ(EventLoop::seconds_to_ns(0.0), 0);
    EXPECT_EQ(EventLoop::seconds_to_ns(1e30), Delay::max_ns);
    EXPECT_THROW(EventLoop::seconds_to_ns(std::numeric_limits<double>::quiet_NaN()), concurrence::ValueError);
}

}  // namespace
