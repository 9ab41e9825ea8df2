// CPython's _QueueJoinTestMixin (test_queues.py), run for Queue, LifoQueue and PriorityQueue
// (QueueJoinTests, LifoQueueJoinTests, PriorityQueueJoinTests).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "queues/queue_support.hpp"

namespace {

using namespace queues_test;
using testing::HasSubstr;

template <class Q>
class QueueJoin : public testing::Test {};

using JoinTypes = testing::Types<asyncio::Queue<int>, asyncio::LifoQueue<int>, asyncio::PriorityQueue<int>>;
TYPED_TEST_SUITE(QueueJoin, JoinTypes);

TYPED_TEST(QueueJoin, TaskDoneUnderflow) {
    TypeParam q;
    try {
        q.task_done();
        ADD_FAILURE() << "task_done() did not throw";
    } catch (const concurrence::ValueError& e) {
        EXPECT_STREQ(e.what(), "task_done() called too many times");
    }
}

// task_done too many times after some items: exactly as many calls as items are allowed.
TYPED_TEST(QueueJoin, TaskDoneTooManyTimesAfterItems) {
    auto body = []() -> asyncio::Coro<> {
        TypeParam q;
        co_await q.put(1);
        co_await q.put(2);
        (void)co_await q.get();
        (void)co_await q.get();
        q.task_done();
        q.task_done();
        EXPECT_THROW(q.task_done(), concurrence::ValueError);
        co_await q.join();  // and join is not disturbed
    };
    asyncio::run(body());
}

TYPED_TEST(QueueJoin, TaskDone) {
    auto body = []() -> asyncio::Coro<> {
        TypeParam q;
        for (int i = 0; i < 100; ++i) q.put_nowait(i);
        int accumulator = 0;
        bool running = true;
        // Two workers get items and call task_done after each; join waits for all of them.
        auto worker = [&]() -> asyncio::Coro<> {
            while (running) {
                int item = co_await q.get();
                accumulator += item;
                q.task_done();
            }
        };
        std::vector<asyncio::Task<void>> tasks{asyncio::create_task(worker()), asyncio::create_task(worker())};
        co_await q.join();
        EXPECT_EQ(accumulator, 99 * 100 / 2);
        // Close the workers.
        running = false;
        for (std::size_t i = 0; i < tasks.size(); ++i) q.put_nowait(0);
        for (auto& t : tasks) co_await t;
    };
    asyncio::run(body());
}

TYPED_TEST(QueueJoin, JoinEmptyQueue) {
    auto body = []() -> asyncio::Coro<> {
        TypeParam q;
        // join() of a queue that never had items returns at once (twice, for insurance).
        co_await q.join();
        co_await q.join();
    };
    asyncio::run(body());
}

// join() waits for task_done, not for get: an item got but not marked done keeps it waiting.
TYPED_TEST(QueueJoin, JoinWaitsForTaskDoneNotGet) {
    auto body = []() -> asyncio::Coro<> {
        TypeParam q;
        q.put_nowait(1);
        auto joiner = join_task(q);
        co_await asyncio::sleep(0);
        EXPECT_FALSE(joiner.done());
        (void)q.get_nowait();
        co_await yield_n(2);
        EXPECT_FALSE(joiner.done());
        q.task_done();
        co_await yield_n(2);
        EXPECT_TRUE(joiner.done());
        co_await joiner;
        // A new item makes join wait again.
        q.put_nowait(2);
        auto joiner2 = join_task(q);
        co_await yield_n(2);
        EXPECT_FALSE(joiner2.done());
        (void)q.get_nowait();
        q.task_done();
        co_await joiner2;
    };
    asyncio::run(body());
}

// Python's join() checks the count when awaited, not when called: a join made while nothing
// was unfinished still waits for an item put before it is awaited (and one made while items
// were unfinished returns if they are all done by then).
TYPED_TEST(QueueJoin, JoinChecksTheCountWhenAwaited) {
    auto body = []() -> asyncio::Coro<> {
        TypeParam q;
        auto join = q.join();  // nothing unfinished yet
        q.put_nowait(1);
        auto waiter = [](decltype(join) j) -> asyncio::Coro<> { co_await std::move(j); };
        auto joiner = asyncio::create_task(waiter(std::move(join)));
        co_await yield_n(2);
        EXPECT_FALSE(joiner.done());
        (void)q.get_nowait();
        q.task_done();
        co_await yield_n(2);
        EXPECT_TRUE(joiner.done());

        q.put_nowait(2);
        auto early = q.join();  // one item unfinished
        (void)q.get_nowait();
        q.task_done();
        EXPECT_TRUE(co_await std::move(early));  // done by the time it is awaited: at once
    };
    asyncio::run(body());
}

// test_format: 'maxsize=0', then 'maxsize=0 tasks=2' (Python sets _unfinished_tasks; here
// two items are put and got without task_done).
TYPED_TEST(QueueJoin, Format) {
    auto body = []() -> asyncio::Coro<> {
        TypeParam q;
        EXPECT_THAT(q.repr(), HasSubstr("[maxsize=0]"));
        q.put_nowait(1);
        q.put_nowait(2);
        (void)q.get_nowait();
        (void)q.get_nowait();
        EXPECT_THAT(q.repr(), HasSubstr("[maxsize=0 tasks=2]"));
        co_return;
    };
    asyncio::run(body());
}

}  // namespace
