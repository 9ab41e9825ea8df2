// asyncio::ensure_future, iscoroutine, isfuture (test_tasks.py: test_ensure_future_*).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <type_traits>

#include "semantic/support.hpp"

namespace {

namespace asyncio = concurrence::asyncio;
using semantic::answer;
using semantic::Log;
using semantic::run_once;
using testing::ElementsAre;

asyncio::Coro<int> logged(Log* log, int v) {
    log->push_back("coro " + std::to_string(v));
    co_return v;
}

asyncio::Coro<> coroutine_is_scheduled_like_create_task(Log* log) {
    asyncio::get_running_loop().call_soon([log] { log->push_back("soon before"); });
    asyncio::Task<int> t = asyncio::ensure_future(logged(log, 7));
    asyncio::get_running_loop().call_soon([log] { log->push_back("soon after"); });
    EXPECT_FALSE(t.done());
    const int v = co_await t;
    log->push_back("result " + std::to_string(v));
}

TEST(EnsureFuture, ACoroutineBecomesATaskScheduledAtTheBack) {
    Log log;
    asyncio::run(coroutine_is_scheduled_like_create_task(&log));
    EXPECT_THAT(log, ElementsAre("soon before", "coro 7", "soon after", "result 7"));
}

TEST(EnsureFuture, ATaskIsReturnedAsItIs) {
    asyncio::EventLoop loop;
    asyncio::Task<int> t = loop.create_task(answer());
    asyncio::Task<int> same = asyncio::ensure_future(t);
    EXPECT_TRUE(same == t);
    loop.run_until_complete(t);
    EXPECT_EQ(same.result(), 42);
}

TEST(EnsureFuture, AFutureIsReturnedAsItIs) {
    asyncio::EventLoop loop;
    asyncio::Future<int> f = loop.create_future<int>();
    asyncio::Future<int> same = asyncio::ensure_future(f);
    same.set_result(3);
    EXPECT_TRUE(f.done());
    EXPECT_EQ(f.result(), 3);
}

asyncio::Coro<> awaiter_in_its_own_task(Log* log) {
    asyncio::Queue<int> q;
    asyncio::Task<int> getter = asyncio::ensure_future(q.get());
    co_await asyncio::sleep(0);
    EXPECT_FALSE(getter.done());
    q.put_nowait(5);
    log->push_back("got " + std::to_string(co_await getter));

    // Cancelled while waiting: the item put afterwards stays in the queue.
    asyncio::Task<int> cancelled = asyncio::ensure_future(q.get());
    co_await asyncio::sleep(0);
    cancelled.cancel();
    co_await asyncio::sleep(0);
    log->push_back(cancelled.cancelled() ? "cancelled" : "not cancelled");
    q.put_nowait(6);
    log->push_back("left " + std::to_string(q.get_nowait()));
}

TEST(EnsureFuture, AnAwaiterRunsInATaskOfItsOwn) {
    Log log;
    asyncio::run(awaiter_in_its_own_task(&log));
    EXPECT_THAT(log, ElementsAre("got 5", "cancelled", "left 6"));
}

TEST(EnsureFuture, ACoroutineOutsideARunningLoopThrowsRuntimeError) {
    auto coro = answer();
    EXPECT_THROW((void)asyncio::ensure_future(std::move(coro)), concurrence::RuntimeError);
}

TEST(EnsureFuture, IsCoroutineAndIsFutureAnswerFromTheType) {
    asyncio::EventLoop loop;
    auto coro = answer();
    asyncio::Future<int> f = loop.create_future<int>();
    asyncio::Task<int> t = loop.create_task(answer());
    EXPECT_TRUE(asyncio::iscoroutine(coro));
    EXPECT_FALSE(asyncio::iscoroutine(f));
    EXPECT_FALSE(asyncio::iscoroutine(t));
    EXPECT_FALSE(asyncio::iscoroutine(42));
    EXPECT_TRUE(asyncio::isfuture(f));
    EXPECT_TRUE(asyncio::isfuture(t));  // Python: a Task is a Future
    EXPECT_FALSE(asyncio::isfuture(coro));
    EXPECT_FALSE(asyncio::isfuture(std::string("x")));
    loop.run_until_complete(t);
}

}  // namespace
