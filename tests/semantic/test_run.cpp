// asyncio::run (test_runners.py) and the loop's life cycle: running, stopping, closing,
// get_running_loop, time().
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "semantic/support.hpp"

namespace {

namespace asyncio = concurrence::asyncio;
using asyncio::CancelledError;
using concurrence::RuntimeError;
using semantic::Log;
using semantic::Reports;
using semantic::run_once;
using semantic::what_of;
using testing::ElementsAre;
using testing::HasSubstr;
using testing::StartsWith;
using testing::StrEq;
using testing::ThrowsMessage;

asyncio::Coro<int> return_value() {
    co_await asyncio::sleep(0);
    co_return 123;
}

asyncio::Coro<int> return_value_after(double delay) {
    co_await asyncio::sleep(delay);
    co_return 7;
}

asyncio::Coro<int> raise_value_error() {
    co_await asyncio::sleep(0);
    throw std::invalid_argument("spam");
}

asyncio::Coro<> void_main(bool* ran) {
    *ran = true;
    co_return;
}

TEST(Run, ReturnsTheCoroutinesValue) { EXPECT_EQ(asyncio::run(return_value()), 123); }

TEST(Run, VoidMain) {
    bool ran = false;
    asyncio::run(void_main(&ran));
    EXPECT_TRUE(ran);
}

TEST(Run, PropagatesTheCoroutinesException) {
    EXPECT_THAT([] { asyncio::run(raise_value_error()); }, ThrowsMessage<std::invalid_argument>(StrEq("spam")));
}

TEST(Run, PropagatedExceptionIsNotReportedAsNeverRetrieved) {
    testing::internal::CaptureStderr();
    EXPECT_THROW(asyncio::run(raise_value_error()), std::invalid_argument);
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_THAT(err, testing::Not(HasSubstr("never retrieved")));
}

TEST(Run, RunUntilCompleteExceptionIsNotReportedAsNeverRetrieved) {
    testing::internal::CaptureStderr();
    {
        asyncio::EventLoop loop;
        EXPECT_THROW(loop.run_until_complete(raise_value_error()), std::invalid_argument);
    }
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_THAT(err, testing::Not(HasSubstr("never retrieved")));
}

TEST(Run, CanBeCalledAgainAfterItReturned) {
    EXPECT_EQ(asyncio::run(return_value()), 123);
    EXPECT_EQ(asyncio::run(return_value()), 123);
    EXPECT_THROW(asyncio::get_running_loop(), RuntimeError);  // and leaves no loop behind
}

asyncio::Coro<std::string> nested_run(bool* nested_ran) {
    try {
        asyncio::run(void_main(nested_ran));
    } catch (const RuntimeError& e) {
        co_return e.what();
    }
    co_return "no error";
}

TEST(Run, InsideARunningLoopThrows) {
    // test_runners.py test_asyncio_run_from_running_loop: the nested coroutine never runs.
    bool nested_ran = false;
    EXPECT_EQ(asyncio::run(nested_run(&nested_ran)), "asyncio.run() cannot be called from a running event loop");
    EXPECT_FALSE(nested_ran);
}

asyncio::Coro<asyncio::EventLoop*> loop_inside() {
    asyncio::EventLoop& loop = asyncio::get_running_loop();
    EXPECT_TRUE(loop.is_running());
    EXPECT_FALSE(loop.is_closed());
    co_return &loop;
}

TEST(Run, MainRunsInANewRunningLoop) {
    asyncio::EventLoop* first = asyncio::run(loop_inside());
    EXPECT_NE(first, nullptr);
}

// ---- leftover tasks

asyncio::Coro<> leftover(Log* log, std::string name) {
    try {
        co_await asyncio::sleep(10);
    } catch (const CancelledError&) {
        log->push_back(name + " cleanup");
        throw;
    }
}

asyncio::Coro<> leftover_with_awaiting_cleanup(Log* log) {
    try {
        co_await asyncio::sleep(10);
    } catch (const CancelledError&) {
        log->push_back("slow cleanup start");
    }
    co_await asyncio::sleep(0.001);
    log->push_back("slow cleanup end");
    throw CancelledError();
}

asyncio::Coro<int> main_with_leftovers(Log* log, asyncio::Task<>* kept) {
    *kept = asyncio::create_task(leftover(log, "kept"));
    (void)asyncio::create_task(leftover(log, "dropped"));
    (void)asyncio::create_task(leftover_with_awaiting_cleanup(log));
    co_await asyncio::sleep(0);
    log->push_back("main returns");
    co_return 123;
}

TEST(Run, LeftoverTasksAreCancelledAndTheirCleanupRunsBeforeRunReturns) {
    // test_runners.py test_asyncio_run_cancels_hanging_tasks.
    Log log;
    asyncio::Task<> kept;
    EXPECT_EQ(asyncio::run(main_with_leftovers(&log, &kept)), 123);
    EXPECT_TRUE(kept.done());
    EXPECT_TRUE(kept.cancelled());
    ASSERT_EQ(log.size(), 5u);
    EXPECT_EQ(log[0], "main returns");
    EXPECT_THAT(log, testing::UnorderedElementsAre("main returns", "kept cleanup", "dropped cleanup",
                                                   "slow cleanup start", "slow cleanup end"));
}

asyncio::Coro<int> main_raising_with_leftovers(Log* log) {
    (void)asyncio::create_task(leftover(log, "leftover"));
    co_await asyncio::sleep(0);
    throw std::invalid_argument("main failed");
}

TEST(Run, LeftoversAreCancelledWhenMainRaisesToo) {
    Log log;
    EXPECT_THROW(asyncio::run(main_raising_with_leftovers(&log)), std::invalid_argument);
    EXPECT_THAT(log, ElementsAre("leftover cleanup"));
}

asyncio::Coro<> leftover_raising(Log* log) {
    try {
        co_await asyncio::sleep(10);
    } catch (const CancelledError&) {
        log->push_back("raising in cleanup");
        throw std::domain_error("1 / 0");
    }
}

asyncio::Coro<int> main_reporting(Log* log, Reports* reports, asyncio::Task<>* kept) {
    asyncio::get_running_loop().set_exception_handler(semantic::record_into(reports));
    *kept = asyncio::create_task(leftover_raising(log), "bad leftover");
    co_await asyncio::sleep(0);
    co_return 123;
}

TEST(Run, LeftoverRaisingDuringCancellationIsReportedToTheExceptionHandler) {
    // test_runners.py test_asyncio_run_reports_hanging_tasks_errors (message r'asyncio.run.*shutdown').
    Log log;
    Reports reports;
    asyncio::Task<> kept;
    EXPECT_EQ(asyncio::run(main_reporting(&log, &reports, &kept)), 123);
    EXPECT_TRUE(kept.done());
    EXPECT_FALSE(kept.cancelled());
    EXPECT_THAT(log, ElementsAre("raising in cleanup"));
    ASSERT_EQ(reports.messages.size(), 1u);
    EXPECT_THAT(reports.messages[0], StartsWith("unhandled exception during asyncio.run() shutdown"));
    EXPECT_TRUE(semantic::holds<std::domain_error>(reports.exceptions[0]));
    EXPECT_EQ(what_of(reports.exceptions[0]), "1 / 0");
}

asyncio::Coro<> set_flag_first(bool* flag) {
    *flag = true;
    co_return;
}

asyncio::Coro<> set_flag_after_yield(bool* flag) {
    co_await asyncio::sleep(0);
    *flag = true;
}

asyncio::Coro<int> main_leaving_a_ready_task(bool* ran, asyncio::Task<>* kept, bool yield_first) {
    if (yield_first) {
        *kept = asyncio::create_task(set_flag_after_yield(ran));
        co_await asyncio::sleep(0);
    } else {
        *kept = asyncio::create_task(set_flag_first(ran));
    }
    co_return 1;
}

TEST(Run, LeftoverStepQueuedBeforeMainEndedStillRuns) {
    // async def main(): kept = create_task(setflag()); return 1
    // asyncio.run(main()) → 1, ran True, kept.cancelled() False: the leftover's step was queued
    // before main's done callback (which stops the loop), so it runs; it is then done, and
    // there is nothing left to cancel. Same with one sleep(0) on both sides.
    for (bool yield_first : {false, true}) {
        bool ran = false;
        asyncio::Task<> kept;
        EXPECT_EQ(asyncio::run(main_leaving_a_ready_task(&ran, &kept, yield_first)), 1);
        EXPECT_TRUE(ran);
        EXPECT_TRUE(kept.done());
        EXPECT_FALSE(kept.cancelled());
    }
}

asyncio::Coro<int> main_leaving_done_tasks() {
    (void)asyncio::create_task(return_value());
    co_await asyncio::sleep(0.001);
    co_return 5;
}

TEST(Run, TasksAlreadyDoneAreNotTouched) { EXPECT_EQ(asyncio::run(main_leaving_done_tasks()), 5); }

asyncio::Coro<int> main_cancelled() {
    asyncio::current_task().cancel();
    co_await asyncio::sleep(0);
    co_return 0;
}

TEST(Run, CancelledMainRaisesCancelledError) { EXPECT_THROW(asyncio::run(main_cancelled()), CancelledError); }

// ---- get_running_loop

TEST(Loop, GetRunningLoopOutsideALoopThrows) {
    EXPECT_THAT([] { asyncio::get_running_loop(); }, ThrowsMessage<RuntimeError>(StrEq("no running event loop")));
    EXPECT_EQ(asyncio::running_loop_or_null(), nullptr);
}

TEST(Loop, GetRunningLoopInsideACallbackIsThatLoop) {
    asyncio::EventLoop loop;
    asyncio::EventLoop* seen = nullptr;
    loop.call_soon([&] { seen = &asyncio::get_running_loop(); });
    run_once(loop);
    EXPECT_EQ(seen, &loop);
    EXPECT_EQ(asyncio::running_loop_or_null(), nullptr);  // not after run_forever returned
}

TEST(Loop, NotRunningUntilRunForever) {
    asyncio::EventLoop loop;
    EXPECT_FALSE(loop.is_running());
    EXPECT_FALSE(loop.is_closed());
    bool running_inside = false;
    loop.call_soon([&] { running_inside = loop.is_running(); });
    run_once(loop);
    EXPECT_TRUE(running_inside);
    EXPECT_FALSE(loop.is_running());
}

// ---- running and stopping

TEST(Loop, StopFromACallbackEndsRunForeverAfterTheIteration) {
    asyncio::EventLoop loop;
    Log log;
    loop.call_soon([&] {
        log.push_back("a");
        loop.stop();
    });
    loop.call_soon([&] { log.push_back("b, same iteration"); });
    loop.run_forever();
    EXPECT_THAT(log, ElementsAre("a", "b, same iteration"));
    // The loop can run again.
    loop.call_soon([&] {
        log.push_back("again");
        loop.stop();
    });
    loop.run_forever();
    EXPECT_THAT(log, ElementsAre("a", "b, same iteration", "again"));
}

TEST(Loop, StopFromATimerCallback) {
    asyncio::EventLoop loop;
    bool stopped = false;
    loop.call_later(0.001, [&] {
        stopped = true;
        loop.stop();
    });
    loop.run_forever();
    EXPECT_TRUE(stopped);
}

TEST(Loop, RunForeverWhileRunningThrows) {
    asyncio::EventLoop loop;
    std::string error;
    loop.call_soon([&] {
        try {
            loop.run_forever();
        } catch (const RuntimeError& e) {
            error = e.what();
        }
    });
    run_once(loop);
    EXPECT_EQ(error, "This event loop is already running");
}

TEST(Loop, RunForeverOfAnotherLoopInsideARunningLoopThrows) {
    asyncio::EventLoop outer;
    asyncio::EventLoop inner;
    std::string error;
    outer.call_soon([&] {
        try {
            inner.run_forever();
        } catch (const RuntimeError& e) {
            error = e.what();
        }
    });
    run_once(outer);
    EXPECT_EQ(error, "Cannot run the event loop while another loop is running");
}

asyncio::Coro<> set_flag_coro(bool* flag) {
    *flag = true;
    co_return;
}

asyncio::Coro<std::string> nested_run_until_complete(bool* nested_ran) {
    std::string error;
    try {
        asyncio::get_running_loop().run_until_complete(set_flag_coro(nested_ran));
    } catch (const RuntimeError& e) {
        error = e.what();
    }
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    co_return error;
}

TEST(Loop, RunUntilCompleteInsideARunningLoopThrowsAndNeverRunsTheCoroutine) {
    // test_events.py test_run_until_complete_nesting.
    bool nested_ran = false;
    EXPECT_EQ(asyncio::run(nested_run_until_complete(&nested_ran)), "This event loop is already running");
    EXPECT_FALSE(nested_ran);
}

TEST(Loop, CloseWhileRunningThrows) {
    // test_events.py test_close_running_event_loop.
    asyncio::EventLoop loop;
    std::string error;
    loop.call_soon([&] {
        try {
            loop.close();
        } catch (const RuntimeError& e) {
            error = e.what();
        }
    });
    run_once(loop);
    EXPECT_EQ(error, "Cannot close a running event loop");
    EXPECT_FALSE(loop.is_closed());
}

TEST(Loop, RunUntilCompleteOfAFailedTaskThrowsItsException) {
    asyncio::EventLoop loop;
    EXPECT_THAT([&] { loop.run_until_complete(raise_value_error()); },
                ThrowsMessage<std::invalid_argument>(StrEq("spam")));
}

TEST(Loop, RunUntilCompleteStoppedEarlyThrowsAndLeavesNoStopBehind) {
    // base_events.py run_until_complete: "Event loop stopped before Future completed.", and
    // its done callback is removed in `finally`, so the task finishing later stops nothing.
    asyncio::EventLoop loop;
    auto t = loop.create_task(return_value_after(0.002));
    loop.call_soon([&loop] { loop.stop(); });
    EXPECT_THAT([&] { loop.run_until_complete(t); },
                ThrowsMessage<RuntimeError>(StrEq("Event loop stopped before Future completed.")));
    EXPECT_FALSE(t.done());
    bool stopped_by_timer = false;
    loop.call_later(0.02, [&] {
        stopped_by_timer = true;
        loop.stop();
    });
    loop.run_forever();  // t completes at 2 ms; only the 20 ms timer may stop the loop
    EXPECT_TRUE(t.done());
    EXPECT_TRUE(stopped_by_timer);
}

TEST(Loop, RunUntilCompleteOfADoneTaskReturnsAtOnce) {
    asyncio::EventLoop loop;
    auto t = loop.create_task(return_value());
    EXPECT_EQ(loop.run_until_complete(t), 123);
    EXPECT_EQ(loop.run_until_complete(t), 123);
}

TEST(Loop, RunUntilCompleteStopsWhenTheTaskIsDone) {
    asyncio::EventLoop loop;
    Log log;
    auto t = loop.create_task(return_value());
    // A callback chain that would run forever: run_until_complete still returns.
    struct Tick {
        asyncio::EventLoop* loop;
        Log* log;
        void operator()() const {
            log->push_back("tick");
            loop->call_soon(Tick(*this));
        }
    };
    loop.call_soon(Tick{&loop, &log});
    EXPECT_EQ(loop.run_until_complete(t), 123);
    EXPECT_GE(log.size(), 2u);
    EXPECT_LT(log.size(), 10u);
}

// ---- closing

TEST(Loop, MethodsOfAClosedLoopThrow) {
    asyncio::EventLoop loop;
    loop.close();
    EXPECT_TRUE(loop.is_closed());
    loop.close();  // twice is harmless
    const auto closed = ThrowsMessage<RuntimeError>(StrEq("Event loop is closed"));
    EXPECT_THAT([&] { loop.call_soon([] {}); }, closed);
    EXPECT_THAT([&] { loop.call_later(0.1, [] {}); }, closed);
    EXPECT_THAT([&] { loop.call_at(loop.time(), [] {}); }, closed);
    EXPECT_THAT([&] { loop.run_forever(); }, closed);
    EXPECT_THAT([&] { (void)loop.create_future<int>(); }, closed);
    bool ran = false;
    EXPECT_THAT([&] { (void)loop.create_task(set_flag_coro(&ran)); }, closed);
    EXPECT_THAT([&] { loop.run_until_complete(set_flag_coro(&ran)); }, closed);
    EXPECT_FALSE(ran);
}

TEST(Loop, CallSoonThreadsafeOnAClosedLoopThrows) {
    // base_events.py call_soon_threadsafe: self._check_closed() first.
    asyncio::EventLoop loop;
    loop.close();
    EXPECT_THAT([&] { loop.call_soon_threadsafe([] {}); },
                ThrowsMessage<RuntimeError>(StrEq("Event loop is closed")));
}

TEST(Loop, CloseDropsPendingCallbacksAndTimersWithoutRunningThem) {
    int ran = 0;
    {
        asyncio::EventLoop loop;
        loop.call_soon([&] { ++ran; });
        loop.call_later(0.5, [&] { ++ran; });
        auto kept = loop.call_later(60, [&] { ++ran; });
        loop.close();
        EXPECT_FALSE(kept.cancelled());
    }
    EXPECT_EQ(ran, 0);
}

TEST(Loop, DestroyingALoopThatWasNeverRunIsFine) {
    asyncio::EventLoop loop;
    loop.call_soon([] {});
    loop.call_later(1, [] {});
}

asyncio::Coro<> pending_forever(asyncio::Future<int> fut) { co_await fut; }

TEST(Loop, ClosingWithAPendingTaskReportsItAndFreesIt) {
    Reports reports;
    asyncio::EventLoop loop;
    loop.set_exception_handler(semantic::record_into(&reports));
    auto fut = loop.create_future<int>();
    (void)loop.create_task(pending_forever(fut), "stuck");
    run_once(loop);
    loop.close();
    ASSERT_EQ(reports.messages.size(), 1u);
    EXPECT_THAT(reports.messages[0], HasSubstr("Task was destroyed but it is pending!"));
    EXPECT_THAT(reports.futures[0],
                testing::MatchesRegex("<Task pending name='stuck' coro=<pending_forever\\(\\) running at .*test_run.cpp:[0-9]+>>"));
}

// ---- time

TEST(Loop, TimeIsMonotonic) {
    asyncio::EventLoop loop;
    double last = loop.time();
    for (int i = 0; i < 1000; ++i) {
        const double now = loop.time();
        EXPECT_GE(now, last);
        last = now;
    }
    const double before = loop.time();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // not synchronisation: time passing
    EXPECT_GE(loop.time() - before, 0.002);
}

TEST(Loop, TimerHandleWhenIsTheLoopTimeItIsDue) {
    asyncio::EventLoop loop;
    const double before = loop.time();
    auto h = loop.call_later(5, [] {});
    const double after = loop.time();
    EXPECT_GE(h.when(), before + 5 - 1e-6);
    EXPECT_LE(h.when(), after + 5 + 1e-6);
    auto at = loop.call_at(before + 7.25, [] {});
    EXPECT_NEAR(at.when(), before + 7.25, 1e-6);
    h.cancel();
    at.cancel();
}

}  // namespace
