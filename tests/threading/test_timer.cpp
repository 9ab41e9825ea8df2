// threading::Timer: fires once after its interval, cancel before (and after) firing, arguments,
// the Thread side (name, daemon, is_alive, join), destruction, exceptions. Ports CPython's
// Lib/test/test_threading.py TimerTests (its one test, test_init_immutable_default_args: two
// Timers do not share their arguments, see TwoTimersKeepTheirOwnArguments); the rest follows
// Lib/threading.py's Timer (cancel(), run()).
#include "concurrence/threading/timer.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "concurrence/threading/event.hpp"
#include "concurrence/threading/thread.hpp"

namespace {

namespace threading = concurrence::threading;
using testing::StartsWith;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(Timer, CallsTheFunctionOnceAfterTheInterval) {
    std::atomic<int> calls{0};
    Clock::time_point called_at{};
    const auto start = Clock::now();
    threading::Timer timer(0.03, [&] {
        called_at = Clock::now();
        calls.fetch_add(1);
    });
    EXPECT_FALSE(timer.is_alive());
    timer.start();
    timer.join();
    EXPECT_EQ(calls.load(), 1);
    EXPECT_GE(called_at - start, 30ms);
    EXPECT_FALSE(timer.is_alive());
    std::this_thread::sleep_for(5ms);
    EXPECT_EQ(calls.load(), 1);  // once only
}

TEST(Timer, TakesChronoDurations) {
    std::atomic<int> calls{0};
    threading::Timer timer(10ms, [&] { calls.fetch_add(1); });
    const auto start = Clock::now();
    timer.start();
    timer.join();
    EXPECT_GE(Clock::now() - start, 10ms);
    EXPECT_EQ(calls.load(), 1);
}

TEST(Timer, AZeroOrNegativeIntervalCallsAtOnce) {
    std::atomic<int> calls{0};
    threading::Timer zero(0, [&] { calls.fetch_add(1); });
    threading::Timer negative(-5, [&] { calls.fetch_add(1); });  // Python: Event.wait(-5) does not sleep
    const auto start = Clock::now();
    zero.start();
    negative.start();
    zero.join();
    negative.join();
    EXPECT_LT(Clock::now() - start, 4s);
    EXPECT_EQ(calls.load(), 2);
}

TEST(Timer, CancelBeforeTheIntervalPreventsTheCall) {  // test_cancel
    std::atomic<int> calls{0};
    threading::Timer timer(60, [&] { calls.fetch_add(1); });
    timer.start();
    EXPECT_TRUE(timer.is_alive());
    std::this_thread::sleep_for(5ms);
    timer.cancel();
    const auto start = Clock::now();
    timer.join();  // returns at once, not after 60 s
    EXPECT_LT(Clock::now() - start, 30s);
    EXPECT_FALSE(timer.is_alive());
    EXPECT_EQ(calls.load(), 0);
}

TEST(Timer, CancelBeforeStartPreventsTheCall) {
    std::atomic<int> calls{0};
    threading::Timer timer(0.001, [&] { calls.fetch_add(1); });
    timer.cancel();
    timer.start();
    timer.join();
    std::this_thread::sleep_for(5ms);
    EXPECT_EQ(calls.load(), 0);
}

TEST(Timer, CancelAfterFiringChangesNothing) {
    std::atomic<int> calls{0};
    threading::Timer timer(0, [&] { calls.fetch_add(1); });
    timer.start();
    timer.join();
    timer.cancel();
    timer.cancel();
    EXPECT_EQ(calls.load(), 1);
}

TEST(Timer, CancelFromTheFunctionItselfIsHarmless) {
    std::atomic<int> calls{0};
    threading::Timer* self = nullptr;
    threading::Timer timer(0, [&] {
        calls.fetch_add(1);
        self->cancel();
    });
    self = &timer;
    timer.start();
    timer.join();
    EXPECT_EQ(calls.load(), 1);
}

TEST(Timer, PassesCopiesOfItsArguments) {
    std::string text = "hello";
    std::string seen_text;
    int seen_number = 0;
    std::vector<int> seen_vector;
    threading::Timer timer(
        0.001,
        [&](std::string s, int n, std::vector<int> v) {
            seen_text = std::move(s);
            seen_number = n;
            seen_vector = std::move(v);
        },
        text, 42, std::vector<int>{1, 2, 3});
    text = "changed after construction";  // the Timer holds its own copy
    timer.start();
    timer.join();
    EXPECT_EQ(seen_text, "hello");
    EXPECT_EQ(seen_number, 42);
    EXPECT_EQ(seen_vector, (std::vector<int>{1, 2, 3}));
}

TEST(Timer, TakesMoveOnlyFunctionsAndArguments) {
    int seen = 0;
    auto payload = std::make_unique<int>(7);
    threading::Timer timer(0, [&, owned = std::make_unique<int>(5)](std::unique_ptr<int> p) { seen = *owned + *p; },
                           std::move(payload));
    timer.start();
    timer.join();
    EXPECT_EQ(seen, 12);
}

TEST(Timer, TwoTimersKeepTheirOwnArguments) {  // test_init_immutable_default_args
    std::vector<int> a_seen;
    std::vector<int> b_seen;
    const auto append = [](std::vector<int>* into, std::vector<int> values) {
        values.push_back(static_cast<int>(values.size()));
        *into = std::move(values);
    };
    threading::Timer a(0, append, &a_seen, std::vector<int>{});
    threading::Timer b(0, append, &b_seen, std::vector<int>{});
    a.start();
    a.join();
    b.start();
    b.join();
    EXPECT_EQ(a_seen, (std::vector<int>{0}));
    EXPECT_EQ(b_seen, (std::vector<int>{0}));  // b's arguments were not touched by a's call
}

TEST(Timer, IsAThreadWithANameAndDaemonFlag) {
    threading::Event release;
    threading::Timer plain(0, [&] { release.wait(); });
    EXPECT_THAT(plain.name(), StartsWith("Thread-"));
    EXPECT_FALSE(plain.daemon());  // inherited from the main thread
    EXPECT_FALSE(plain.ident().has_value());

    threading::Timer named({.name = "ticker", .daemon = true}, 0, [] {});
    EXPECT_EQ(named.name(), "ticker");
    EXPECT_TRUE(named.daemon());
    named.set_name("renamed");
    named.set_daemon(false);
    EXPECT_EQ(named.name(), "renamed");
    EXPECT_FALSE(named.daemon());

    std::string name_inside;
    threading::Timer reporter({.name = "reporter"}, 0, [&] { name_inside = threading::current_thread().name(); });
    reporter.start();
    reporter.join();
    EXPECT_EQ(name_inside, "reporter");

    plain.start();
    EXPECT_TRUE(plain.is_alive());
    ASSERT_TRUE(plain.ident().has_value());
    EXPECT_TRUE(plain.native_id().has_value());
    EXPECT_EQ(*plain.ident(), *plain.thread().ident());
    EXPECT_THROW(plain.set_daemon(true), concurrence::RuntimeError);
    EXPECT_THROW(plain.start(), concurrence::RuntimeError);  // "threads can only be started once"
    plain.join(0.001);  // times out: the function still waits
    EXPECT_TRUE(plain.is_alive());
    release.set();
    plain.join();
    EXPECT_FALSE(plain.is_alive());
}

TEST(Timer, DestroyingAStartedTimerWaitsForTheCall) {
    std::atomic<int> calls{0};
    const auto start = Clock::now();
    {
        threading::Timer timer(0.03, [&] { calls.fetch_add(1); });
        timer.start();
    }
    EXPECT_EQ(calls.load(), 1);
    EXPECT_GE(Clock::now() - start, 30ms);
}

TEST(Timer, DestroyingACancelledTimerDoesNotWaitForTheInterval) {
    std::atomic<int> calls{0};
    const auto start = Clock::now();
    {
        threading::Timer timer(60, [&] { calls.fetch_add(1); });
        timer.start();
        timer.cancel();
    }
    EXPECT_LT(Clock::now() - start, 30s);
    EXPECT_EQ(calls.load(), 0);
}

TEST(Timer, ADestroyedDaemonTimerStillFires) {
    // The daemon timer's thread outlives the object and must not touch it (ASan would see it);
    // what the function uses is shared, as it may still be in set() when the test returns.
    auto called = std::make_shared<threading::Event>();
    {
        threading::Timer timer({.daemon = true}, 0.02, [called] { called->set(); });
        timer.start();
    }  // not joined: a daemon
    EXPECT_TRUE(called->wait(30s));
}

TEST(Timer, AnExceptionFromTheFunctionGoesToTheExceptHookAndTheTimerEnds) {
    testing::internal::CaptureStderr();
    threading::Timer timer({.name = "failing"}, 0, [] { throw std::runtime_error("timer boom"); });
    timer.start();
    timer.join();
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_THAT(err, testing::HasSubstr("Exception in thread failing"));
    EXPECT_THAT(err, testing::HasSubstr("timer boom"));
    EXPECT_FALSE(timer.is_alive());
}

}  // namespace
