// asyncio::Future<T>: set_result/set_exception/cancel, state queries, awaiting, done callbacks
// (test_futures.py).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "semantic/support.hpp"

namespace {

namespace asyncio = concurrence::asyncio;
using asyncio::CancelledError;
using asyncio::InvalidStateError;
using concurrence::ValueError;
using semantic::holds;
using semantic::Log;
using semantic::Reports;
using semantic::run_once;
using semantic::what_of;
using semantic::Counted;
using testing::ElementsAre;
using testing::StrEq;
using testing::ThrowsMessage;

TEST(Future, InitialState) {
    asyncio::EventLoop loop;
    auto fut = loop.create_future<int>();
    EXPECT_FALSE(fut.done());
    EXPECT_FALSE(fut.cancelled());
    EXPECT_EQ(&fut.get_loop(), &loop);
    EXPECT_THAT([&] { (void)fut.result(); }, ThrowsMessage<InvalidStateError>(StrEq("Result is not set.")));
    EXPECT_THAT([&] { (void)fut.exception(); }, ThrowsMessage<InvalidStateError>(StrEq("Exception is not set.")));
}

TEST(Future, SetResult) {
    asyncio::EventLoop loop;
    auto fut = loop.create_future<std::string>();
    fut.set_result("hello");
    EXPECT_TRUE(fut.done());
    EXPECT_FALSE(fut.cancelled());
    EXPECT_EQ(fut.result(), "hello");
    EXPECT_EQ(fut.result(), "hello");  // reading does not consume it
    EXPECT_EQ(fut.exception(), nullptr);
}

TEST(Future, VoidFuture) {
    asyncio::EventLoop loop;
    auto fut = loop.create_future();
    fut.set_result();
    EXPECT_TRUE(fut.done());
    EXPECT_NO_THROW(fut.result());
}

TEST(Future, SetException) {
    asyncio::EventLoop loop;
    auto fut = loop.create_future<int>();
    fut.set_exception(std::runtime_error("failed"));
    EXPECT_TRUE(fut.done());
    EXPECT_FALSE(fut.cancelled());
    EXPECT_THAT([&] { (void)fut.result(); }, ThrowsMessage<std::runtime_error>(StrEq("failed")));
    EXPECT_EQ(what_of(fut.exception()), "failed");
}

TEST(Future, SetExceptionPtr) {
    asyncio::EventLoop loop;
    auto fut = loop.create_future<int>();
    fut.set_exception(std::make_exception_ptr(std::out_of_range("range")));
    EXPECT_TRUE(holds<std::out_of_range>(fut.exception()));
}

TEST(Future, SetExceptionWithANullPointerThrows) {
    asyncio::EventLoop loop;
    auto fut = loop.create_future<int>();
    EXPECT_THROW(fut.set_exception(std::exception_ptr()), ValueError);
    EXPECT_FALSE(fut.done());
}

TEST(Future, SecondSetThrowsInvalidState) {
    asyncio::EventLoop loop;
    auto fut = loop.create_future<int>();
    fut.set_result(1);
    EXPECT_THAT([&] { fut.set_result(2); }, ThrowsMessage<InvalidStateError>(StrEq("invalid state")));
    EXPECT_THAT([&] { fut.set_exception(std::runtime_error("x")); },
                ThrowsMessage<InvalidStateError>(StrEq("invalid state")));
    EXPECT_EQ(fut.result(), 1);

    auto failed = loop.create_future<int>();
    failed.set_exception(std::runtime_error("x"));
    EXPECT_THAT([&] { failed.set_result(2); }, ThrowsMessage<InvalidStateError>(StrEq("invalid state")));
    (void)failed.exception();
}

TEST(Future, CancelPendingFuture) {
    asyncio::EventLoop loop;
    auto fut = loop.create_future<int>();
    EXPECT_TRUE(fut.cancel());
    EXPECT_TRUE(fut.done());
    EXPECT_TRUE(fut.cancelled());
    EXPECT_THROW((void)fut.result(), CancelledError);
    EXPECT_THROW((void)fut.exception(), CancelledError);  // Python: exception() raises too
    EXPECT_FALSE(fut.cancel());                           // already done
    EXPECT_THAT([&] { fut.set_result(1); }, ThrowsMessage<InvalidStateError>(StrEq("invalid state")));
}

TEST(Future, CancelMessageIsCarriedByTheCancelledError) {
    asyncio::EventLoop loop;
    auto fut = loop.create_future<int>();
    fut.cancel("stop now");
    EXPECT_THAT([&] { (void)fut.result(); }, ThrowsMessage<CancelledError>(StrEq("stop now")));
}

TEST(Future, CancelADoneFutureReturnsFalse) {
    asyncio::EventLoop loop;
    auto fut = loop.create_future<int>();
    fut.set_result(3);
    EXPECT_FALSE(fut.cancel());
    EXPECT_FALSE(fut.cancelled());
    EXPECT_EQ(fut.result(), 3);
}

TEST(Future, CopiesShareOneFuture) {
    asyncio::EventLoop loop;
    auto fut = loop.create_future<int>();
    auto copy = fut;
    copy.set_result(9);
    EXPECT_TRUE(fut.done());
    EXPECT_EQ(fut.result(), 9);
}

// ---- awaiting

asyncio::Coro<int> await_future_set_later() {
    auto& loop = asyncio::get_running_loop();
    auto fut = loop.create_future<int>();
    loop.call_later(0.002, [fut]() mutable { fut.set_result(17); });
    co_return co_await fut;
}

TEST(Future, AwaitAFutureSetLaterByATimer) { EXPECT_EQ(asyncio::run(await_future_set_later()), 17); }

asyncio::Coro<int> await_future_set_by_call_soon() {
    auto& loop = asyncio::get_running_loop();
    auto fut = loop.create_future<int>();
    loop.call_soon([fut]() mutable { fut.set_result(18); });
    co_return co_await fut;
}

TEST(Future, AwaitAFutureSetByACallback) { EXPECT_EQ(asyncio::run(await_future_set_by_call_soon()), 18); }

asyncio::Coro<std::string> await_failing_future() {
    auto& loop = asyncio::get_running_loop();
    auto fut = loop.create_future<int>();
    loop.call_soon([fut]() mutable { fut.set_exception(std::runtime_error("nope")); });
    try {
        co_await fut;
    } catch (const std::runtime_error& e) {
        co_return e.what();
    }
    co_return "";
}

TEST(Future, AwaitRaisesTheFuturesException) { EXPECT_EQ(asyncio::run(await_failing_future()), "nope"); }

asyncio::Coro<std::string> await_cancelled_future() {
    auto& loop = asyncio::get_running_loop();
    auto fut = loop.create_future<int>();
    loop.call_soon([fut]() mutable { fut.cancel("cancelled from a callback"); });
    try {
        co_await fut;
    } catch (const CancelledError& e) {
        co_return e.what();
    }
    co_return "";
}

TEST(Future, AwaitingACancelledFutureRaisesCancelledError) {
    EXPECT_EQ(asyncio::run(await_cancelled_future()), "cancelled from a callback");
}

asyncio::Coro<> await_done_future(Log* log) {
    auto& loop = asyncio::get_running_loop();
    auto fut = loop.create_future<int>();
    fut.set_result(1);
    loop.call_soon([log] { log->push_back("other callback"); });
    int v = co_await fut;
    log->push_back("resumed with " + std::to_string(v));
}

TEST(Future, AwaitingADoneFutureDoesNotSuspend) {
    Log log;
    asyncio::run(await_done_future(&log));
    EXPECT_THAT(log, ElementsAre("resumed with 1", "other callback"));
}

asyncio::Coro<int> await_and_add(asyncio::Future<int> fut, int add) { co_return co_await fut + add; }

asyncio::Coro<> several_awaiters(std::vector<int>* out) {
    auto& loop = asyncio::get_running_loop();
    auto fut = loop.create_future<int>();
    auto a = asyncio::create_task(await_and_add(fut, 1));
    auto b = asyncio::create_task(await_and_add(fut, 2));
    co_await asyncio::sleep(0);
    fut.set_result(100);
    out->push_back(co_await a);
    out->push_back(co_await b);
    out->push_back(co_await fut);
}

TEST(Future, SeveralTasksAwaitOneFuture) {
    std::vector<int> out;
    asyncio::run(several_awaiters(&out));
    EXPECT_THAT(out, ElementsAre(101, 102, 100));
}

asyncio::Coro<int> move_only_future() {
    auto& loop = asyncio::get_running_loop();
    auto fut = loop.create_future<std::unique_ptr<int>>();
    loop.call_soon([fut]() mutable { fut.set_result(std::make_unique<int>(5)); });
    std::unique_ptr<int> p = co_await fut;
    co_return *p;
}

TEST(Future, MoveOnlyResultIsMovedToTheAwaiter) { EXPECT_EQ(asyncio::run(move_only_future()), 5); }

asyncio::Coro<std::unique_ptr<int>> take_from(asyncio::Future<std::unique_ptr<int>> fut) { co_return co_await fut; }

asyncio::Coro<std::string> move_only_twice() {
    auto& loop = asyncio::get_running_loop();
    auto fut = loop.create_future<std::unique_ptr<int>>();
    auto first = asyncio::create_task(take_from(fut));
    auto second = asyncio::create_task(take_from(fut));
    co_await asyncio::sleep(0);
    fut.set_result(std::make_unique<int>(6));
    EXPECT_EQ(*co_await first, 6);
    try {
        co_await second;
    } catch (const concurrence::RuntimeError& e) {
        co_return e.what();
    }
    co_return "second awaiter got a value too";
}

TEST(Future, MoveOnlyResultGoesToTheFirstAwaiterOnly) {
    EXPECT_EQ(asyncio::run(move_only_twice()), "the result was already taken: a move-only result can be awaited once");
}

asyncio::Coro<std::size_t> big_result_future() {
    auto& loop = asyncio::get_running_loop();
    auto fut = loop.create_future<std::vector<int>>();
    loop.call_soon([fut]() mutable { fut.set_result(std::vector<int>(1000, 7)); });
    std::vector<int> v = co_await std::move(fut);
    co_return v.size();
}

TEST(Future, ResultReachesTheSoleAwaiter) { EXPECT_EQ(asyncio::run(big_result_future()), 1000u); }

// ---- done callbacks

TEST(Future, DoneCallbacksRunThroughTheLoopInRegistrationOrder) {
    // test_futures.py test_callbacks_invoked_on_set_result: not synchronously in set_result.
    asyncio::EventLoop loop;
    Log log;
    auto fut = loop.create_future<int>();
    auto* f = &fut;
    fut.add_done_callback([&log, f] { log.push_back("a " + std::to_string(f->result())); });
    fut.add_done_callback([&log] { log.push_back("b"); });
    fut.add_done_callback([&log] { log.push_back("c"); });
    fut.set_result(10);
    EXPECT_TRUE(log.empty());
    run_once(loop);
    EXPECT_THAT(log, ElementsAre("a 10", "b", "c"));
}

TEST(Future, DoneCallbackRunsOnCancel) {
    asyncio::EventLoop loop;
    Log log;
    auto fut = loop.create_future<int>();
    auto* f = &fut;
    fut.add_done_callback([&log, f] { log.push_back(f->cancelled() ? "cancelled" : "not"); });
    fut.cancel();
    run_once(loop);
    EXPECT_THAT(log, ElementsAre("cancelled"));
}

TEST(Future, DoneCallbackOnADoneFutureIsScheduledWithCallSoon) {
    asyncio::EventLoop loop;
    Log log;
    auto fut = loop.create_future<int>();
    fut.set_result(1);
    loop.call_soon([&log] { log.push_back("before"); });
    fut.add_done_callback([&log](asyncio::Future<int>& f) { log.push_back("cb " + std::to_string(f.result())); });
    loop.call_soon([&log] { log.push_back("after"); });
    EXPECT_TRUE(log.empty());
    run_once(loop);
    EXPECT_THAT(log, ElementsAre("before", "cb 1", "after"));
}

TEST(Future, DoneCallbacksRunAfterCallbacksScheduledBeforeCompletion) {
    asyncio::EventLoop loop;
    Log log;
    auto fut = loop.create_future<int>();
    fut.add_done_callback([&log] { log.push_back("done cb"); });
    loop.call_soon([&log] { log.push_back("earlier"); });
    fut.set_result(1);
    loop.call_soon([&log] { log.push_back("later"); });
    run_once(loop);
    EXPECT_THAT(log, ElementsAre("earlier", "done cb", "later"));
}

TEST(Future, CallbackAddedByACallbackOfTheSameFutureRunsViaCallSoon) {
    asyncio::EventLoop loop;
    Log log;
    auto fut = loop.create_future<int>();
    auto* self = &fut;
    fut.add_done_callback([&log, &loop, self] {
        log.push_back("first");
        self->add_done_callback([&log] { log.push_back("added late"); });
        loop.call_soon([&log] { log.push_back("soon"); });
    });
    fut.set_result(1);
    run_once(loop);
    EXPECT_THAT(log, ElementsAre("first"));
    run_once(loop);
    EXPECT_THAT(log, ElementsAre("first", "added late", "soon"));
}

// remove_done_callback (test_futures.py: test_callbacks_remove_first_callback and the like).
TEST(Future, RemoveDoneCallbackDropsTheRegistrationItNames) {
    asyncio::EventLoop loop;
    Log log;
    auto fut = loop.create_future<int>();
    fut.add_done_callback([&log] { log.push_back("a"); });
    const asyncio::DoneCallbackId b = fut.add_done_callback([&log] { log.push_back("b"); });
    fut.add_done_callback([&log] { log.push_back("c"); });
    EXPECT_EQ(fut.remove_done_callback(b), 1u);
    EXPECT_EQ(fut.remove_done_callback(b), 0u);
    EXPECT_EQ(fut.remove_done_callback(asyncio::DoneCallbackId{}), 0u);
    fut.set_result(1);
    run_once(loop);
    EXPECT_THAT(log, ElementsAre("a", "c"));
}

std::vector<std::string> g_plain_log;
void plain_callback() { g_plain_log.push_back("plain"); }
void plain_callback_with_future(asyncio::Future<int>& f) { g_plain_log.push_back("plain " + std::to_string(f.result())); }

TEST(Future, RemoveDoneCallbackOfAPlainFunctionDropsEveryRegistrationOfIt) {
    // Python compares callbacks with ==: a function added twice is removed twice.
    asyncio::EventLoop loop;
    g_plain_log.clear();
    auto fut = loop.create_future<int>();
    fut.add_done_callback(plain_callback);
    fut.add_done_callback([] { g_plain_log.push_back("lambda"); });
    fut.add_done_callback(&plain_callback);
    fut.add_done_callback(plain_callback_with_future);
    EXPECT_EQ(fut.remove_done_callback(plain_callback), 2u);
    EXPECT_EQ(fut.remove_done_callback(plain_callback), 0u);
    fut.set_result(7);
    run_once(loop);
    EXPECT_THAT(g_plain_log, ElementsAre("lambda", "plain 7"));
}

TEST(Future, RemoveDoneCallbackOnceDoneRemovesNothing) {
    // Python schedules the callbacks when the future completes and clears its list.
    asyncio::EventLoop loop;
    Log log;
    auto fut = loop.create_future<int>();
    const auto a = fut.add_done_callback([&log] { log.push_back("a"); });
    fut.set_result(1);
    EXPECT_EQ(fut.remove_done_callback(a), 0u);
    const auto late = fut.add_done_callback([&log] { log.push_back("late"); });  // call_soon at once
    EXPECT_EQ(fut.remove_done_callback(late), 0u);
    run_once(loop);
    EXPECT_THAT(log, ElementsAre("a", "late"));
}

TEST(Future, ACallbackRemovingAnotherWhileTheyRunRemovesNothing) {
    asyncio::EventLoop loop;
    Log log;
    auto fut = loop.create_future<int>();
    asyncio::DoneCallbackId second;
    std::size_t removed = 99;
    fut.add_done_callback([&](asyncio::Future<int>& f) {
        removed = f.remove_done_callback(second);
        log.push_back("first");
    });
    second = fut.add_done_callback([&log] { log.push_back("second"); });
    fut.set_result(1);
    run_once(loop);
    EXPECT_EQ(removed, 0u);
    EXPECT_THAT(log, ElementsAre("first", "second"));
}

TEST(Future, RemovedCallbackIsReleasedAtOnce) {
    asyncio::EventLoop loop;
    int live = 0;
    auto fut = loop.create_future<int>();
    const auto id = fut.add_done_callback([c = Counted(&live)] { (void)c; });
    fut.add_done_callback([c = Counted(&live)] { (void)c; });
    EXPECT_EQ(live, 2);
    EXPECT_EQ(fut.remove_done_callback(id), 1u);
    EXPECT_EQ(live, 1);
    fut.cancel();
    run_once(loop);
    EXPECT_EQ(live, 0);
}

// Counts live instances.

TEST(Future, DoneCallbacksAreReleasedOnceTheyHaveRun) {
    // Python clears a future's callbacks when it schedules them, so whatever they hold is
    // released even while the future lives on.
    asyncio::EventLoop loop;
    int live = 0;
    auto fut = loop.create_future<int>();
    fut.add_done_callback([c = Counted(&live)] { (void)c; });
    EXPECT_EQ(live, 1);
    fut.set_result(1);
    run_once(loop);
    EXPECT_EQ(live, 0);
}

TEST(Future, DoneCallbackTakingTheFutureDoesNotKeepItAlive) {
    // The callback(Future&) form stores a Future handle next to the callback, inside the
    // future itself: the callbacks must be released once run (Python clears them), or the
    // future and everything its callbacks hold is never freed.
    int live = 0;
    {
        asyncio::EventLoop loop;
        auto fut = loop.create_future<int>();
        fut.add_done_callback([c = Counted(&live)](asyncio::Future<int>& f) { (void)c, (void)f; });
        fut.set_result(1);
        run_once(loop);
    }
    EXPECT_EQ(live, 0);
}

// ---- never retrieved

TEST(Future, DroppedFailedFutureReportsExceptionNeverRetrieved) {
    asyncio::EventLoop loop;
    Reports reports;
    loop.set_exception_handler(semantic::record_into(&reports));
    loop.call_soon([&loop] {
        auto fut = loop.create_future<int>();
        fut.set_exception(std::runtime_error("nobody looked"));
    });
    run_once(loop);
    ASSERT_EQ(reports.messages.size(), 1u);
    EXPECT_EQ(reports.messages[0], "Future exception was never retrieved");
    EXPECT_EQ(what_of(reports.exceptions[0]), "nobody looked");
}

TEST(Future, NoReportWhenTheExceptionWasLookedAt) {
    asyncio::EventLoop loop;
    Reports reports;
    loop.set_exception_handler(semantic::record_into(&reports));
    loop.call_soon([&loop] {
        auto fut = loop.create_future<int>();
        fut.set_exception(std::runtime_error("seen"));
        (void)fut.exception();
        auto fut2 = loop.create_future<int>();
        fut2.set_exception(std::runtime_error("seen"));
        EXPECT_THROW((void)fut2.result(), std::runtime_error);
        auto fut3 = loop.create_future<int>();
        fut3.cancel();
    });
    run_once(loop);
    EXPECT_TRUE(reports.messages.empty());
}

}  // namespace
