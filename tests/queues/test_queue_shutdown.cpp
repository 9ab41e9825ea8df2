// CPython's _QueueShutdownTestMixin (test_queues.py, Python 3.13's Queue.shutdown), run for
// Queue, LifoQueue and PriorityQueue; plus the waiters that shutdown must release.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "queues/queue_support.hpp"

namespace {

using namespace queues_test;
using testing::HasSubstr;

template <class Q>
class QueueShutdown : public testing::Test {};

using ShutdownTypes =
    testing::Types<asyncio::Queue<std::string>, asyncio::LifoQueue<std::string>, asyncio::PriorityQueue<std::string>>;
TYPED_TEST_SUITE(QueueShutdown, ShutdownTypes);

template <class Q>
asyncio::Coro<bool> put_raises_shutdown(Q& q) {
    co_return holds<asyncio::QueueShutDown>(co_await error_of(q.put("data")));
}
template <class Q>
asyncio::Coro<bool> get_raises_shutdown(Q& q) {
    co_return holds<asyncio::QueueShutDown>(co_await error_of(q.get()));
}
template <class Q>
bool put_nowait_raises_shutdown(Q& q) {
    try {
        q.put_nowait("data");
    } catch (const asyncio::QueueShutDown&) {
        return true;
    } catch (...) {
    }
    return false;
}
template <class Q>
bool get_nowait_raises_shutdown(Q& q) {
    try {
        (void)q.get_nowait();
    } catch (const asyncio::QueueShutDown&) {
        return true;
    } catch (...) {
    }
    return false;
}
template <class Q>
bool task_done_raises_value_error(Q& q) {
    try {
        q.task_done();
    } catch (const concurrence::ValueError&) {
        return true;
    }
    return false;
}

TYPED_TEST(QueueShutdown, Format) {
    auto body = []() -> asyncio::Coro<> {
        TypeParam q;
        EXPECT_FALSE(q.is_shutdown());
        q.shutdown();
        EXPECT_TRUE(q.is_shutdown());
        EXPECT_THAT(q.repr(), HasSubstr("[maxsize=0 shutdown]"));
        co_return;
    };
    asyncio::run(body());
}

TYPED_TEST(QueueShutdown, ShutdownEmpty) {
    auto body = []() -> asyncio::Coro<> {
        TypeParam q;
        auto get = get_task(q);
        co_await asyncio::sleep(0);  // the get task waits before the shutdown
        q.shutdown(false);           // unfinished tasks: 0 -> 0
        EXPECT_EQ(q.qsize(), 0u);
        co_await q.join();
        co_await asyncio::sleep(0);
        EXPECT_TRUE(get.done());
        EXPECT_TRUE(holds<asyncio::QueueShutDown>(co_await error_of(get)));

        EXPECT_TRUE(co_await put_raises_shutdown(q));
        EXPECT_TRUE(put_nowait_raises_shutdown(q));
        EXPECT_TRUE(co_await get_raises_shutdown(q));
        EXPECT_TRUE(get_nowait_raises_shutdown(q));
    };
    asyncio::run(body());
}

TYPED_TEST(QueueShutdown, ShutdownNonempty) {
    auto body = []() -> asyncio::Coro<> {
        TypeParam q(1);
        q.put_nowait("data");
        auto joiner = join_task(q);
        auto put = put_task(q, "data2");
        co_await asyncio::sleep(0);
        EXPECT_FALSE(put.done());

        q.shutdown(false);  // unfinished tasks: 1 -> 1
        EXPECT_EQ(q.qsize(), 1u);
        co_await asyncio::sleep(0);
        EXPECT_TRUE(put.done());
        EXPECT_TRUE(holds<asyncio::QueueShutDown>(co_await error_of(put)));

        // The item put before the shutdown can still be got.
        EXPECT_EQ(co_await q.get(), "data");
        co_await asyncio::sleep(0);
        EXPECT_FALSE(joiner.done());

        EXPECT_TRUE(co_await put_raises_shutdown(q));
        EXPECT_TRUE(put_nowait_raises_shutdown(q));
        EXPECT_TRUE(co_await get_raises_shutdown(q));
        EXPECT_TRUE(get_nowait_raises_shutdown(q));

        q.task_done();  // the one unfinished task
        co_await asyncio::sleep(0);
        EXPECT_TRUE(joiner.done());
        co_await joiner;
        EXPECT_TRUE(task_done_raises_value_error(q));
    };
    asyncio::run(body());
}

TYPED_TEST(QueueShutdown, ShutdownImmediate) {
    auto body = []() -> asyncio::Coro<> {
        TypeParam q;
        q.put_nowait("data");
        auto joiner = join_task(q);
        q.shutdown(true);  // unfinished tasks: 1 -> 0
        EXPECT_EQ(q.qsize(), 0u);
        co_await asyncio::sleep(0);
        EXPECT_TRUE(joiner.done());
        co_await joiner;

        EXPECT_TRUE(co_await put_raises_shutdown(q));
        EXPECT_TRUE(put_nowait_raises_shutdown(q));
        EXPECT_TRUE(co_await get_raises_shutdown(q));
        EXPECT_TRUE(get_nowait_raises_shutdown(q));
        EXPECT_TRUE(task_done_raises_value_error(q));  // no unfinished tasks
    };
    asyncio::run(body());
}

TYPED_TEST(QueueShutdown, ShutdownImmediateWithUnfinished) {
    auto body = []() -> asyncio::Coro<> {
        TypeParam q;
        q.put_nowait("data");
        q.put_nowait("data");
        auto joiner = join_task(q);
        EXPECT_EQ(co_await q.get(), "data");
        q.shutdown(true);  // unfinished tasks: 2 -> 1
        EXPECT_EQ(q.qsize(), 0u);
        co_await asyncio::sleep(0);
        EXPECT_FALSE(joiner.done());

        EXPECT_TRUE(co_await put_raises_shutdown(q));
        EXPECT_TRUE(put_nowait_raises_shutdown(q));
        EXPECT_TRUE(co_await get_raises_shutdown(q));
        EXPECT_TRUE(get_nowait_raises_shutdown(q));

        q.task_done();  // exactly one unfinished task
        EXPECT_TRUE(task_done_raises_value_error(q));
        co_await asyncio::sleep(0);
        EXPECT_TRUE(joiner.done());
        co_await joiner;
    };
    asyncio::run(body());
}

// Every getter waiting on an empty queue is woken by shutdown() and raises QueueShutDown.
TYPED_TEST(QueueShutdown, AllWaitingGettersUnblocked) {
    for (bool immediate : {false, true}) {
        auto body = [immediate]() -> asyncio::Coro<> {
            TypeParam q;
            std::vector<asyncio::Task<std::string>> getters;
            for (int i = 0; i < 5; ++i) getters.push_back(get_task(q));
            co_await asyncio::sleep(0);
            for (auto& g : getters) EXPECT_FALSE(g.done());
            q.shutdown(immediate);
            co_await asyncio::sleep(0);
            for (auto& g : getters) {
                EXPECT_TRUE(g.done());
                EXPECT_TRUE(holds<asyncio::QueueShutDown>(co_await error_of(g)));
            }
            EXPECT_EQ(q.repr().find("_getters"), std::string::npos) << q.repr();
        };
        asyncio::run(body());
    }
}

// Every putter waiting on a full queue is woken by shutdown() and raises QueueShutDown; with
// immediate=false the items already in stay gettable, with immediate=true they are dropped.
TYPED_TEST(QueueShutdown, AllWaitingPuttersUnblocked) {
    for (bool immediate : {false, true}) {
        auto body = [immediate]() -> asyncio::Coro<> {
            TypeParam q(2);
            q.put_nowait("a");
            q.put_nowait("b");
            std::vector<asyncio::Task<void>> putters;
            for (int i = 0; i < 5; ++i) putters.push_back(put_task(q, "p" + std::to_string(i)));
            co_await asyncio::sleep(0);
            for (auto& p : putters) EXPECT_FALSE(p.done());
            q.shutdown(immediate);
            co_await asyncio::sleep(0);
            for (auto& p : putters) {
                EXPECT_TRUE(p.done());
                EXPECT_TRUE(holds<asyncio::QueueShutDown>(co_await error_of(p)));
            }
            EXPECT_EQ(q.repr().find("_putters"), std::string::npos) << q.repr();
            if (immediate) {
                EXPECT_EQ(q.qsize(), 0u);
                EXPECT_TRUE(get_nowait_raises_shutdown(q));
            } else {
                EXPECT_EQ(q.qsize(), 2u);
                std::vector<std::string> got;
                for (int i = 0; i < 2; ++i) got.push_back(co_await q.get());
                std::sort(got.begin(), got.end());
                EXPECT_EQ(got, (std::vector<std::string>{"a", "b"}));
                EXPECT_TRUE(co_await get_raises_shutdown(q));
            }
        };
        asyncio::run(body());
    }
}

// Getters, putters and joiners all waiting on one queue (Python's threading queue test
// test_shutdown_all_methods_in_many_threads, in small): shutdown(immediate=True) releases all.
TYPED_TEST(QueueShutdown, JoinUnblockedByImmediateShutdown) {
    auto body = []() -> asyncio::Coro<> {
        TypeParam q(1);
        q.put_nowait("x");
        std::vector<asyncio::Task<void>> joiners;
        for (int i = 0; i < 3; ++i) joiners.push_back(join_task(q));
        auto putter = put_task(q, "y");
        co_await asyncio::sleep(0);
        EXPECT_FALSE(putter.done());
        for (auto& j : joiners) EXPECT_FALSE(j.done());
        q.shutdown(true);  // the one unfinished item is dropped: join returns
        co_await yield_n(2);
        for (auto& j : joiners) {
            EXPECT_TRUE(j.done());
            co_await j;
        }
        EXPECT_TRUE(holds<asyncio::QueueShutDown>(co_await error_of(putter)));
        co_await q.join();
        EXPECT_TRUE(task_done_raises_value_error(q));
    };
    asyncio::run(body());
}

// shutdown(immediate=false) leaves join waiting until the items left are got and done.
TYPED_TEST(QueueShutdown, JoinNotUnblockedByPlainShutdown) {
    auto body = []() -> asyncio::Coro<> {
        TypeParam q;
        q.put_nowait("x");
        q.put_nowait("y");
        auto joiner = join_task(q);
        q.shutdown();
        co_await yield_n(2);
        EXPECT_FALSE(joiner.done());
        (void)co_await q.get();
        (void)co_await q.get();
        q.task_done();
        co_await yield_n(2);
        EXPECT_FALSE(joiner.done());
        q.task_done();
        co_await joiner;
    };
    asyncio::run(body());
}

// Put after shutdown raises at once, even with room in the queue; the item is not added.
TYPED_TEST(QueueShutdown, PutAfterShutdown) {
    auto body = []() -> asyncio::Coro<> {
        TypeParam q(5);
        q.put_nowait("kept");
        q.shutdown();
        EXPECT_TRUE(co_await put_raises_shutdown(q));
        EXPECT_TRUE(put_nowait_raises_shutdown(q));
        EXPECT_EQ(q.qsize(), 1u);
        EXPECT_EQ(q.get_nowait(), "kept");
        EXPECT_TRUE(get_nowait_raises_shutdown(q));
        // A second shutdown changes nothing, an immediate one after it is fine too.
        q.shutdown();
        q.shutdown(true);
        EXPECT_TRUE(q.is_shutdown());
        q.task_done();
        EXPECT_TRUE(task_done_raises_value_error(q));
    };
    asyncio::run(body());
}

// A getter woken by an item and the shutdown in the same iteration still gets the item
// (immediate=false keeps the items): shutdown only ends gets once the queue is empty.
TYPED_TEST(QueueShutdown, WokenGetterStillGetsItemAfterPlainShutdown) {
    auto body = []() -> asyncio::Coro<> {
        TypeParam q;
        auto g1 = get_task(q);
        auto g2 = get_task(q);
        co_await asyncio::sleep(0);
        q.put_nowait("item");
        q.shutdown();
        co_await asyncio::sleep(0);
        EXPECT_TRUE(g1.done());
        EXPECT_TRUE(g2.done());
        EXPECT_EQ(co_await g1, "item");
        EXPECT_TRUE(holds<asyncio::QueueShutDown>(co_await error_of(g2)));
    };
    asyncio::run(body());
}

}  // namespace
