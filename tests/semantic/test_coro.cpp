// asyncio::Coro<T>: lazy coroutines awaited inline, results and exceptions through await
// chains of any depth, single use.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "semantic/support.hpp"

namespace {

namespace asyncio = concurrence::asyncio;
using concurrence::RuntimeError;
using semantic::Log;
using semantic::Counted;
using testing::ElementsAre;
using testing::StrEq;

asyncio::Coro<int> set_flag_then_seven(bool* ran) {
    *ran = true;
    co_return 7;
}

asyncio::Coro<int> lazy_main(bool* ran, bool* ran_before_await) {
    asyncio::Coro<int> c = set_flag_then_seven(ran);
    co_await asyncio::sleep(0);  // even a loop iteration later, nothing ran
    *ran_before_await = *ran;
    co_return co_await c;
}

TEST(Coro, BodyDoesNotRunUntilAwaited) {
    // cppcoro task_tests.cpp "task doesn't start until awaited".
    bool ran = false;
    bool ran_before_await = true;
    EXPECT_EQ(asyncio::run(lazy_main(&ran, &ran_before_await)), 7);
    EXPECT_FALSE(ran_before_await);
    EXPECT_TRUE(ran);
}

TEST(Coro, CreatingOneOutsideALoopRunsNothing) {
    bool ran = false;
    {
        asyncio::Coro<int> c = set_flag_then_seven(&ran);
        EXPECT_TRUE(static_cast<bool>(c));
    }
    EXPECT_FALSE(ran);
}

asyncio::Coro<std::string> level3(bool fail) {
    if (fail) throw std::invalid_argument("bad level 3");
    co_return "deep";
}
asyncio::Coro<std::string> level2(bool fail) {
    std::string s = co_await level3(fail);
    co_return s + "+2";
}
asyncio::Coro<std::string> level1(bool fail) {
    std::string s = co_await level2(fail);
    co_return s + "+1";
}

TEST(Coro, ResultPropagatesThroughAnAwaitChain) { EXPECT_EQ(asyncio::run(level1(false)), "deep+2+1"); }

TEST(Coro, ExceptionPropagatesThroughAnAwaitChain) {
    EXPECT_THAT([] { asyncio::run(level1(true)); }, testing::ThrowsMessage<std::invalid_argument>(StrEq("bad level 3")));
}

asyncio::Coro<std::string> catch_midway() {
    try {
        co_return co_await level2(true);
    } catch (const std::invalid_argument& e) {
        co_return std::string("caught: ") + e.what();
    }
}

TEST(Coro, ExceptionCanBeCaughtByAnIntermediateLevel) {
    EXPECT_EQ(asyncio::run(catch_midway()), "caught: bad level 3");
}

asyncio::Coro<int> sleepy_level(int n) {
    if (n == 0) {
        co_await asyncio::sleep(0);
        co_return 0;
    }
    co_await asyncio::sleep(0);
    int below = co_await sleepy_level(n - 1);
    co_await asyncio::sleep(0);
    co_return below + 1;
}

TEST(Coro, ChainThatSuspendsAtEveryLevelResumesCorrectly) { EXPECT_EQ(asyncio::run(sleepy_level(20)), 20); }

asyncio::Coro<long> depth(long n) {
    if (n == 0) co_return 0;
    co_return 1 + co_await depth(n - 1);
}

TEST(Coro, HundredThousandDeepAwaitChainDoesNotOverflowTheStack) {
    // cppcoro "lots of synchronous completions doesn't result in stack-overflow"; also run
    // under AddressSanitizer (same binary), whose frames are larger.
    EXPECT_EQ(asyncio::run(depth(100'000)), 100'000);
}

asyncio::Coro<long> depth_then_sleep(long n) {
    if (n == 0) {
        co_await asyncio::sleep(0.001);
        co_return 0;
    }
    co_return 1 + co_await depth_then_sleep(n - 1);
}

TEST(Coro, DeepChainSuspendedAtTheBottomResumes) { EXPECT_EQ(asyncio::run(depth_then_sleep(100'000)), 100'000); }

asyncio::Coro<long> depth_throw(long n) {
    if (n == 0) throw std::runtime_error("bottom");
    co_return 1 + co_await depth_throw(n - 1);
}

TEST(Coro, DeepChainPropagatesAnExceptionFromTheBottom) {
    // 10,000 levels: each one rethrows, which is slow under AddressSanitizer.
    EXPECT_THAT([] { asyncio::run(depth_throw(10'000)); }, testing::ThrowsMessage<std::runtime_error>(StrEq("bottom")));
}

asyncio::Coro<long> many_sequential(long n) {
    long sum = 0;
    for (long i = 0; i < n; ++i) sum += co_await depth(1);
    co_return sum;
}

TEST(Coro, ManySynchronousCompletionsInALoop) { EXPECT_EQ(asyncio::run(many_sequential(100'000)), 100'000); }

asyncio::Coro<int> reuse_moved_from(std::string* error) {
    bool ran = false;
    asyncio::Coro<int> a = set_flag_then_seven(&ran);
    asyncio::Coro<int> b = std::move(a);
    EXPECT_FALSE(static_cast<bool>(a));  // NOLINT(bugprone-use-after-move): that is the test
    try {
        co_await a;  // NOLINT(bugprone-use-after-move)
    } catch (const RuntimeError& e) {
        *error = e.what();
    }
    co_return co_await b;
}

TEST(Coro, AwaitingAMovedFromCoroThrows) {
    std::string error;
    EXPECT_EQ(asyncio::run(reuse_moved_from(&error)), 7);
    EXPECT_EQ(error, "cannot reuse already awaited coroutine");
}

asyncio::Coro<int> reuse_awaited(std::string* error, int* first) {
    bool ran = false;
    asyncio::Coro<int> c = set_flag_then_seven(&ran);
    *first = co_await c;
    EXPECT_FALSE(static_cast<bool>(c));
    try {
        co_await c;
    } catch (const RuntimeError& e) {
        *error = e.what();
    }
    co_return 0;
}

TEST(Coro, AwaitingTwiceThrows) {
    std::string error;
    int first = 0;
    asyncio::run(reuse_awaited(&error, &first));
    EXPECT_EQ(first, 7);
    EXPECT_EQ(error, "cannot reuse already awaited coroutine");
}

TEST(Coro, CreateTaskFromAnAwaitedCoroThrows) {
    asyncio::EventLoop loop;
    bool ran = false;
    asyncio::Coro<int> c = set_flag_then_seven(&ran);
    asyncio::Coro<int> d = std::move(c);
    EXPECT_THAT([&] { (void)loop.create_task(std::move(c)); },  // NOLINT(bugprone-use-after-move)
                testing::ThrowsMessage<RuntimeError>(StrEq("cannot reuse already awaited coroutine")));
    EXPECT_EQ(loop.run_until_complete(std::move(d)), 7);
    EXPECT_TRUE(ran);
}

// Counts live instances, to see a frame's parameters and locals destroyed.

asyncio::Coro<int> holds(Counted c, std::unique_ptr<int> p) {
    (void)c;
    co_return *p;
}

TEST(Coro, DestroyedWithoutBeingAwaitedFreesItsFrameAndArguments) {
    // cppcoro "destroying task that was never awaited destroys captured args"; AddressSanitizer
    // checks that the frame itself is not leaked.
    int live = 0;
    {
        asyncio::Coro<int> c = holds(Counted(&live), std::make_unique<int>(3));
        EXPECT_EQ(live, 1);  // the copy in the frame
    }
    EXPECT_EQ(live, 0);
}

asyncio::Coro<int> drop_unawaited(int* live) {
    {
        asyncio::Coro<int> c = holds(Counted(live), std::make_unique<int>(3));
        co_await asyncio::sleep(0);
    }
    co_return *live;
}

TEST(Coro, DroppedInsideATaskFreesItsFrame) {
    int live = 0;
    EXPECT_EQ(asyncio::run(drop_unawaited(&live)), 0);
    EXPECT_EQ(live, 0);
}

TEST(Coro, ArgumentsLiveUntilTheCoroutineFinishes) {
    int live = 0;
    EXPECT_EQ(asyncio::run(holds(Counted(&live), std::make_unique<int>(11))), 11);
    EXPECT_EQ(live, 0);
}

asyncio::Coro<> void_child(Log* log) {
    log->push_back("child");
    co_return;
}

asyncio::Coro<> void_parent(Log* log) {
    log->push_back("before");
    co_await void_child(log);
    log->push_back("after");
}

TEST(Coro, VoidCoroutinesChain) {
    Log log;
    asyncio::run(void_parent(&log));
    EXPECT_THAT(log, ElementsAre("before", "child", "after"));
}

asyncio::Coro<std::unique_ptr<int>> make_move_only(int v) { co_return std::make_unique<int>(v); }

asyncio::Coro<int> use_move_only() {
    std::unique_ptr<int> p = co_await make_move_only(41);
    co_return *p + 1;
}

TEST(Coro, MoveOnlyResultIsMovedToTheAwaiter) { EXPECT_EQ(asyncio::run(use_move_only()), 42); }

asyncio::Coro<bool> inner_sees_task(asyncio::TaskRef expected) { co_return asyncio::current_task() == expected; }

asyncio::Coro<bool> awaited_coro_runs_in_the_awaiting_task() {
    asyncio::TaskRef me = asyncio::current_task();
    co_return co_await inner_sees_task(me);
}

TEST(Coro, AnAwaitedCoroRunsInsideTheAwaitingTask) { EXPECT_TRUE(asyncio::run(awaited_coro_runs_in_the_awaiting_task())); }

}  // namespace

namespace {

asyncio::Coro<long> deep_wait(long n, asyncio::Future<int> fut) {
    if (n == 0) co_return co_await fut;
    co_return 1 + co_await deep_wait(n - 1, fut);
}

TEST(Coro, DeepChainSuspendedWhenTheLoopClosesIsFreed) {
    // Closing the loop lets the pending task go: its 100,000 nested frames are destroyed, which
    // must not recurse once per level on the machine stack.
    asyncio::EventLoop loop;
    semantic::Reports reports;
    loop.set_exception_handler(semantic::record_into(&reports));
    auto fut = loop.create_future<int>();
    (void)loop.create_task(deep_wait(100'000, fut));
    semantic::run_once(loop);
    loop.close();
    ASSERT_EQ(reports.messages.size(), 1u);
    EXPECT_THAT(reports.messages[0], testing::HasSubstr("Task was destroyed but it is pending!"));
}

asyncio::Coro<long> deep_cancel_main() {
    auto fut = asyncio::get_running_loop().create_future<int>();
    auto t = asyncio::create_task(deep_wait(10'000, fut));
    co_await asyncio::sleep(0);
    t.cancel();
    try {
        co_await t;
    } catch (const asyncio::CancelledError&) {
        co_return -1;
    }
    co_return 0;
}

TEST(Coro, DeepChainSuspendedAtTheBottomCanBeCancelled) { EXPECT_EQ(asyncio::run(deep_cancel_main()), -1); }

}  // namespace
