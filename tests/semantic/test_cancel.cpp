// Cancellation basics (test_tasks.py test_cancel_*): Task.cancel(msg), cancelled(),
// cancelling()/uncancel(), cancelling what a task awaits, catching CancelledError.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "semantic/support.hpp"

namespace {

using semantic::value_after;

namespace asyncio = concurrence::asyncio;
using asyncio::CancelledError;
using semantic::Log;
using semantic::run_once;
using semantic::await_task;
using semantic::set_flag;
using testing::ElementsAre;
using namespace std::chrono_literals;


asyncio::Coro<int> logged_sleep(Log* log, std::string name, double delay) {
    try {
        co_await asyncio::sleep(delay);
    } catch (const CancelledError& e) {
        log->push_back(name + " cancelled: '" + e.what() + "'");
        throw;
    }
    log->push_back(name + " woke");
    co_return 1;
}

asyncio::Coro<int> logged_sleep_no_log(double delay) {
    co_await asyncio::sleep(delay);
    co_return 1;
}

// ---- cancelling a sleeping task

asyncio::Coro<std::string> cancel_sleeping_main(Log* log) {
    auto t = asyncio::create_task(logged_sleep(log, "t", 10));
    co_await asyncio::sleep(0);  // t is now sleeping
    EXPECT_TRUE(t.cancel());
    EXPECT_FALSE(t.cancelled());  // not yet: the CancelledError is thrown into it first
    EXPECT_FALSE(t.done());
    std::string outcome;
    try {
        co_await t;
        outcome = "returned";
    } catch (const CancelledError&) {
        outcome = "CancelledError";
    }
    EXPECT_TRUE(t.done());
    EXPECT_TRUE(t.cancelled());
    EXPECT_THROW((void)t.result(), CancelledError);
    EXPECT_THROW((void)t.exception(), CancelledError);
    co_return outcome;
}

TEST(Cancel, CancellingASleepingTaskRaisesCancelledErrorInIt) {
    Log log;
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(asyncio::run(cancel_sleeping_main(&log)), "CancelledError");
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);  // the 10 s sleep did not run out
    EXPECT_THAT(log, ElementsAre("t cancelled: ''"));
}


asyncio::Coro<std::string> cancel_before_start_main(bool* ran) {
    auto t = asyncio::create_task(set_flag(ran));
    EXPECT_TRUE(t.cancel("before start"));
    try {
        co_await t;
    } catch (const CancelledError& e) {
        EXPECT_TRUE(t.cancelled());
        co_return e.what();
    }
    co_return "not cancelled";
}

TEST(Cancel, CancelBeforeTheFirstStepMeansTheBodyNeverRuns) {
    // test_tasks.py test_cancel_with_message_before_starting_task: the message reaches the awaiter.
    bool ran = false;
    EXPECT_EQ(asyncio::run(cancel_before_start_main(&ran)), "before start");
    EXPECT_FALSE(ran);
}

TEST(Cancel, CancelBeforeTheFirstStepWithAnExplicitLoop) {
    asyncio::EventLoop loop;
    bool ran = false;
    auto t = loop.create_task(set_flag(&ran));
    EXPECT_TRUE(t.cancel());
    EXPECT_THROW(loop.run_until_complete(t), CancelledError);
    EXPECT_TRUE(t.cancelled());
    EXPECT_FALSE(ran);
}

TEST(Cancel, CancellingADoneTaskReturnsFalse) {
    asyncio::EventLoop loop;
    auto t = loop.create_task(value_after(0, 3));
    EXPECT_EQ(loop.run_until_complete(t), 3);
    EXPECT_FALSE(t.cancel());
    EXPECT_FALSE(t.cancelled());
    EXPECT_EQ(t.cancelling(), 0);
    EXPECT_EQ(t.result(), 3);
}

TEST(Cancel, CancellingACancelledTaskReturnsFalse) {
    asyncio::EventLoop loop;
    auto t = loop.create_task(value_after(10, 3));
    run_once(loop);
    EXPECT_TRUE(t.cancel());
    EXPECT_THROW(loop.run_until_complete(t), CancelledError);
    EXPECT_FALSE(t.cancel());
}

// ---- catching the cancellation

asyncio::Coro<int> catch_and_return(Log* log) {
    try {
        co_await asyncio::sleep(10);
    } catch (const CancelledError&) {
        log->push_back("caught");
        co_return 42;
    }
    co_return 0;
}

asyncio::Coro<int> catching_main(Log* log) {
    auto t = asyncio::create_task(catch_and_return(log));
    co_await asyncio::sleep(0);
    t.cancel();
    int v = co_await t;
    EXPECT_FALSE(t.cancelled());
    EXPECT_EQ(t.result(), 42);
    co_return v;
}

TEST(Cancel, TaskThatCatchesCancelledErrorAndReturnsIsNotCancelled) {
    // test_tasks.py test_cancel_task_catching.
    Log log;
    EXPECT_EQ(asyncio::run(catching_main(&log)), 42);
    EXPECT_THAT(log, ElementsAre("caught"));
}

asyncio::Coro<int> swallow_then_await(asyncio::Future<int> next) {
    try {
        co_await asyncio::sleep(10);
    } catch (const CancelledError&) {
    }
    co_return co_await next;  // goes on normally
}

asyncio::Coro<int> ignoring_main() {
    auto& loop = asyncio::get_running_loop();
    auto next = loop.create_future<int>();
    auto t = asyncio::create_task(swallow_then_await(next));
    co_await asyncio::sleep(0);
    t.cancel();
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    EXPECT_FALSE(t.done());
    EXPECT_FALSE(next.done());  // the cancel was spent on the sleep, not on this future
    next.set_result(7);
    co_return co_await t;
}

TEST(Cancel, TaskThatSwallowsTheCancelGoesOnNormally) {
    // test_tasks.py test_cancel_task_ignoring.
    EXPECT_EQ(asyncio::run(ignoring_main()), 7);
}

asyncio::Coro<> catch_rethrow_other(Log* log) {
    try {
        co_await asyncio::sleep(10);
    } catch (const CancelledError&) {
        log->push_back("cleanup");
        throw std::runtime_error("error during cleanup");
    }
}

asyncio::Coro<> other_exception_main(Log* log) {
    auto t = asyncio::create_task(catch_rethrow_other(log));
    co_await asyncio::sleep(0);
    t.cancel();
    try {
        co_await t;
    } catch (const std::runtime_error& e) {
        log->push_back(e.what());
    }
    EXPECT_FALSE(t.cancelled());
    EXPECT_TRUE(t.done());
}

TEST(Cancel, CleanupThatRaisesAnotherExceptionEndsTheTaskFailed) {
    Log log;
    asyncio::run(other_exception_main(&log));
    EXPECT_THAT(log, ElementsAre("cleanup", "error during cleanup"));
}

asyncio::Coro<> cleanup_awaits(Log* log) {
    try {
        co_await asyncio::sleep(10);
    } catch (const CancelledError&) {
        log->push_back("cleanup start");
    }
    co_await asyncio::sleep(0.001);  // awaiting again after catching is allowed
    log->push_back("cleanup end");
    throw CancelledError("re-raised later");
}

asyncio::Coro<> cleanup_awaits_main(Log* log) {
    auto t = asyncio::create_task(cleanup_awaits(log));
    co_await asyncio::sleep(0);
    t.cancel();
    try {
        co_await t;
    } catch (const CancelledError& e) {
        log->push_back(std::string("awaiter: ") + e.what());
    }
    EXPECT_TRUE(t.cancelled());
}

TEST(Cancel, CancelledErrorRaisedAfterCleanupAwaitsMarksTheTaskCancelled) {
    Log log;
    asyncio::run(cleanup_awaits_main(&log));
    EXPECT_THAT(log, ElementsAre("cleanup start", "cleanup end", "awaiter: re-raised later"));
}

// ---- what the task awaits is cancelled too


asyncio::Coro<> cancel_outer_main(Log* log) {
    auto inner = asyncio::create_task(logged_sleep(log, "inner", 10));
    auto outer = asyncio::create_task(await_task(inner));
    co_await asyncio::sleep(0);
    EXPECT_TRUE(outer.cancel("from main"));
    try {
        co_await outer;
    } catch (const CancelledError& e) {
        log->push_back(std::string("outer: '") + e.what() + "'");
    }
    EXPECT_TRUE(inner.cancelled());
    EXPECT_TRUE(outer.cancelled());
}

TEST(Cancel, CancellingATaskCancelsTheTaskItAwaits) {
    Log log;
    asyncio::run(cancel_outer_main(&log));
    EXPECT_THAT(log, ElementsAre("inner cancelled: 'from main'", "outer: 'from main'"));
}

asyncio::Coro<int> await_future(asyncio::Future<int> fut) { co_return co_await fut; }

asyncio::Coro<> cancel_future_waiter_main() {
    auto fut = asyncio::get_running_loop().create_future<int>();
    auto t = asyncio::create_task(await_future(fut));
    co_await asyncio::sleep(0);
    EXPECT_TRUE(t.cancel());
    EXPECT_TRUE(fut.cancelled());  // at once, as Python's _fut_waiter.cancel()
    EXPECT_THROW(co_await t, CancelledError);
    EXPECT_TRUE(t.cancelled());
}

TEST(Cancel, CancellingATaskCancelsTheFutureItAwaits) { asyncio::run(cancel_future_waiter_main()); }

asyncio::Coro<> cancel_inner_future_main() {
    auto fut = asyncio::get_running_loop().create_future<int>();
    auto t = asyncio::create_task(await_future(fut));
    co_await asyncio::sleep(0);
    EXPECT_TRUE(fut.cancel());
    EXPECT_THROW(co_await t, CancelledError);
    EXPECT_TRUE(t.cancelled());
    EXPECT_EQ(t.cancelling(), 0);  // the task itself was never asked
}

TEST(Cancel, CancellingTheAwaitedFuturePropagatesIntoTheTask) {
    // test_tasks.py test_cancel_inner_future.
    asyncio::run(cancel_inner_future_main());
}

// ---- messages

asyncio::Coro<std::string> message_inside(asyncio::Future<int> fut) {
    try {
        co_await fut;
    } catch (const CancelledError& e) {
        co_return e.what();
    }
    co_return "";
}

asyncio::Coro<> messages_main(std::vector<std::string>* out) {
    auto& loop = asyncio::get_running_loop();
    auto t1 = asyncio::create_task(message_inside(loop.create_future<int>()));
    auto t2 = asyncio::create_task(logged_sleep_no_log(10));
    co_await asyncio::sleep(0);
    t1.cancel("message one");
    t2.cancel("message two");
    out->push_back(co_await t1);
    try {
        co_await t2;
    } catch (const CancelledError& e) {
        out->push_back(e.what());
    }
}

TEST(Cancel, MessageIsCarriedByTheCancelledError) {
    std::vector<std::string> out;
    asyncio::run(messages_main(&out));
    EXPECT_THAT(out, ElementsAre("message one", "message two"));
}

// ---- cancelling() / uncancel()

asyncio::Coro<> counters_main() {
    auto t = asyncio::create_task(logged_sleep_no_log(10));
    co_await asyncio::sleep(0);
    EXPECT_EQ(t.cancelling(), 0);
    EXPECT_TRUE(t.cancel());
    EXPECT_EQ(t.cancelling(), 1);
    EXPECT_TRUE(t.cancel());  // still pending: a second request counts too
    EXPECT_EQ(t.cancelling(), 2);
    EXPECT_EQ(t.uncancel(), 1);
    EXPECT_EQ(t.cancelling(), 1);
    EXPECT_THROW(co_await t, CancelledError);
    EXPECT_TRUE(t.cancelled());
    EXPECT_EQ(t.uncancel(), 0);
    EXPECT_EQ(t.uncancel(), 0);  // never below zero
}

TEST(Cancel, CancellingCountsRequestsAndUncancelDecrements) {
    // test_tasks.py test_cancelling.
    asyncio::run(counters_main());
}

asyncio::Coro<int> resilient(Log* log) {
    int cancels = 0;
    for (;;) {
        try {
            co_await asyncio::sleep(10);
            co_return cancels;
        } catch (const CancelledError&) {
            ++cancels;
            const int left = asyncio::current_task().uncancel();
            log->push_back("uncancel -> " + std::to_string(left));
            if (cancels == 2) co_return cancels;
        }
    }
}

asyncio::Coro<int> uncancel_main(Log* log) {
    auto t = asyncio::create_task(resilient(log));
    co_await asyncio::sleep(0);
    t.cancel();
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    EXPECT_FALSE(t.done());
    EXPECT_EQ(t.cancelling(), 0);
    t.cancel();  // a task can be cancelled again after uncancel()
    int v = co_await t;
    EXPECT_FALSE(t.cancelled());
    co_return v;
}

TEST(Cancel, TaskCanBeCancelledAgainAfterUncancel) {
    // test_tasks.py test_uncancel_basic.
    Log log;
    EXPECT_EQ(asyncio::run(uncancel_main(&log)), 2);
    EXPECT_THAT(log, ElementsAre("uncancel -> 0", "uncancel -> 0"));
}

// ---- cancelling itself, and cancelling between steps

asyncio::Coro<int> yield_twice() {
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    co_return 12;
}

TEST(Cancel, CancelBetweenTwoYieldsCancelsTheTask) {
    // test_tasks.py test_cancel_yield.
    asyncio::EventLoop loop;
    auto t = loop.create_task(yield_twice());
    run_once(loop);  // started, at the first sleep(0)
    EXPECT_TRUE(t.cancel());
    EXPECT_THROW(loop.run_until_complete(t), CancelledError);
    EXPECT_TRUE(t.done());
    EXPECT_TRUE(t.cancelled());
    EXPECT_FALSE(t.cancel());
}

asyncio::Coro<std::string> cancel_self_then_yield(Log* log) {
    EXPECT_TRUE(asyncio::current_task().cancel());
    log->push_back("still running");
    try {
        co_await asyncio::sleep(0);
    } catch (const CancelledError&) {
        log->push_back("raised at the next await");
        throw;
    }
    co_return "not cancelled";
}

asyncio::Coro<> cancel_self_main(Log* log) {
    auto t = asyncio::create_task(cancel_self_then_yield(log));
    EXPECT_THROW(co_await t, CancelledError);
    EXPECT_TRUE(t.cancelled());
    EXPECT_FALSE(t.cancel());
}

TEST(Cancel, TaskCancellingItselfSeesCancelledErrorAtItsNextYield) {
    Log log;
    asyncio::run(cancel_self_main(&log));
    EXPECT_THAT(log, ElementsAre("still running", "raised at the next await"));
}

asyncio::Coro<> cancel_self_then_await_future(asyncio::Future<int> fut) {
    asyncio::current_task().cancel();
    co_await fut;  // Python cancels this future at once (the pending _must_cancel)
}

asyncio::Coro<> cancel_self_future_main(bool* done_promptly) {
    auto fut = asyncio::get_running_loop().create_future<int>();
    auto t = asyncio::create_task(cancel_self_then_await_future(fut));
    for (int i = 0; i < 5; ++i) co_await asyncio::sleep(0);
    *done_promptly = t.done();
    EXPECT_TRUE(fut.cancelled());
    if (!fut.done()) fut.set_result(0);  // unblock it, so the test ends either way
    EXPECT_THROW(co_await t, CancelledError);
    EXPECT_TRUE(t.cancelled());
}

TEST(Cancel, TaskCancellingItselfThenAwaitingAFutureIsCancelledAtOnce) {
    // test_tasks.py test_cancel_current_task: "the next await raises immediately".
    bool done_promptly = false;
    asyncio::run(cancel_self_future_main(&done_promptly));
    EXPECT_TRUE(done_promptly);
}

asyncio::Coro<int> cancel_self_then_sleep() {
    asyncio::current_task().cancel();
    co_await asyncio::sleep(10);  // Python: cancelled at once, not after 10 s
    co_return 1;
}

asyncio::Coro<bool> cancel_self_sleep_main() {
    auto t = asyncio::create_task(cancel_self_then_sleep());
    for (int i = 0; i < 5; ++i) co_await asyncio::sleep(0);
    const bool done = t.done();
    if (!done) t.cancel();  // unblock it, so the test ends either way
    EXPECT_THROW(co_await t, CancelledError);
    co_return done;
}

TEST(Cancel, TaskCancellingItselfThenSleepingIsCancelledAtOnce) {
    EXPECT_TRUE(asyncio::run(cancel_self_sleep_main()));
}

asyncio::Coro<int> cancel_self_and_return() {
    asyncio::current_task().cancel();
    co_return 12;
}

TEST(Cancel, TaskCancelledRightBeforeItReturnsIsCancelled) {
    // test_tasks.py test_cancel_at_end: "Task is cancelled right before coro stops".
    asyncio::EventLoop loop;
    auto t = loop.create_task(cancel_self_and_return());
    EXPECT_THROW(loop.run_until_complete(t), CancelledError);
    EXPECT_TRUE(t.done());
    EXPECT_TRUE(t.cancelled());
    EXPECT_FALSE(t.cancel());
}

asyncio::Coro<> cancel_waiting_on_cancelled_sleep_main() {
    // Cancel many sleeping tasks: their timers are discarded (and purged in bulk).
    std::vector<asyncio::Task<int>> tasks;
    for (int i = 0; i < 300; ++i) tasks.push_back(asyncio::create_task(logged_sleep_no_log(60)));
    co_await asyncio::sleep(0);
    for (auto& t : tasks) t.cancel();
    for (auto& t : tasks) EXPECT_THROW(co_await t, CancelledError);
    co_await asyncio::sleep(0.001);  // the loop goes on with the stale timers purged
}

TEST(Cancel, CancellingManySleepingTasksIsPromptAndLeavesNoTimers) {
    const auto start = std::chrono::steady_clock::now();
    asyncio::run(cancel_waiting_on_cancelled_sleep_main());
    EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);
}

asyncio::Coro<int> cancel_ref_main() {
    auto t = asyncio::create_task(logged_sleep_no_log(10));
    co_await asyncio::sleep(0);
    for (asyncio::TaskRef& r : asyncio::all_tasks()) {
        if (!(r == asyncio::current_task())) {
            EXPECT_TRUE(r.cancel("via TaskRef"));
        }
    }
    try {
        co_await t;
    } catch (const CancelledError& e) {
        EXPECT_STREQ(e.what(), "via TaskRef");
        co_return 1;
    }
    co_return 0;
}

TEST(Cancel, TaskRefCancels) { EXPECT_EQ(asyncio::run(cancel_ref_main()), 1); }

}  // namespace
