// Loop callbacks: Handle/TimerHandle, errors escaping callbacks and the exception handler,
// call_later/call_at details (test_base_events.py, test_events.py).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "semantic/support.hpp"

namespace {

namespace asyncio = concurrence::asyncio;
using semantic::Log;
using semantic::Reports;
using semantic::run_once;
using semantic::what_of;
using testing::ElementsAre;
using testing::HasSubstr;

// ---- errors escaping callbacks

TEST(LoopCallbacks, ExceptionFromACallbackGoesToTheHandlerAndTheLoopContinues) {
    asyncio::EventLoop loop;
    Reports reports;
    loop.set_exception_handler(semantic::record_into(&reports));
    Log log;
    loop.call_soon([] { throw std::runtime_error("callback failed"); });
    loop.call_soon([&] { log.push_back("next callback runs"); });
    loop.call_later(0.001, [] { throw std::logic_error("timer failed"); });
    loop.call_later(0.002, [&] {
        log.push_back("loop still alive");
        loop.stop();
    });
    loop.run_forever();
    EXPECT_THAT(log, ElementsAre("next callback runs", "loop still alive"));
    ASSERT_EQ(reports.messages.size(), 2u);
    EXPECT_EQ(reports.messages[0], "Exception in callback");
    EXPECT_EQ(what_of(reports.exceptions[0]), "callback failed");
    EXPECT_EQ(reports.messages[1], "Exception in callback");
    EXPECT_TRUE(semantic::holds<std::logic_error>(reports.exceptions[1]));
}

TEST(LoopCallbacks, HandlerReceivesTheLoop) {
    asyncio::EventLoop loop;
    asyncio::EventLoop* seen = nullptr;
    loop.set_exception_handler([&](asyncio::EventLoop& l, const asyncio::ExceptionContext&) { seen = &l; });
    loop.call_soon([] { throw 1; });  // not even a std::exception
    run_once(loop);
    EXPECT_EQ(seen, &loop);
}

TEST(LoopCallbacks, GetExceptionHandlerReturnsWhatWasSet) {
    asyncio::EventLoop loop;
    EXPECT_FALSE(static_cast<bool>(loop.get_exception_handler()));
    loop.set_exception_handler([](asyncio::EventLoop&, const asyncio::ExceptionContext&) {});
    EXPECT_TRUE(static_cast<bool>(loop.get_exception_handler()));
    loop.set_exception_handler(nullptr);
    EXPECT_FALSE(static_cast<bool>(loop.get_exception_handler()));
}

TEST(LoopCallbacks, DefaultHandlerPrintsToStderrAndTheLoopContinues) {
    asyncio::EventLoop loop;
    bool after = false;
    loop.call_soon([] { throw std::runtime_error("printed"); });
    loop.call_soon([&] { after = true; });
    testing::internal::CaptureStderr();
    run_once(loop);
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_TRUE(after);
    EXPECT_THAT(err, HasSubstr("Exception in callback"));
    EXPECT_THAT(err, HasSubstr("printed"));
}

TEST(LoopCallbacks, HandlerThatThrowsFallsBackToTheDefaultHandler) {
    asyncio::EventLoop loop;
    loop.set_exception_handler(
        [](asyncio::EventLoop&, const asyncio::ExceptionContext&) { throw std::runtime_error("handler broke"); });
    bool after = false;
    loop.call_soon([] { throw std::runtime_error("original"); });
    loop.call_soon([&] { after = true; });
    testing::internal::CaptureStderr();
    run_once(loop);
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_TRUE(after);
    EXPECT_THAT(err, HasSubstr("Unhandled error in exception handler"));
    EXPECT_THAT(err, HasSubstr("handler broke"));
    EXPECT_THAT(err, HasSubstr("original"));
}

TEST(LoopCallbacks, CallExceptionHandlerDirectly) {
    asyncio::EventLoop loop;
    Reports reports;
    loop.set_exception_handler(semantic::record_into(&reports));
    loop.call_exception_handler({"custom message", nullptr});
    ASSERT_EQ(reports.messages.size(), 1u);
    EXPECT_EQ(reports.messages[0], "custom message");
    EXPECT_EQ(reports.exceptions[0], nullptr);
}

// ---- handles

TEST(LoopCallbacks, CancelledHandleDoesNotRun) {
    asyncio::EventLoop loop;
    Log log;
    auto h = loop.call_soon([&] { log.push_back("cancelled one"); });
    loop.call_soon([&] { log.push_back("other"); });
    EXPECT_FALSE(h.cancelled());
    h.cancel();
    EXPECT_TRUE(h.cancelled());
    h.cancel();  // twice is harmless
    run_once(loop);
    EXPECT_THAT(log, ElementsAre("other"));
}

TEST(LoopCallbacks, CancelFromAnEarlierCallbackOfTheSameIteration) {
    asyncio::EventLoop loop;
    Log log;
    asyncio::Handle second;
    loop.call_soon([&] {
        log.push_back("first");
        second.cancel();
    });
    second = loop.call_soon([&] { log.push_back("second"); });
    run_once(loop);
    EXPECT_THAT(log, ElementsAre("first"));
}

TEST(LoopCallbacks, DueTimerCancelledByAnEarlierCallbackOfTheSameIterationDoesNotRun) {
    asyncio::EventLoop loop;
    Log log;
    asyncio::TimerHandle second;
    const double when = loop.time() + 0.001;
    loop.call_at(when, [&] {
        log.push_back("first");
        second.cancel();
    });
    second = loop.call_at(when, [&] { log.push_back("second"); });
    loop.call_at(when + 0.001, [&] { loop.stop(); });
    loop.run_forever();
    EXPECT_THAT(log, ElementsAre("first"));
}

TEST(LoopCallbacks, CancelAfterItRanIsHarmless) {
    asyncio::EventLoop loop;
    int ran = 0;
    auto h = loop.call_soon([&] { ++ran; });
    auto t = loop.call_later(0, [&] { ++ran; });
    run_once(loop);
    EXPECT_EQ(ran, 2);
    h.cancel();
    t.cancel();
    run_once(loop);
    EXPECT_EQ(ran, 2);
}

TEST(LoopCallbacks, DefaultConstructedHandles) {
    asyncio::Handle h;
    asyncio::TimerHandle t;
    EXPECT_FALSE(h.cancelled());
    h.cancel();
    t.cancel();
    EXPECT_EQ(t.when(), 0.0);
}

TEST(LoopCallbacks, CancelledTimerDoesNotRun) {
    asyncio::EventLoop loop;
    Log log;
    auto h = loop.call_later(0.001, [&] { log.push_back("cancelled timer"); });
    loop.call_later(0.002, [&] {
        log.push_back("other timer");
        loop.stop();
    });
    h.cancel();
    EXPECT_TRUE(h.cancelled());
    loop.run_forever();
    EXPECT_THAT(log, ElementsAre("other timer"));
}

TEST(LoopCallbacks, ManyCancelledTimersArePurgedAndTheLoopGoesOn) {
    // test_base_events.py test__run_once_cancelled_event_cleanup: more than half of more than
    // 100 timers cancelled → purged in bulk (here: nothing runs, nothing leaks, the loop works).
    asyncio::EventLoop loop;
    int ran = 0;
    std::vector<asyncio::TimerHandle> handles;
    for (int i = 0; i < 1000; ++i) handles.push_back(loop.call_later(60 + i, [&] { ++ran; }));
    for (int i = 0; i < 900; ++i) handles[static_cast<std::size_t>(i)].cancel();
    handles.clear();  // the remaining 100 stay armed without their handles
    loop.call_later(0.001, [&] { loop.stop(); });
    loop.run_forever();
    EXPECT_EQ(ran, 0);
}

TEST(LoopCallbacks, CallAtInThePastRunsInTheNextIteration) {
    asyncio::EventLoop loop;
    Log log;
    loop.call_at(loop.time() - 10, [&] { log.push_back("past"); });
    loop.call_at(0, [&] { log.push_back("epoch"); });
    run_once(loop);
    EXPECT_THAT(log, ElementsAre("epoch", "past"));  // deadline order: 0 is the earliest
}

TEST(LoopCallbacks, TimerNeverFiresBeforeItsDeadline) {
    // libuv test-timer.c timer_early_check.
    asyncio::EventLoop loop;
    std::vector<double> lateness;
    for (int i = 1; i <= 5; ++i) {
        const double when = loop.time() + 0.001 * i;
        loop.call_at(when, [&lateness, &loop, when] { lateness.push_back(loop.time() - when); });
    }
    loop.call_later(0.006, [&] { loop.stop(); });
    loop.run_forever();
    ASSERT_EQ(lateness.size(), 5u);
    for (double l : lateness) EXPECT_GE(l, 0.0);
}

TEST(LoopCallbacks, CallbacksCanBeMoveOnly) {
    asyncio::EventLoop loop;
    int seen = 0;
    auto p = std::make_unique<int>(5);
    loop.call_soon([&seen, q = std::move(p)] { seen = *q; });
    loop.call_later(0, [&seen, q = std::make_unique<int>(6)] { seen += *q; });
    run_once(loop);
    EXPECT_EQ(seen, 11);
}

TEST(LoopCallbacks, NamedCallableCanBeScheduled) {
    // Python: loop.call_soon(cb) with a callable held in a variable.
    asyncio::EventLoop loop;
    int count = 0;
    auto cb = [&count] { ++count; };
    loop.call_soon(decltype(cb)(cb));  // see the report: call_soon(cb) with an lvalue does not compile
    run_once(loop);
    EXPECT_EQ(count, 1);
}

TEST(LoopCallbacks, CallbackStateIsDestroyedAfterItRuns) {
    asyncio::EventLoop loop;
    auto token = std::make_shared<int>(0);
    std::weak_ptr<int> watch = token;
    loop.call_soon([t = std::move(token)] { ++*t; });
    run_once(loop);
    EXPECT_TRUE(watch.expired());
}

TEST(LoopCallbacks, TimerHandleKeptAfterTheLoopIsDestroyedCanStillBeCancelled) {
    asyncio::TimerHandle kept;
    {
        asyncio::EventLoop loop;
        kept = loop.call_later(60, [] {});
    }
    kept.cancel();  // must not touch the destroyed loop
    EXPECT_TRUE(kept.cancelled());
}

}  // namespace
