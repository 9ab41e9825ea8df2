// asyncio::gather: results in argument order, void as std::monostate, ranges, mixed
// arguments, the first exception, cancellation both ways (test_tasks.py GatherTestsBase,
// FutureGatherTests, CoroutineGatherTests).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "semantic/support.hpp"

namespace {

namespace asyncio = concurrence::asyncio;
using asyncio::CancelledError;
using semantic::Log;
using testing::ElementsAre;

asyncio::Coro<int> value_later(int v, double delay, Log* log = nullptr) {
    co_await asyncio::sleep(delay);
    if (log) log->push_back("done " + std::to_string(v));
    co_return v;
}

asyncio::Coro<int> fail_after(std::string msg, double delay) {
    co_await asyncio::sleep(delay);
    throw std::runtime_error(msg);
}

asyncio::Coro<> void_after(double delay, int* counter) {
    co_await asyncio::sleep(delay);
    ++*counter;
}

asyncio::Coro<std::string> text(std::string s) { co_return s; }

// ---- results

asyncio::Coro<std::tuple<int, int, int>> order_main(Log* log) {
    // b finishes first, then a, then c: the tuple still follows the arguments (test_success).
    co_return co_await asyncio::gather(value_later(1, 0.004, log), value_later(2, 0.001, log),
                                       value_later(3, 0.008, log));
}

TEST(Gather, ResultsFollowArgumentOrderNotCompletionOrder) {
    Log log;
    auto [a, b, c] = asyncio::run(order_main(&log));
    EXPECT_EQ(a, 1);
    EXPECT_EQ(b, 2);
    EXPECT_EQ(c, 3);
    EXPECT_THAT(log, ElementsAre("done 2", "done 1", "done 3"));
}

asyncio::Coro<std::tuple<int, std::string, std::monostate>> mixed_types_main(int* counter) {
    co_return co_await asyncio::gather(value_later(5, 0), text("five"), void_after(0.001, counter));
}

TEST(Gather, HeterogeneousResultsAndMonostateForVoid) {
    int counter = 0;
    auto [i, s, v] = asyncio::run(mixed_types_main(&counter));
    EXPECT_EQ(i, 5);
    EXPECT_EQ(s, "five");
    EXPECT_EQ(v, std::monostate{});
    EXPECT_EQ(counter, 1);
}

asyncio::Coro<std::vector<int>> vector_of_tasks_main() {
    std::vector<asyncio::Task<int>> tasks;
    for (int i = 0; i < 10; ++i) tasks.push_back(asyncio::create_task(value_later(i, 0.001 * (10 - i))));
    co_return co_await asyncio::gather(std::move(tasks));
}

TEST(Gather, VectorOfTasksGivesAVectorInOrder) {
    EXPECT_THAT(asyncio::run(vector_of_tasks_main()), ElementsAre(0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
}

asyncio::Coro<std::vector<int>> vector_of_coros_main() {
    std::vector<asyncio::Coro<int>> coros;
    for (int i = 0; i < 10; ++i) coros.push_back(value_later(i * i, 0.0005 * (i % 3)));
    co_return co_await asyncio::gather(std::move(coros));
}

TEST(Gather, VectorOfCorosGivesAVectorInOrder) {
    EXPECT_THAT(asyncio::run(vector_of_coros_main()), ElementsAre(0, 1, 4, 9, 16, 25, 36, 49, 64, 81));
}

asyncio::Coro<std::vector<int>> lvalue_vector_of_tasks_main() {
    std::vector<asyncio::Task<int>> tasks;
    for (int i = 0; i < 3; ++i) tasks.push_back(asyncio::create_task(value_later(i, 0)));
    std::vector<int> r = co_await asyncio::gather(tasks);  // the caller keeps its handles
    for (auto& t : tasks) EXPECT_TRUE(t.done());
    co_return r;
}

TEST(Gather, LvalueVectorOfTasks) { EXPECT_THAT(asyncio::run(lvalue_vector_of_tasks_main()), ElementsAre(0, 1, 2)); }

asyncio::Coro<std::vector<std::monostate>> vector_of_void_main(int* counter) {
    std::vector<asyncio::Coro<>> coros;
    for (int i = 0; i < 4; ++i) coros.push_back(void_after(0, counter));
    co_return co_await asyncio::gather(std::move(coros));
}

TEST(Gather, VectorOfVoidGivesMonostates) {
    int counter = 0;
    EXPECT_EQ(asyncio::run(vector_of_void_main(&counter)).size(), 4u);
    EXPECT_EQ(counter, 4);
}

asyncio::Coro<std::vector<int>> empty_vector_main() {
    std::vector<asyncio::Task<int>> none;
    co_return co_await asyncio::gather(std::move(none));
}

TEST(Gather, EmptyRangeGivesAnEmptyVector) { EXPECT_TRUE(asyncio::run(empty_vector_main()).empty()); }

asyncio::Coro<std::tuple<int, int, int>> mixing_main() {
    auto& loop = asyncio::get_running_loop();
    auto fut = loop.create_future<int>();
    auto task = asyncio::create_task(value_later(2, 0.001));
    loop.call_later(0.002, [fut]() mutable { fut.set_result(3); });
    co_return co_await asyncio::gather(value_later(1, 0), task, fut);
}

TEST(Gather, MixesCorosTasksAndFutures) {
    auto [a, b, c] = asyncio::run(mixing_main());
    EXPECT_EQ(a, 1);
    EXPECT_EQ(b, 2);
    EXPECT_EQ(c, 3);
}

asyncio::Coro<std::tuple<int, int>> already_done_gather_main() {
    auto a = asyncio::create_task(value_later(1, 0));
    auto b = asyncio::create_task(value_later(2, 0));
    co_await asyncio::sleep(0.002);
    EXPECT_TRUE(a.done());
    EXPECT_TRUE(b.done());
    auto fut = asyncio::get_running_loop().create_future<int>();
    fut.set_result(3);
    auto [x, y, z] = co_await asyncio::gather(a, b, fut);
    EXPECT_EQ(z, 3);
    co_return std::make_tuple(x, y);
}

TEST(Gather, OfAlreadyDoneTasks) {
    auto [a, b] = asyncio::run(already_done_gather_main());
    EXPECT_EQ(a, 1);
    EXPECT_EQ(b, 2);
}

asyncio::Coro<std::tuple<int, int>> same_task_twice_main() {
    auto t = asyncio::create_task(value_later(7, 0.001));
    co_return co_await asyncio::gather(t, t);
}

TEST(Gather, SameTaskTwiceGivesItsResultTwice) {
    // test_tasks.py test_duplicate_coroutines.
    auto [a, b] = asyncio::run(same_task_twice_main());
    EXPECT_EQ(a, 7);
    EXPECT_EQ(b, 7);
}

asyncio::Coro<> gather_future_without_awaiting(int* counter) {
    auto g = asyncio::gather(void_after(0, counter), void_after(0.001, counter));
    EXPECT_FALSE(g.done());
    co_await asyncio::sleep(0.01);
    EXPECT_TRUE(g.done());  // a Future: it completes whether or not anyone awaits it
    EXPECT_EQ(std::get<0>(g.result()), std::monostate{});
}

TEST(Gather, IsAFutureThatCompletesWithoutAnAwaiter) {
    int counter = 0;
    asyncio::run(gather_future_without_awaiting(&counter));
    EXPECT_EQ(counter, 2);
}

// ---- errors

asyncio::Coro<int> wait_for_release(asyncio::Future<void> release, Log* log, int v) {
    co_await release;
    co_await asyncio::sleep(0);
    log->push_back("done " + std::to_string(v));
    co_return v;
}

asyncio::Coro<std::string> first_exception_main(Log* log) {
    auto release = asyncio::get_running_loop().create_future();
    auto slow = asyncio::create_task(wait_for_release(release, log, 1));
    try {
        co_await asyncio::gather(slow, fail_after("first", 0.001), fail_after("second", 0.002));
    } catch (const std::runtime_error& e) {
        log->push_back(std::string("caught ") + e.what());
    }
    EXPECT_FALSE(slow.done());  // the others keep running...
    release.set_result();
    EXPECT_EQ(co_await slow, 1);  // ...to completion
    co_await asyncio::sleep(0.005);
    co_return "ok";
}

TEST(Gather, FirstExceptionPropagatesAndOtherChildrenKeepRunning) {
    // test_tasks.py test_one_exception.
    Log log;
    EXPECT_EQ(asyncio::run(first_exception_main(&log)), "ok");
    EXPECT_THAT(log, ElementsAre("caught first", "done 1"));
}

asyncio::Coro<> later_failure_not_reported_main(semantic::Reports* reports) {
    asyncio::get_running_loop().set_exception_handler(semantic::record_into(reports));
    try {
        co_await asyncio::gather(fail_after("first", 0.001), fail_after("second", 0.003));
    } catch (const std::runtime_error&) {
    }
    co_await asyncio::sleep(0.01);
}

TEST(Gather, LaterExceptionsAreMarkedRetrievedNotReported) {
    semantic::Reports reports;
    asyncio::run(later_failure_not_reported_main(&reports));
    EXPECT_TRUE(reports.messages.empty()) << reports.messages.front();
}

// ---- cancellation

asyncio::Coro<int> sleep_long(Log* log, std::string name) {
    try {
        co_await asyncio::sleep(10);
    } catch (const CancelledError&) {
        log->push_back(name + " cancelled");
        throw;
    }
    co_return 0;
}

asyncio::Coro<> cancel_gather_future_main(Log* log) {
    auto a = asyncio::create_task(sleep_long(log, "a"));
    auto b = asyncio::create_task(sleep_long(log, "b"));
    auto g = asyncio::gather(a, b);
    co_await asyncio::sleep(0);
    EXPECT_TRUE(g.cancel());
    try {
        co_await g;
        log->push_back("no error");
    } catch (const CancelledError&) {
        log->push_back("gather raised CancelledError");
    }
    EXPECT_TRUE(a.cancelled());
    EXPECT_TRUE(b.cancelled());
    EXPECT_FALSE(g.cancel());
}

TEST(Gather, CancellingTheGatherCancelsTheChildren) {
    Log log;
    asyncio::run(cancel_gather_future_main(&log));
    EXPECT_THAT(log, ElementsAre("a cancelled", "b cancelled", "gather raised CancelledError"));
}

asyncio::Coro<> outer_awaiting_gather(asyncio::Future<std::tuple<int, int>>* slot, asyncio::Task<int> a,
                                      asyncio::Task<int> b, int* proof) {
    *slot = asyncio::gather(a, b);
    co_await *slot;
    *proof += 100;
}

asyncio::Coro<> cancellation_broadcast_main(Log* log) {
    // test_tasks.py test_cancellation_broadcast.
    int proof = 0;
    auto a = asyncio::create_task(sleep_long(log, "a"));
    auto b = asyncio::create_task(sleep_long(log, "b"));
    asyncio::Future<std::tuple<int, int>> gatherer;
    auto outer = asyncio::create_task(outer_awaiting_gather(&gatherer, a, b, &proof));
    co_await asyncio::sleep(0);
    EXPECT_TRUE(outer.cancel());
    try {
        co_await outer;
    } catch (const CancelledError&) {
        log->push_back("outer cancelled");
    }
    EXPECT_TRUE(outer.cancelled());
    EXPECT_FALSE(gatherer.cancel());
    EXPECT_TRUE(a.cancelled());
    EXPECT_TRUE(b.cancelled());
    co_await asyncio::sleep(0);
    EXPECT_EQ(proof, 0);
}

TEST(Gather, CancellingTheAwaitingTaskCancelsAllChildren) {
    Log log;
    asyncio::run(cancellation_broadcast_main(&log));
    EXPECT_THAT(log, ElementsAre("a cancelled", "b cancelled", "outer cancelled"));
}

asyncio::Coro<std::string> child_cancelled_main(Log* log) {
    auto release = asyncio::get_running_loop().create_future();
    auto a = asyncio::create_task(sleep_long(log, "a"));
    auto b = asyncio::create_task(wait_for_release(release, log, 2));
    auto g = asyncio::gather(a, b);
    co_await asyncio::sleep(0);
    a.cancel();
    std::string outcome;
    try {
        co_await g;
        outcome = "result";
    } catch (const CancelledError&) {
        outcome = "CancelledError";
    }
    // The gather was not cancelled: it failed with CancelledError (FutureGatherTests
    // test_one_cancellation), and the other child was left alone.
    EXPECT_FALSE(g.cancelled());
    EXPECT_FALSE(b.done());
    release.set_result();
    EXPECT_EQ(co_await b, 2);
    co_return outcome;
}

TEST(Gather, ChildCancelledOnItsOwnMakesTheGatherRaiseCancelledError) {
    Log log;
    EXPECT_EQ(asyncio::run(child_cancelled_main(&log)), "CancelledError");
    EXPECT_THAT(log, ElementsAre("a cancelled", "done 2"));
}

asyncio::Coro<bool> future_child_cancelled_main() {
    auto& loop = asyncio::get_running_loop();
    auto fut = loop.create_future<int>();
    auto g = asyncio::gather(value_later(1, 0), fut);
    loop.call_soon([fut]() mutable { fut.cancel(); });
    try {
        co_await g;
    } catch (const CancelledError&) {
        co_return true;
    }
    co_return false;
}

TEST(Gather, CancelledFutureChildMakesTheGatherRaiseCancelledError) {
    EXPECT_TRUE(asyncio::run(future_child_cancelled_main()));
}

asyncio::Coro<bool> cancel_after_done_main() {
    auto g = asyncio::gather(value_later(1, 0));
    co_await g;
    co_return g.cancel();
}

TEST(Gather, CancelAfterDoneReturnsFalse) { EXPECT_FALSE(asyncio::run(cancel_after_done_main())); }

asyncio::Coro<std::string> gather_of_gathers_main() {
    auto [inner, x] = co_await asyncio::gather(asyncio::gather(text("a"), text("b")), text("c"));
    co_return std::get<0>(inner) + std::get<1>(inner) + x;
}

TEST(Gather, GatherOfGathers) { EXPECT_EQ(asyncio::run(gather_of_gathers_main()), "abc"); }

}  // namespace
