// Cancellation rules beyond the basics of test_cancel.cpp, ported from CPython's
// Lib/test/test_asyncio/test_tasks.py (BaseTaskTests): a cancel that meets a future already
// resolved, cancelling a task that cancels itself and then awaits another task, messages seen
// through result()/exception(), uncancel() and the pending cancel request, structured
// uncancel blocks, cancellation through awaited coroutines, cancellation during cleanup, and
// the gather that refuses a cancel once its children are done.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "semantic/support.hpp"

namespace {

using semantic::value_after;

namespace asyncio = concurrence::asyncio;
using asyncio::CancelledError;
using semantic::Log;
using semantic::Reports;
using semantic::run_once;
using semantic::what_of;
using semantic::await_task;
using testing::ElementsAre;
using testing::HasSubstr;


asyncio::Coro<> sleep_long() { co_await asyncio::sleep(10); }

asyncio::Coro<int> await_then_12(asyncio::Future<int> f) {
    co_await f;
    co_return 12;
}

asyncio::Coro<int> await_and_return(asyncio::Future<int> f) { co_return co_await f; }

// ---- a cancel request that meets a future already done

TEST(CancelRules, CancelBothTaskAndInnerFuture) {
    // test_tasks.py test_cancel_both_task_and_inner_future: the inner future is cancelled
    // first, so the task's own cancel() cannot cancel it and becomes a pending request.
    asyncio::EventLoop loop;
    auto f = loop.create_future<int>();
    auto t = loop.create_task(await_then_12(f));
    run_once(loop);
    EXPECT_TRUE(f.cancel());
    EXPECT_TRUE(t.cancel());
    EXPECT_EQ(t.cancelling(), 1);
    EXPECT_THROW(loop.run_until_complete(t), CancelledError);
    EXPECT_TRUE(t.done());
    EXPECT_TRUE(f.cancelled());
    EXPECT_TRUE(t.cancelled());
}

TEST(CancelRules, CancelAfterTheAwaitedFutureResolvedStillCancelsTheTask) {
    // The set-up of test_tasks.py test_uncancel_resets_must_cancel without the uncancel():
    // the future's result is set and the task cancelled in the same iteration, before the task
    // could resume. Task.cancel() cannot cancel the done future, so it sets _must_cancel and
    // the task's coroutine sees CancelledError instead of the result.
    asyncio::EventLoop loop;
    auto f = loop.create_future<int>();
    auto t = loop.create_task(await_and_return(f));
    run_once(loop);
    f.set_result(7);
    EXPECT_TRUE(t.cancel());
    EXPECT_FALSE(t.done());
    EXPECT_THROW(loop.run_until_complete(t), CancelledError);
    EXPECT_TRUE(t.cancelled());
    EXPECT_FALSE(f.cancelled());
    EXPECT_EQ(f.result(), 7);
}

TEST(CancelRules, UncancelResetsMustCancel) {
    // test_tasks.py test_uncancel_resets_must_cancel (3.13): uncancel() bringing the count to
    // zero also drops the pending request, so the task goes on with the future's result.
    asyncio::EventLoop loop;
    auto f = loop.create_future<int>();
    auto t = loop.create_task(await_then_12(f));
    run_once(loop);  // the task waits for f
    f.set_result(0);  // the task is runnable
    EXPECT_TRUE(t.cancel());
    EXPECT_EQ(t.cancelling(), 1);
    EXPECT_EQ(t.uncancel(), 0);
    EXPECT_EQ(t.cancelling(), 0);
    EXPECT_EQ(loop.run_until_complete(t), 12);
    EXPECT_FALSE(t.cancelled());
}

TEST(CancelRules, CancellingOnATaskNotStartedYet) {
    // test_tasks.py test_cancelling: a task not started yet can be asked twice (both return
    // True), its repr says "cancelling", and it ends cancelled.
    asyncio::EventLoop loop;
    auto t = loop.create_task(sleep_long());
    EXPECT_EQ(t.cancelling(), 0);
    EXPECT_THAT(t.core()->repr(), testing::Not(HasSubstr(" cancelling ")));
    EXPECT_TRUE(t.cancel());
    EXPECT_EQ(t.cancelling(), 1);
    EXPECT_THAT(t.core()->repr(), HasSubstr(" cancelling "));
    EXPECT_TRUE(t.cancel());
    EXPECT_EQ(t.cancelling(), 2);
    EXPECT_THROW(loop.run_until_complete(t), CancelledError);
    EXPECT_TRUE(t.cancelled());
}

// ---- a task that cancels itself, then awaits another task

asyncio::Coro<> await_future_void(asyncio::Future<void> fut) { co_await fut; }

asyncio::Coro<> cancel_self_then_await_nested(asyncio::Future<void> fut, asyncio::Task<>* nested_out) {
    *nested_out = asyncio::create_task(await_future_void(fut));
    co_await asyncio::sleep(0);  // the nested task now waits for fut
    asyncio::current_task().cancel();
    co_await *nested_out;  // cancelled at once, and so is the nested task
}

TEST(CancelRules, CancelAwaitedTask) {
    // test_tasks.py test_cancel_awaited_task (bpo-34872): a cancel requested while the task is
    // running is passed on to whatever it awaits next.
    asyncio::EventLoop loop;
    auto fut = loop.create_future();
    asyncio::Task<> nested;
    auto task = loop.create_task(cancel_self_then_await_nested(fut, &nested));
    EXPECT_THROW(loop.run_until_complete(task), CancelledError);
    EXPECT_TRUE(task.cancelled());
    EXPECT_TRUE(nested.cancelled());
    EXPECT_TRUE(fut.cancelled());
}

// ---- the message, seen through result() and exception() after wait()

asyncio::Coro<> cancel_then_read(std::string msg, bool via_exception) {
    auto task = asyncio::create_task(sleep_long());
    co_await asyncio::sleep(0);
    task.cancel(msg);
    std::vector<asyncio::Task<>> fs{task};
    auto [done, pending] = co_await asyncio::wait(std::move(fs));
    EXPECT_EQ(done.size(), 1u);
    EXPECT_TRUE(pending.empty());
    if (via_exception)
        (void)task.exception();  // raises the CancelledError
    else
        task.result();  // raises the CancelledError
}

TEST(CancelRules, CancelWithMessageThenFutureResult) {
    // test_tasks.py test_cancel_with_message_then_future_result.
    for (std::string msg : {std::string(), std::string("my message")}) {
        asyncio::EventLoop loop;
        auto t = loop.create_task(cancel_then_read(msg, false));
        try {
            loop.run_until_complete(t);
            ADD_FAILURE() << "no CancelledError for '" << msg << "'";
        } catch (const CancelledError& e) {
            EXPECT_EQ(std::string(e.what()), msg);
        }
        EXPECT_TRUE(t.cancelled());
    }
}

TEST(CancelRules, CancelWithMessageThenFutureException) {
    // test_tasks.py test_cancel_with_message_then_future_exception.
    for (std::string msg : {std::string(), std::string("my message")}) {
        asyncio::EventLoop loop;
        auto t = loop.create_task(cancel_then_read(msg, true));
        try {
            loop.run_until_complete(t);
            ADD_FAILURE() << "no CancelledError for '" << msg << "'";
        } catch (const CancelledError& e) {
            EXPECT_EQ(std::string(e.what()), msg);
        }
        EXPECT_TRUE(t.cancelled());
    }
}

asyncio::Coro<> set_then_sleep(asyncio::Future<void> fut) {
    fut.set_result();
    co_await asyncio::sleep(10);
}

asyncio::Coro<> cancelled_becomes_value_error(asyncio::Future<void> fut, std::string* caught) {
    auto inner = asyncio::create_task(set_then_sleep(fut));
    co_await fut;
    asyncio::get_running_loop().call_soon([inner]() mutable { inner.cancel("msg"); });
    try {
        co_await inner;
    } catch (const CancelledError& e) {
        *caught = e.what();
        throw concurrence::ValueError("cancelled");
    }
}

TEST(CancelRules, CancellationExceptionContext) {
    // test_tasks.py test_cancellation_exception_context: the awaiter catches the inner task's
    // CancelledError (with the inner's message) and raises another exception instead; the
    // awaiter then ends failed, not cancelled.
    asyncio::EventLoop loop;
    auto fut = loop.create_future();
    std::string caught;
    auto t = loop.create_task(cancelled_becomes_value_error(fut, &caught));
    try {
        loop.run_until_complete(t);
        ADD_FAILURE() << "no ValueError";
    } catch (const concurrence::ValueError& e) {
        EXPECT_STREQ(e.what(), "cancelled");
    }
    EXPECT_EQ(caught, "msg");
    EXPECT_FALSE(t.cancelled());
    EXPECT_TRUE(semantic::holds<concurrence::ValueError>(t.exception()));
}

// ---- uncancel() in a structured block (what asyncio.timeout does)

struct StructuredOutcome {
    bool timed_out = false;
    bool structured_block_finished = false;
    bool outer_code_reached = false;
};

asyncio::Coro<StructuredOutcome> make_request_with_timeout(double sleep_for, double timeout) {
    asyncio::TaskRef task = asyncio::current_task();
    auto& loop = asyncio::get_running_loop();
    auto out = std::make_shared<StructuredOutcome>();
    auto timeout_handle = loop.call_later(timeout, [task, out]() mutable {
        out->timed_out = true;
        task.cancel();
    });
    try {
        std::exception_ptr error;
        bool cancelled = false;
        try {
            // Structured block affected by the timeout.
            co_await asyncio::sleep(sleep_for);
            out->structured_block_finished = true;
        } catch (const CancelledError&) {
            cancelled = true;
            error = std::current_exception();
        } catch (...) {
            error = std::current_exception();
        }
        // finally:
        timeout_handle.cancel();
        if (out->timed_out && task.uncancel() == 0 && cancelled) throw concurrence::TimeoutError();
        if (error) std::rethrow_exception(error);
    } catch (const concurrence::TimeoutError&) {
        EXPECT_TRUE(out->timed_out);
    }
    // Outer code not affected by the timeout.
    out->outer_code_reached = true;
    co_await asyncio::sleep(0);
    co_return *out;
}

TEST(CancelRules, UncancelStructuredBlocks) {
    // test_tasks.py test_uncancel_structured_blocks.
    asyncio::EventLoop loop;
    auto t1 = loop.create_task(make_request_with_timeout(10.0, 0.01));
    StructuredOutcome r1 = loop.run_until_complete(t1);
    EXPECT_TRUE(r1.timed_out);
    EXPECT_FALSE(r1.structured_block_finished);  // it was cancelled
    EXPECT_TRUE(r1.outer_code_reached);          // uncancelled, it went on to completion
    EXPECT_EQ(t1.cancelling(), 0);               // no cancel request left
    EXPECT_FALSE(t1.cancelled());

    auto t2 = loop.create_task(make_request_with_timeout(0, 10.0));
    StructuredOutcome r2 = loop.run_until_complete(t2);
    EXPECT_FALSE(r2.timed_out);
    EXPECT_TRUE(r2.structured_block_finished);
    EXPECT_TRUE(r2.outer_code_reached);
    EXPECT_EQ(t2.cancelling(), 0);
}

// ---- cancellation from a timer, and through awaited coroutines

asyncio::Coro<std::string> cancel_sleeper_from_timer() {
    auto sleeper = asyncio::create_task(value_after(5000, 1));
    asyncio::get_running_loop().call_later(0.01, [sleeper]() mutable { sleeper.cancel(); });
    try {
        co_await sleeper;
    } catch (const CancelledError&) {
        co_return "cancelled";
    }
    co_return "slept in";
}

TEST(CancelRules, TaskCancelSleepingTask) {
    // test_tasks.py test_task_cancel_sleeping_task: cancelled by a call_later callback.
    EXPECT_EQ(asyncio::run(cancel_sleeper_from_timer()), "cancelled");
}

asyncio::Coro<> passes_inner(asyncio::Future<void> waiter, int* proof) {
    try {
        co_await waiter;
    } catch (const CancelledError&) {
        *proof += 1;
        throw;
    }
    ADD_FAILURE() << "got past the waiter in inner()";
}

asyncio::Coro<> passes_outer(asyncio::Future<void> waiter, int* proof) {
    try {
        co_await passes_inner(waiter, proof);
    } catch (const CancelledError&) {
        *proof += 100;  // expect this path
        co_return;
    }
    *proof += 10;
}

TEST(CancelRules, YieldFuturePassesCancel) {
    // test_tasks.py test_yield_future_passes_cancel: cancelling outer() cancels inner()
    // cancels the waiter; outer() swallows it and returns normally.
    asyncio::EventLoop loop;
    int proof = 0;
    auto waiter = loop.create_future();
    auto f = loop.create_task(passes_outer(waiter, &proof));
    run_once(loop);
    EXPECT_TRUE(f.cancel());
    loop.run_until_complete(f);
    EXPECT_EQ(proof, 101);
    EXPECT_TRUE(waiter.cancelled());
    EXPECT_FALSE(f.cancelled());   // it swallowed the cancellation
    EXPECT_EQ(f.cancelling(), 1);  // without uncancel(), the request stays counted
}


asyncio::Coro<std::string> inner_cancelled_on_its_own() {
    auto inner = asyncio::create_task(value_after(10, 1));
    auto outer = asyncio::create_task(await_task(inner));
    co_await asyncio::sleep(0);
    EXPECT_TRUE(inner.cancel("inner only"));
    std::string msg = "no CancelledError";
    try {
        co_await outer;
    } catch (const CancelledError& e) {
        msg = e.what();
    }
    EXPECT_TRUE(inner.cancelled());
    EXPECT_TRUE(outer.cancelled());    // its coroutine let the CancelledError out
    EXPECT_EQ(outer.cancelling(), 0);  // but nobody asked it to cancel
    co_return msg;
}

TEST(CancelRules, AwaitingATaskCancelledOnItsOwn) {
    // test_tasks.py test_cancel_inner_future, with a task in place of the future: the
    // awaiter receives the inner task's CancelledError (and its message) and ends cancelled.
    EXPECT_EQ(asyncio::run(inner_cancelled_on_its_own()), "inner only");
}

// ---- cancelled again during the cleanup of the first cancellation

asyncio::Coro<int> with_slow_cleanup(Log* log) {
    co_return co_await asyncio::on_cancel(value_after(10, 1), [log]() -> asyncio::Coro<> {
        log->push_back("cleanup start");
        try {
            co_await asyncio::sleep(10);
        } catch (const CancelledError& e) {
            log->push_back(std::string("cleanup cancelled: ") + e.what());
            throw;
        }
        log->push_back("cleanup end");
    });
}

asyncio::Coro<> cancel_during_cleanup_main(Log* log) {
    auto t = asyncio::create_task(with_slow_cleanup(log));
    co_await asyncio::sleep(0);
    EXPECT_TRUE(t.cancel("first"));
    co_await asyncio::sleep(0);  // t is now in its cleanup
    EXPECT_FALSE(t.done());
    EXPECT_TRUE(t.cancel("second"));
    EXPECT_EQ(t.cancelling(), 2);
    try {
        co_await t;
        log->push_back("no CancelledError");
    } catch (const CancelledError& e) {
        log->push_back(std::string("awaiter: ") + e.what());
    }
    EXPECT_TRUE(t.cancelled());
}

TEST(CancelRules, CancelledAgainDuringCleanup) {
    // No single CPython test: test_cancel_task_catching one step further.
    // `try: await x  except CancelledError: await cleanup(); raise` cancelled a second time
    // while cleanup() awaits: the second CancelledError (with the second message) interrupts
    // the cleanup and ends the task; both requests are counted.
    Log log;
    asyncio::run(cancel_during_cleanup_main(&log));
    EXPECT_THAT(log, ElementsAre("cleanup start", "cleanup cancelled: second", "awaiter: second"));
}

// ---- gather refuses the cancel once its children are done

asyncio::Coro<int> child_of(asyncio::Future<int> fut) { co_return co_await fut; }

asyncio::Coro<> make_gather(asyncio::Future<int> fut, asyncio::Future<std::vector<int>>* out) {
    std::vector<asyncio::Coro<int>> children;
    children.push_back(child_of(fut));
    *out = asyncio::gather(std::move(children));
    co_return;
}

asyncio::Coro<std::vector<int>> await_vector(asyncio::Future<std::vector<int>> g) { co_return co_await g; }

TEST(CancelRules, CancelGather1) {
    // test_tasks.py test_cancel_gather_1 (Python issue #26923): the done callback of fut runs
    // after the child's wakeup, so by then the child is done and gather.cancel() is refused.
    asyncio::EventLoop loop;
    auto fut = loop.create_future<int>();
    asyncio::Future<std::vector<int>> gather_future;
    loop.run_until_complete(make_gather(fut, &gather_future));
    run_once(loop);  // the child waits for fut
    int cancel_result = -1;
    fut.add_done_callback([&] { cancel_result = gather_future.cancel() ? 1 : 0; });
    fut.set_result(42);
    std::vector<int> r = loop.run_until_complete(await_vector(gather_future));
    EXPECT_EQ(cancel_result, 0);
    EXPECT_FALSE(gather_future.cancelled());
    EXPECT_THAT(r, ElementsAre(42));
}

// ---- CancelledError raised by a done callback

TEST(CancelRules, DoneCallbackRaisingCancelledErrorIsReportedLikeAnyOtherError) {
    // events.py Handle._run: anything but SystemExit/KeyboardInterrupt raised by a callback,
    // CancelledError included, goes to the loop's exception handler; later callbacks still run
    // and nothing is cancelled.
    asyncio::EventLoop loop;
    Reports reports;
    loop.set_exception_handler(semantic::record_into(&reports));
    Log log;
    auto fut = loop.create_future<int>();
    fut.add_done_callback([] { throw CancelledError("from callback"); });
    fut.add_done_callback([&log] { log.push_back("second still runs"); });
    fut.set_result(1);
    run_once(loop);
    EXPECT_THAT(log, ElementsAre("second still runs"));
    ASSERT_EQ(reports.messages.size(), 1u);
    EXPECT_EQ(reports.messages[0], "Exception in callback");
    EXPECT_TRUE(semantic::holds<CancelledError>(reports.exceptions[0]));
    EXPECT_EQ(what_of(reports.exceptions[0]), "from callback");
    EXPECT_FALSE(fut.cancelled());
    EXPECT_EQ(fut.result(), 1);
}

}  // namespace
