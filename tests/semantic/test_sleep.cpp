// asyncio::sleep: yields, delays in every spelling, sleep(delay, result), NaN and negative
// delays, and "never shorter than asked".
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "semantic/support.hpp"

namespace {

namespace asyncio = concurrence::asyncio;
using concurrence::ValueError;
using semantic::Log;
using testing::ElementsAre;
using namespace std::chrono_literals;

asyncio::Coro<> yielder(Log* log, std::string name) {
    log->push_back(name + " before");
    co_await asyncio::sleep(0);
    log->push_back(name + " after");
}

asyncio::Coro<> sleep_zero_main(Log* log) {
    auto other = asyncio::create_task(yielder(log, "other"));
    log->push_back("main before");
    co_await asyncio::sleep(0);  // the other task's first step runs now
    log->push_back("main after");
    co_await other;
}

TEST(Sleep, SleepZeroLetsOtherReadyTasksRun) {
    Log log;
    asyncio::run(sleep_zero_main(&log));
    EXPECT_THAT(log, ElementsAre("main before", "other before", "main after", "other after"));
}

asyncio::Coro<int> every_spelling() {
    co_await asyncio::sleep(0);             // int seconds
    co_await asyncio::sleep(0.001);         // double seconds
    co_await asyncio::sleep(0.001f);        // float seconds
    co_await asyncio::sleep(1ms);           // chrono
    co_await asyncio::sleep(500us);         // chrono, finer
    co_await asyncio::sleep(std::chrono::duration<double>(0.0005));
    co_await asyncio::sleep(0ns);
    const concurrence::Delay delay = 0.001;  // a Delay made beforehand (timeouts take them too)
    co_await asyncio::sleep(delay);
    co_await asyncio::sleep(std::uint8_t{0});
    co_return co_await asyncio::sleep(delay, 1);
}
// What sleep accepts is what Delay accepts, no more (a string is not a delay).
static_assert(!std::is_invocable_v<decltype([](auto d) -> decltype(asyncio::sleep(d)) { return asyncio::sleep(d); }),
                                   const char*>);

TEST(Sleep, AcceptsNumbersAndChronoDurations) { EXPECT_EQ(asyncio::run(every_spelling()), 1); }

asyncio::Coro<> sleep_int_seconds(bool* woke) {
    co_await asyncio::sleep(1);  // a whole second, as Python's sleep(1): cancelled long before
    *woke = true;
}

asyncio::Coro<bool> int_seconds_main() {
    bool woke = false;
    const double start = asyncio::get_running_loop().time();
    auto t = asyncio::create_task(sleep_int_seconds(&woke));
    co_await asyncio::sleep(0.005);
    EXPECT_FALSE(t.done());  // 1 means one second, not one millisecond
    t.cancel();
    try {
        co_await t;
    } catch (const asyncio::CancelledError&) {
    }
    EXPECT_LT(asyncio::get_running_loop().time() - start, 1.0);
    co_return woke;
}

TEST(Sleep, IntegerSecondsMeanSeconds) { EXPECT_FALSE(asyncio::run(int_seconds_main())); }

asyncio::Coro<std::string> sleep_with_result() {
    int a = co_await asyncio::sleep(0, 42);
    std::string b = co_await asyncio::sleep(0.001, std::string("text"));
    std::unique_ptr<int> c = co_await asyncio::sleep(1ms, std::make_unique<int>(3));
    co_return std::to_string(a) + b + std::to_string(*c);
}

TEST(Sleep, SleepWithResultReturnsTheResult) { EXPECT_EQ(asyncio::run(sleep_with_result()), "42text3"); }

asyncio::Coro<> negative_sleeps() {
    co_await asyncio::sleep(-1);
    co_await asyncio::sleep(-0.5);
    co_await asyncio::sleep(-1s);
    co_await asyncio::sleep(-std::numeric_limits<double>::infinity());
    co_return;
}

TEST(Sleep, NegativeDelayReturnsAtOnce) {
    const auto start = std::chrono::steady_clock::now();
    asyncio::run(negative_sleeps());
    EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

asyncio::Coro<int> negative_sleep_with_result() { co_return co_await asyncio::sleep(-3, 5); }

TEST(Sleep, NegativeDelayStillReturnsTheResult) { EXPECT_EQ(asyncio::run(negative_sleep_with_result()), 5); }

asyncio::Coro<std::string> nan_sleep() {
    try {
        co_await asyncio::sleep(std::numeric_limits<double>::quiet_NaN());
    } catch (const ValueError& e) {
        co_return e.what();
    }
    co_return "no error";
}

TEST(Sleep, NanDelayThrowsValueError) { EXPECT_NE(asyncio::run(nan_sleep()), "no error"); }

TEST(Sleep, NanDelayMessageIsPythons) {
    // tasks.py: raise ValueError("Invalid delay: NaN (not a number)")
    EXPECT_EQ(asyncio::run(nan_sleep()), "Invalid delay: NaN (not a number)");
}

asyncio::Coro<double> timed_sleep(double delay) {
    auto& loop = asyncio::get_running_loop();
    const double start = loop.time();
    co_await asyncio::sleep(delay);
    co_return loop.time() - start;
}

TEST(Sleep, AtLeastTheRequestedTimeElapses) {
    const auto start = std::chrono::steady_clock::now();
    const double loop_elapsed = asyncio::run(timed_sleep(0.05));
    const auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_GE(loop_elapsed, 0.05);
    EXPECT_GE(elapsed, 50ms);
    EXPECT_LT(elapsed, 10s);
}

asyncio::Coro<> many_short_sleeps(int* count) {
    for (int i = 0; i < 20; ++i) {
        const double start = asyncio::get_running_loop().time();
        co_await asyncio::sleep(0.0005);
        EXPECT_GE(asyncio::get_running_loop().time() - start, 0.0005);
        ++*count;
    }
}

TEST(Sleep, NeverWakesEarly) {
    // libuv test-timer.c timer_early_check.
    int count = 0;
    asyncio::run(many_short_sleeps(&count));
    EXPECT_EQ(count, 20);
}

asyncio::Coro<> tiny_sleeps() {
    co_await asyncio::sleep(1e-10);
    co_await asyncio::sleep(1e-9);
    co_await asyncio::sleep(1ns);
    co_await asyncio::sleep(1e-6);
}

TEST(Sleep, TinyDelaysComplete) {
    // test_events.py test_timeout_rounding: no busy loop, no lost timer for sub-resolution delays.
    asyncio::run(tiny_sleeps());
}

asyncio::Coro<> sleep_then_set(bool* woke, concurrence::Delay delay) {
    co_await asyncio::sleep(delay);
    *woke = true;
}

asyncio::Coro<bool> huge_sleep_cancelled() {
    bool woke = false;
    auto t = asyncio::create_task(sleep_int_seconds(&woke));
    // These saturate to "practically forever", never wrap to a negative (past) deadline.
    auto huge = asyncio::create_task(sleep_then_set(&woke, 1e30));
    auto max_chrono = asyncio::create_task(sleep_then_set(&woke, std::chrono::hours::max()));
    auto inf = asyncio::create_task(sleep_then_set(&woke, std::numeric_limits<double>::infinity()));
    co_await asyncio::sleep(0.002);
    EXPECT_FALSE(huge.done());
    EXPECT_FALSE(max_chrono.done());
    EXPECT_FALSE(inf.done());
    t.cancel();
    huge.cancel();
    max_chrono.cancel();
    inf.cancel();
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    EXPECT_TRUE(huge.cancelled());
    EXPECT_TRUE(max_chrono.cancelled());
    EXPECT_TRUE(inf.cancelled());
    co_return woke;
}

TEST(Sleep, HugeDelaysNeitherOverflowNorFireEarly) {
    // libuv timer_huge_timeout; Tokio time_sleep.rs exactly_max / greater_than_max.
    EXPECT_FALSE(asyncio::run(huge_sleep_cancelled()));
}

TEST(Sleep, ManyConcurrentSleepersAllWake) {
    struct Local {
        static asyncio::Coro<> sleeper(int* woke, double delay) {
            co_await asyncio::sleep(delay);
            ++*woke;
        }
        static asyncio::Coro<int> main() {
            int woke = 0;
            std::vector<asyncio::Task<>> tasks;
            for (int i = 0; i < 1000; ++i) tasks.push_back(asyncio::create_task(sleeper(&woke, 0.001 * (i % 7))));
            co_await asyncio::gather(std::move(tasks));
            co_return woke;
        }
    };
    EXPECT_EQ(asyncio::run(Local::main()), 1000);
}

}  // namespace
