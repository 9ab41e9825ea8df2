// asyncio::gather(asyncio::return_exceptions, ...), ported from CPython's
// Lib/test/test_asyncio/test_tasks.py (GatherTestsBase, FutureGatherTests,
// CoroutineGatherTests, test_cancel_gather_2): every child is waited for, each exception (a
// cancelled child's CancelledError included) takes its child's place, and a cancelled gather
// still ends with CancelledError whatever return_exceptions says (issue 32684).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "semantic/support.hpp"

namespace {

using semantic::value_after;

namespace asyncio = concurrence::asyncio;
using asyncio::CancelledError;
using asyncio::Outcome;
using semantic::Log;
using semantic::Reports;
using semantic::what_of;
using semantic::nap;
using testing::ElementsAre;



asyncio::Coro<int> fail_after(double delay, std::string msg) {
    co_await asyncio::sleep(delay);
    throw std::runtime_error(msg);
}

// ---- results and exceptions in place

asyncio::Coro<> return_exceptions_main() {
    auto& loop = asyncio::get_running_loop();
    auto a = loop.create_future<int>();
    auto b = loop.create_future<int>();
    auto c = loop.create_future<int>();
    auto d = loop.create_future<int>();
    auto fut = asyncio::gather(asyncio::return_exceptions, a, b, c, d);
    int calls = 0;
    fut.add_done_callback([&calls] { ++calls; });
    auto exc = std::make_exception_ptr(std::domain_error("zero division"));
    auto exc2 = std::make_exception_ptr(concurrence::RuntimeError("runtime"));
    b.set_result(1);
    c.set_exception(exc);
    a.set_result(3);
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    EXPECT_FALSE(fut.done());  // waits for every child, failures included
    d.set_exception(exc2);
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    EXPECT_TRUE(fut.done());
    EXPECT_EQ(calls, 1);
    if (!fut.done()) co_return;
    const auto& [ra, rb, rc, rd] = fut.result();
    EXPECT_EQ(ra.value(), 3);
    EXPECT_EQ(rb.value(), 1);
    EXPECT_EQ(rc.exception(), exc);  // the very exception objects
    EXPECT_EQ(rd.exception(), exc2);
}

TEST(GatherReturnExceptions, ReturnExceptions) {
    // test_tasks.py GatherTestsBase.test_return_exceptions (FutureGatherTests).
    asyncio::run(return_exceptions_main());
}

asyncio::Coro<int> await_future(asyncio::Future<int> f) { co_return co_await f; }

asyncio::Coro<> return_exceptions_coroutines_main() {
    auto& loop = asyncio::get_running_loop();
    std::vector<asyncio::Future<int>> futs;
    for (int i = 0; i < 4; ++i) futs.push_back(loop.create_future<int>());
    std::vector<asyncio::Coro<int>> coros;
    for (auto& f : futs) coros.push_back(await_future(f));
    auto fut = asyncio::gather(asyncio::return_exceptions, std::move(coros));
    auto exc = std::make_exception_ptr(std::domain_error("zero division"));
    auto exc2 = std::make_exception_ptr(concurrence::RuntimeError("runtime"));
    co_await asyncio::sleep(0);  // the wrapping tasks wait for their futures
    futs[1].set_result(1);
    futs[2].set_exception(exc);
    futs[0].set_result(3);
    for (int i = 0; i < 4; ++i) co_await asyncio::sleep(0);
    EXPECT_FALSE(fut.done());
    futs[3].set_exception(exc2);
    std::vector<Outcome<int>> res = co_await fut;
    EXPECT_EQ(res.size(), 4u);
    if (res.size() != 4u) co_return;
    EXPECT_EQ(res[0].value(), 3);
    EXPECT_EQ(res[1].value(), 1);
    EXPECT_EQ(res[2].exception(), exc);
    EXPECT_EQ(res[3].exception(), exc2);
}

TEST(GatherReturnExceptions, ReturnExceptionsWithCoroutines) {
    // test_tasks.py GatherTestsBase.test_return_exceptions (CoroutineGatherTests: each future
    // awaited by a coroutine), with a vector of coroutines.
    asyncio::run(return_exceptions_coroutines_main());
}

asyncio::Coro<> result_exception_success_main() {
    auto& loop = asyncio::get_running_loop();
    auto a = loop.create_future<int>();
    auto b = loop.create_future<int>();
    auto c = loop.create_future<int>();
    auto fut = asyncio::gather(asyncio::return_exceptions, a, b, c);
    int calls = 0;
    fut.add_done_callback([&calls] { ++calls; });
    b.set_result(1);
    a.set_result(2);
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    EXPECT_EQ(calls, 0);
    EXPECT_FALSE(fut.done());
    c.set_result(3);
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    EXPECT_EQ(calls, 1);
    EXPECT_TRUE(fut.done());
    if (!fut.done()) co_return;
    const auto& [ra, rb, rc] = fut.result();
    EXPECT_EQ(ra.value(), 2);
    EXPECT_EQ(rb.value(), 1);
    EXPECT_EQ(rc.value(), 3);
}

TEST(GatherReturnExceptions, ResultExceptionSuccess) {
    // test_tasks.py GatherTestsBase.test_result_exception_success (_check_success with
    // return_exceptions=True).
    asyncio::run(result_exception_success_main());
}

asyncio::Coro<> one_cancellation_main() {
    auto& loop = asyncio::get_running_loop();
    std::vector<asyncio::Future<int>> f;
    for (int i = 0; i < 6; ++i) f.push_back(loop.create_future<int>());
    auto fut = asyncio::gather(asyncio::return_exceptions, f);
    int calls = 0;
    fut.add_done_callback([&calls] { ++calls; });
    f[0].set_result(1);
    auto zde = std::make_exception_ptr(std::domain_error("zero division"));
    f[1].set_exception(zde);
    f[2].cancel();
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    EXPECT_FALSE(fut.done());  // a cancelled child does not end it either
    f[3].set_result(3);
    f[4].cancel("e cancelled");
    auto rte = std::make_exception_ptr(concurrence::RuntimeError("runtime"));
    f[5].set_exception(rte);
    std::vector<Outcome<int>> res = co_await fut;
    EXPECT_EQ(calls, 1);
    EXPECT_FALSE(fut.cancelled());
    if (res.size() != 6u) {
        ADD_FAILURE() << "got " << res.size() << " results";
        co_return;
    }
    EXPECT_EQ(res[0].value(), 1);
    EXPECT_EQ(res[1].exception(), zde);
    EXPECT_TRUE(res[2].holds<CancelledError>());
    EXPECT_EQ(res[3].value(), 3);
    EXPECT_TRUE(res[4].holds<CancelledError>());
    EXPECT_EQ(what_of(res[4].exception()), "e cancelled");  // Python: CancelledError(fut._cancel_message)
    EXPECT_EQ(res[5].exception(), rte);
}

TEST(GatherReturnExceptions, ResultExceptionOneCancellation) {
    // test_tasks.py FutureGatherTests.test_result_exception_one_cancellation.
    asyncio::run(one_cancellation_main());
}

asyncio::Coro<> failures_retrieved_main(Reports* reports) {
    asyncio::get_running_loop().set_exception_handler(semantic::record_into(reports));
    {
        auto res = co_await asyncio::gather(asyncio::return_exceptions, fail_after(0, "one"), fail_after(0.001, "two"),
                                            value_after(0, 3));
        EXPECT_EQ(what_of(std::get<0>(res).exception()), "one");
        EXPECT_EQ(what_of(std::get<1>(res).exception()), "two");
        EXPECT_EQ(std::get<2>(res).value(), 3);
    }
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
}

TEST(GatherReturnExceptions, ChildExceptionsAreRetrievedNotReported) {
    // tasks.py gather's _done_callback with return_exceptions: `res = fut.exception()` marks
    // each failure retrieved, so no "Task exception was never retrieved" follows.
    Reports reports;
    asyncio::run(failures_retrieved_main(&reports));
    EXPECT_TRUE(reports.messages.empty());
}

// ---- cancellation: always CancelledError, whatever return_exceptions says

asyncio::Coro<> gather_loop() {
    double elapsed = 0;
    for (;;) {
        elapsed += 0.002;
        (void)co_await asyncio::gather(asyncio::return_exceptions, nap(0.002));
        if (elapsed > 1) co_return;
    }
}

asyncio::Coro<> cancel_gather_2_main(std::string msg) {
    auto qwe = asyncio::create_task(gather_loop());
    co_await asyncio::sleep(0.01);
    qwe.cancel(msg);
    co_await qwe;
}

TEST(GatherReturnExceptions, CancelGather2) {
    // test_tasks.py test_cancel_gather_2: the task awaiting gather(return_exceptions=True) is
    // cancelled; the CancelledError (and its message) reaches the caller instead of being
    // returned as a result.
    for (std::string msg : {std::string(), std::string("my message")}) {
        try {
            asyncio::run(cancel_gather_2_main(msg));
            ADD_FAILURE() << "gather() does not propagate CancelledError raised by inner task to the gather() caller.";
        } catch (const CancelledError& e) {
            EXPECT_EQ(std::string(e.what()), msg);
        }
    }
}

asyncio::Coro<> cancel_gather_itself_main(Log* log) {
    auto a = asyncio::create_task(value_after(10, 1));
    auto b = asyncio::create_task(value_after(10, 2));
    auto g = asyncio::gather(asyncio::return_exceptions, a, b);
    co_await asyncio::sleep(0);
    EXPECT_TRUE(g.cancel("stop"));
    try {
        co_await g;
        log->push_back("results");
    } catch (const CancelledError& e) {
        log->push_back(std::string("CancelledError: ") + e.what());
    }
    EXPECT_TRUE(a.cancelled());
    EXPECT_TRUE(b.cancelled());
    EXPECT_TRUE(g.done());
    EXPECT_FALSE(g.cancelled());  // Python: outer.set_exception(CancelledError)
    EXPECT_TRUE(semantic::holds<CancelledError>(g.exception()));
    EXPECT_FALSE(g.cancel());
}

TEST(GatherReturnExceptions, CancellingTheGatherCancelsChildrenAndRaisesCancelledError) {
    // tasks.py _GatheringFuture.cancel and _done_callback (issue 32684): "If gather is being
    // cancelled we must propagate the cancellation regardless of *return_exceptions*"; the
    // error is the last child's, with the message given to cancel().
    Log log;
    asyncio::run(cancel_gather_itself_main(&log));
    EXPECT_THAT(log, ElementsAre("CancelledError: stop"));
}

asyncio::Coro<int> swallow_cancel(int v) {
    try {
        co_await asyncio::sleep(10);
    } catch (const CancelledError&) {
    }
    co_return v;
}

asyncio::Coro<> swallowed_main(Log* log) {
    auto a = asyncio::create_task(swallow_cancel(5));
    auto b = asyncio::create_task(swallow_cancel(6));
    auto g = asyncio::gather(asyncio::return_exceptions, a, b);
    co_await asyncio::sleep(0);
    EXPECT_TRUE(g.cancel());
    try {
        co_await g;
        log->push_back("results");
    } catch (const CancelledError&) {
        log->push_back("CancelledError");
    }
    EXPECT_FALSE(a.cancelled());
    EXPECT_EQ(a.result(), 5);
    EXPECT_EQ(b.result(), 6);
}

TEST(GatherReturnExceptions, CancelledGatherRaisesEvenIfEveryChildSwallowedTheCancel) {
    // tasks.py gather: _cancel_requested is set when any child.cancel() returned True; the
    // gather then ends with fut._make_cancelled_error() even though the children returned.
    Log log;
    asyncio::run(swallowed_main(&log));
    EXPECT_THAT(log, ElementsAre("CancelledError"));
}

asyncio::Coro<std::string> child_cancelled_alone_main() {
    auto a = asyncio::create_task(value_after(10, 1));
    auto b = asyncio::create_task(value_after(0.001, 2));
    auto g = asyncio::gather(asyncio::return_exceptions, a, b);
    co_await asyncio::sleep(0);
    a.cancel("only a");
    auto [ra, rb] = co_await g;  // not an exception: the cancellation is a result
    EXPECT_FALSE(g.cancelled());
    EXPECT_TRUE(ra.holds<CancelledError>());
    EXPECT_EQ(rb.value(), 2);
    co_return what_of(ra.exception());
}

TEST(GatherReturnExceptions, ChildCancelledOnItsOwnGivesCancelledErrorInPlace) {
    // test_tasks.py test_result_exception_one_cancellation, with a task cancelled directly.
    EXPECT_EQ(asyncio::run(child_cancelled_alone_main()), "only a");
}

// ---- children already done

asyncio::Coro<> already_done_main() {
    auto& loop = asyncio::get_running_loop();
    auto a = loop.create_future<int>();
    auto b = loop.create_future<int>();
    a.set_result(1);
    b.set_exception(std::make_exception_ptr(std::runtime_error("b")));
    auto g = asyncio::gather(asyncio::return_exceptions, a, b);
    // Python >= 3.12 runs the done callbacks of children already done inside gather()
    // ("optimization: in the special case that *all* futures finished eagerly, this will
    // effectively complete the gather eagerly").
    EXPECT_TRUE(g.done());
    auto [ra, rb] = co_await g;
    EXPECT_EQ(ra.value(), 1);
    EXPECT_EQ(what_of(rb.exception()), "b");
}

TEST(GatherReturnExceptions, GatherOfChildrenAlreadyDoneIsDoneAtOnce) {
    asyncio::run(already_done_main());
}

asyncio::Coro<> empty_main() {
    auto g = asyncio::gather(asyncio::return_exceptions, std::vector<asyncio::Task<int>>{});
    EXPECT_TRUE(g.done());
    std::vector<Outcome<int>> r = co_await g;
    EXPECT_TRUE(r.empty());
}

TEST(GatherReturnExceptions, ConstructorEmptySequenceUseRunningLoop) {
    // test_tasks.py FutureGatherTests.test_constructor_empty_sequence_use_running_loop.
    asyncio::run(empty_main());
}

TEST(GatherReturnExceptions, GatherOfFuturesWithoutARunningLoop) {
    // test_tasks.py GatherTestsBase.test_return_exceptions, as written.
    asyncio::EventLoop loop;
    auto a = loop.create_future<int>();
    auto b = loop.create_future<int>();
    asyncio::Future<std::tuple<Outcome<int>, Outcome<int>>> fut;
    EXPECT_NO_THROW(fut = asyncio::gather(asyncio::return_exceptions, a, b));
    if (!fut.core()) return;
    a.set_result(3);
    b.set_exception(std::make_exception_ptr(std::runtime_error("b")));
    semantic::run_once(loop);
    semantic::run_once(loop);
    EXPECT_TRUE(fut.done());
}

}  // namespace
