// threading::Event: set/clear/is_set, waits with and without timeouts, many waiters.
#include "concurrence/threading/event.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <limits>
#include <vector>

#include "concurrence/threading/thread.hpp"

namespace {

namespace threading = concurrence::threading;
using concurrence::ValueError;
using testing::StrEq;
using testing::ThrowsMessage;
using namespace std::chrono_literals;

TEST(Event, SetAndClear) {
    threading::Event event;
    EXPECT_FALSE(event.is_set());
    event.set();
    EXPECT_TRUE(event.is_set());
    event.set();
    EXPECT_TRUE(event.is_set());
    event.clear();
    EXPECT_FALSE(event.is_set());
    event.clear();
    EXPECT_FALSE(event.is_set());
}

TEST(Event, WaitOnASetEventReturnsTrueAtOnce) {
    threading::Event event;
    event.set();
    EXPECT_TRUE(event.wait());
    EXPECT_TRUE(event.wait(60s));
    EXPECT_TRUE(event.wait(0));
    EXPECT_TRUE(event.wait(-1));
}

TEST(Event, WaitTimesOutWithFalse) {
    threading::Event event;
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(event.wait(0.05));
    const auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_GE(elapsed, 50ms);
    EXPECT_LT(elapsed, 10s);
    EXPECT_FALSE(event.wait(1ms));
    EXPECT_FALSE(event.wait(0));
    EXPECT_FALSE(event.wait(-1));  // a negative timeout only looks at the flag, as Python's
}

TEST(Event, WaitWithNanTimeoutThrows) {
    threading::Event event;
    EXPECT_THAT([&] { event.wait(std::numeric_limits<double>::quiet_NaN()); },
                ThrowsMessage<ValueError>(StrEq("Invalid value NaN (not a number)")));
}

TEST(Event, SetWakesEveryWaiter) {
    threading::Event event;
    constexpr int waiters = 8;
    std::vector<int> woke(waiters, -1);
    std::vector<threading::Thread> threads;
    for (int i = 0; i < waiters; ++i) {
        // Half wait forever, half with a (long) timeout: both must wake.
        threads.emplace_back([&, i] { woke[i] = (i % 2 ? event.wait(60s) : event.wait()) ? 1 : 0; });
        threads.back().start();
    }
    event.set();
    for (auto& t : threads) t.join();
    for (int i = 0; i < waiters; ++i) EXPECT_EQ(woke[i], 1) << i;
}

TEST(Event, ClearedEventBlocksAgain) {
    threading::Event event;
    event.set();
    event.clear();
    EXPECT_FALSE(event.wait(0.01));
    bool woke = false;
    threading::Thread waiter([&] { woke = event.wait(60s); });
    waiter.start();
    event.set();
    waiter.join();
    EXPECT_TRUE(woke);
}

}  // namespace
