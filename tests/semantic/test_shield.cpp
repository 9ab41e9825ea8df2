// asyncio::shield, ported from CPython's Lib/test/test_asyncio/test_tasks.py (test_shield_*,
// test_gather_shield): the outer future follows the inner one; cancelling the outer future (or
// the task awaiting it) leaves the inner work alone; cancelling the inner cancels the outer.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <tuple>

#include "semantic/support.hpp"

namespace {

using semantic::value_after;

namespace asyncio = concurrence::asyncio;
using asyncio::CancelledError;
using semantic::Log;
using semantic::Reports;
using semantic::run_once;
using semantic::what_of;
using semantic::fail_now;
using testing::ElementsAre;



asyncio::Coro<int> await_future(asyncio::Future<int> f) { co_return co_await f; }

// ---- the outcome of the inner future reaches the outer one

asyncio::Coro<int> shield_result_main() {
    auto inner = asyncio::get_running_loop().create_future<int>();
    auto outer = asyncio::shield(inner);
    inner.set_result(42);
    co_return co_await outer;
}

TEST(Shield, ShieldResult) {
    // test_tasks.py test_shield_result.
    EXPECT_EQ(asyncio::run(shield_result_main()), 42);
}

asyncio::Coro<> shield_exception_main() {
    auto inner = asyncio::get_running_loop().create_future<int>();
    auto outer = asyncio::shield(inner);
    co_await asyncio::sleep(0);
    auto exc = std::make_exception_ptr(concurrence::RuntimeError("expected"));
    inner.set_exception(exc);
    co_await asyncio::sleep(0);
    EXPECT_TRUE(outer.done());
    if (!outer.done()) co_return;
    EXPECT_EQ(outer.exception(), exc);  // the same exception object (assertIs)
    EXPECT_EQ(what_of(outer.exception()), "expected");
}

TEST(Shield, ShieldException) {
    // test_tasks.py test_shield_exception.
    asyncio::run(shield_exception_main());
}

asyncio::Coro<> shield_cancel_inner_main() {
    auto inner = asyncio::get_running_loop().create_future<int>();
    auto outer = asyncio::shield(inner);
    co_await asyncio::sleep(0);
    inner.cancel();
    co_await asyncio::sleep(0);
    EXPECT_TRUE(outer.cancelled());
}

TEST(Shield, ShieldCancelInner) {
    // test_tasks.py test_shield_cancel_inner: the inner cancelled by other means cancels the
    // outer future too.
    asyncio::run(shield_cancel_inner_main());
}

asyncio::Coro<std::string> shield_cancel_inner_message_main() {
    auto inner = asyncio::get_running_loop().create_future<int>();
    auto outer = asyncio::shield(inner);
    co_await asyncio::sleep(0);
    inner.cancel("inner message");
    co_await asyncio::sleep(0);
    EXPECT_TRUE(outer.cancelled());
    try {
        co_await outer;
    } catch (const CancelledError& e) {
        co_return e.what();
    }
    co_return "no CancelledError";
}

TEST(Shield, ShieldCancelInnerDoesNotCopyTheMessage) {
    // test_tasks.py test_shield_cancel_inner, looking at the outer future's CancelledError.
    EXPECT_EQ(asyncio::run(shield_cancel_inner_message_main()), "");
}

asyncio::Coro<> shield_cancel_outer_main(Reports* reports) {
    auto& loop = asyncio::get_running_loop();
    loop.set_exception_handler(semantic::record_into(reports));
    auto inner = loop.create_future<int>();
    auto outer = asyncio::shield(inner);
    co_await asyncio::sleep(0);
    EXPECT_TRUE(outer.cancel());
    co_await asyncio::sleep(0);
    EXPECT_TRUE(outer.cancelled());
    EXPECT_FALSE(inner.done());  // the inner future is left alone
    inner.set_result(1);         // test_shield_cancel_outer_result
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    EXPECT_TRUE(outer.cancelled());
    EXPECT_EQ(inner.result(), 1);
}

TEST(Shield, ShieldCancelOuterResult) {
    // test_tasks.py test_shield_cancel_outer and test_shield_cancel_outer_result: the outer
    // future cancelled, the inner one finishing later with a result reports nothing.
    Reports reports;
    asyncio::run(shield_cancel_outer_main(&reports));
    EXPECT_TRUE(reports.messages.empty());
}

asyncio::Coro<> shield_cancel_outer_exception_main(Reports* reports) {
    auto& loop = asyncio::get_running_loop();
    loop.set_exception_handler(semantic::record_into(reports));
    {
        auto inner = loop.create_future<int>();
        auto outer = asyncio::shield(inner);
        co_await asyncio::sleep(0);
        outer.cancel();
        co_await asyncio::sleep(0);
        inner.set_exception(std::make_exception_ptr(std::runtime_error("foo")));
        co_await asyncio::sleep(0);
        co_await asyncio::sleep(0);
    }  // every handle on inner and outer is gone
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
}

TEST(Shield, ShieldCancelOuterException) {
    // test_tasks.py test_shield_cancel_outer_exception.
    Reports reports;
    asyncio::run(shield_cancel_outer_exception_main(&reports));
    EXPECT_EQ(reports.messages.size(), 1u);
    if (!reports.exceptions.empty()) {
        EXPECT_EQ(what_of(reports.exceptions[0]), "foo");
    }
}

// ---- an inner future already done

asyncio::Coro<int> shield_shortcut_main() {
    auto fut = asyncio::get_running_loop().create_future<int>();
    fut.set_result(42);
    auto outer = asyncio::shield(fut);
    EXPECT_TRUE(outer.done());  // Python returns the inner future itself
    co_return co_await outer;
}

TEST(Shield, ShieldShortcut) {
    // test_tasks.py test_shield_shortcut.
    EXPECT_EQ(asyncio::run(shield_shortcut_main()), 42);
}

asyncio::Coro<> shield_done_failed_and_cancelled_main() {
    auto failed = asyncio::create_task(fail_now("boom"));
    auto cancelled = asyncio::create_task(value_after(10, 1));
    co_await asyncio::sleep(0);
    cancelled.cancel();
    co_await asyncio::sleep(0);
    EXPECT_TRUE(failed.done());
    EXPECT_TRUE(cancelled.cancelled());
    if (!failed.done() || !cancelled.cancelled()) co_return;

    auto outer_failed = asyncio::shield(failed);
    EXPECT_TRUE(outer_failed.done());
    EXPECT_FALSE(outer_failed.cancelled());
    EXPECT_EQ(outer_failed.exception(), failed.exception());
    EXPECT_THROW(co_await outer_failed, std::runtime_error);

    auto outer_cancelled = asyncio::shield(cancelled);
    EXPECT_TRUE(outer_cancelled.cancelled());
    EXPECT_THROW(co_await outer_cancelled, CancelledError);
}

TEST(Shield, ShieldShortcutOfAFailedOrCancelledTask) {
    // test_tasks.py test_shield_shortcut with a task that failed or was cancelled: shield()
    // returns it as it is (Python: `if inner.done(): return inner`).
    asyncio::run(shield_done_failed_and_cancelled_main());
}

asyncio::Coro<> shield_failing_task_main() {
    auto inner = asyncio::create_task([]() -> asyncio::Coro<int> {
        co_await asyncio::sleep(0.001);
        throw concurrence::ValueError("inner failed");
    }());
    auto outer = asyncio::shield(inner);
    EXPECT_FALSE(outer.done());
    try {
        co_await outer;
        ADD_FAILURE() << "no exception";
    } catch (const concurrence::ValueError& e) {
        EXPECT_STREQ(e.what(), "inner failed");
    }
    EXPECT_FALSE(outer.cancelled());
    EXPECT_EQ(outer.exception(), inner.exception());
}

TEST(Shield, ShieldOfAFailingTask) {
    // test_tasks.py test_shield_exception with a task in place of the future.
    asyncio::run(shield_failing_task_main());
}

// ---- cancelling the task that awaits the shield

asyncio::Coro<> effect_inner(asyncio::Future<void> waiter, int* proof) {
    co_await waiter;
    *proof += 1;
}

asyncio::Coro<> effect_outer(asyncio::Future<void> waiter, int* proof) {
    co_await asyncio::shield(effect_inner(waiter, proof));
    *proof += 100;
}

TEST(Shield, ShieldEffect) {
    // test_tasks.py test_shield_effect: cancelling outer() does not affect inner().
    asyncio::EventLoop loop;
    int proof = 0;
    auto waiter = loop.create_future();
    auto f = loop.create_task(effect_outer(waiter, &proof));
    run_once(loop);
    EXPECT_TRUE(f.cancel());
    EXPECT_THROW(loop.run_until_complete(f), CancelledError);
    EXPECT_TRUE(f.cancelled());
    EXPECT_FALSE(waiter.cancelled());
    waiter.set_result();
    run_once(loop);
    run_once(loop);
    EXPECT_EQ(proof, 1);
}

asyncio::Coro<int> shielded_task_result_main(Log* log) {
    auto inner = asyncio::create_task(value_after(0.01, 7));
    auto waiting = asyncio::create_task([](asyncio::Task<int> t) -> asyncio::Coro<int> {
        co_return co_await asyncio::shield(t);
    }(inner));
    co_await asyncio::sleep(0);
    EXPECT_TRUE(waiting.cancel());
    try {
        co_await waiting;
    } catch (const CancelledError&) {
        log->push_back("awaiter cancelled");
    }
    EXPECT_FALSE(inner.done());
    EXPECT_FALSE(inner.cancelled());
    EXPECT_EQ(inner.cancelling(), 0);
    int v = co_await inner;
    log->push_back("inner finished");
    co_return v;
}

TEST(Shield, InnerTaskResultIsStillRetrievableAfterTheAwaiterWasCancelled) {
    // test_tasks.py test_shield_effect, with a kept handle on the inner task (the shield()
    // docstring: "Save a reference to tasks passed to this function").
    Log log;
    EXPECT_EQ(asyncio::run(shielded_task_result_main(&log)), 7);
    EXPECT_THAT(log, ElementsAre("awaiter cancelled", "inner finished"));
}

// ---- shield and gather

asyncio::Coro<> shield_gather_main() {
    auto& loop = asyncio::get_running_loop();
    auto child1 = loop.create_future<int>();
    auto child2 = loop.create_future<int>();
    auto parent = asyncio::gather(child1, child2);
    auto outer = asyncio::shield(parent);
    co_await asyncio::sleep(0);
    EXPECT_TRUE(outer.cancel());
    co_await asyncio::sleep(0);
    EXPECT_TRUE(outer.cancelled());
    child1.set_result(1);
    child2.set_result(2);
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    EXPECT_TRUE(parent.done());
    if (!parent.done()) co_return;
    EXPECT_EQ(parent.result(), std::make_tuple(1, 2));
}

TEST(Shield, ShieldGather) {
    // test_tasks.py test_shield_gather: cancelling the shield leaves the gather running.
    asyncio::run(shield_gather_main());
}

asyncio::Coro<> gather_shield_main() {
    auto& loop = asyncio::get_running_loop();
    auto child1 = loop.create_future<int>();
    auto child2 = loop.create_future<int>();
    auto inner1 = asyncio::shield(child1);
    auto inner2 = asyncio::shield(child2);
    auto parent = asyncio::gather(inner1, inner2);
    co_await asyncio::sleep(0);
    EXPECT_TRUE(parent.cancel());
    // This cancels inner1 and inner2 but not child1 and child2.
    co_await asyncio::sleep(0);
    EXPECT_TRUE(parent.done());
    if (!parent.done()) co_return;
    EXPECT_TRUE(semantic::holds<CancelledError>(parent.exception()));
    EXPECT_TRUE(inner1.cancelled());
    EXPECT_TRUE(inner2.cancelled());
    EXPECT_FALSE(child1.done());
    EXPECT_FALSE(child2.done());
    child1.set_result(1);
    child2.set_result(2);
    co_await asyncio::sleep(0);
    EXPECT_TRUE(inner1.cancelled());
    EXPECT_EQ(child1.result(), 1);
}

TEST(Shield, GatherShield) {
    // test_tasks.py test_gather_shield.
    asyncio::run(gather_shield_main());
}

// ---- a coroutine becomes a task on the running loop

asyncio::Coro<int> forty_two() { co_return 42; }

asyncio::Coro<asyncio::Future<int>> make_shield_of_coro() { co_return asyncio::shield(forty_two()); }

TEST(Shield, ShieldCoroutineUseRunningLoop) {
    // test_tasks.py test_shield_coroutine_use_running_loop: the shield made in one run of the
    // loop is awaited in a later one.
    asyncio::EventLoop loop;
    auto outer = loop.run_until_complete(make_shield_of_coro());
    EXPECT_EQ(&outer.get_loop(), &loop);
    EXPECT_EQ(loop.run_until_complete(await_future(outer)), 42);
}

TEST(Shield, ShieldOfAFutureWithoutARunningLoop) {
    // test_tasks.py test_shield_result, as written (the loop is not running at shield()).
    asyncio::EventLoop loop;
    auto inner = loop.create_future<int>();
    asyncio::Future<int> outer;
    EXPECT_NO_THROW(outer = asyncio::shield(inner));
    if (!outer.core()) return;
    inner.set_result(42);
    EXPECT_EQ(loop.run_until_complete(await_future(outer)), 42);
}

}  // namespace
