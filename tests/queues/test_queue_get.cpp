// CPython's QueueGetTests (test_queues.py), plus the get-side cancellation cases.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "queues/queue_support.hpp"

namespace {

using namespace queues_test;

TEST(QueueGet, BlockingGet) {
    auto body = []() -> asyncio::Coro<int> {
        asyncio::Queue<int> q;
        q.put_nowait(1);
        co_return co_await q.get();
    };
    EXPECT_EQ(asyncio::run(body()), 1);
}

// test_get_with_putters: a get() from a full queue wakes the waiting putter.
// (Python appends a bare future to q._putters; here a real putter task waits.)
TEST(QueueGet, GetWithPutters) {
    auto body = []() -> asyncio::Coro<> {
        asyncio::Queue<int> q(1);
        co_await q.put(1);
        auto putter = put_task(q, 2);
        co_await asyncio::sleep(0);
        EXPECT_FALSE(putter.done());
        EXPECT_EQ(co_await q.get(), 1);
        co_await asyncio::sleep(0);
        EXPECT_TRUE(putter.done());
        EXPECT_EQ(q.get_nowait(), 2);
    };
    asyncio::run(body());
}

TEST(QueueGet, BlockingGetWait) {
    auto body = []() -> asyncio::Coro<> {
        asyncio::Queue<int> q;
        asyncio::Event started;
        bool finished = false;
        auto queue_get = [&]() -> asyncio::Coro<int> {
            started.set();
            int res = co_await q.get();
            finished = true;
            co_return res;
        };
        auto t = asyncio::create_task(queue_get());
        co_await started.wait();
        EXPECT_FALSE(finished);
        asyncio::get_running_loop().call_later(0.01, [&q] { q.put_nowait(1); });
        int res = co_await t;
        EXPECT_TRUE(finished);
        EXPECT_EQ(res, 1);
    };
    asyncio::run(body());
}

TEST(QueueGet, NonblockingGet) {
    asyncio::Queue<int> q;
    q.put_nowait(1);
    EXPECT_EQ(q.get_nowait(), 1);
}

TEST(QueueGet, NonblockingGetException) {
    asyncio::Queue<int> q;
    EXPECT_THROW(q.get_nowait(), asyncio::QueueEmpty);
    auto body = [&]() -> asyncio::Coro<> {
        EXPECT_THROW(q.get_nowait(), asyncio::QueueEmpty);
        co_return;
    };
    asyncio::run(body());
}

// The older test_get_cancelled: a get under wait_for whose item comes before the deadline.
TEST(QueueGet, GetUnderWaitForBeforeDeadline) {
    auto body = []() -> asyncio::Coro<int> {
        asyncio::Queue<int> q;
        auto queue_get = [&]() -> asyncio::Coro<int> { co_return co_await asyncio::wait_for(q.get(), 10.0); };
        auto t = asyncio::create_task(queue_get());
        co_await asyncio::sleep(0.01);  // let the task start waiting
        q.put_nowait(1);
        co_return co_await t;
    };
    EXPECT_EQ(asyncio::run(body()), 1);
}

TEST(QueueGet, GetCancelledRace) {
    auto body = []() -> asyncio::Coro<> {
        asyncio::Queue<std::string> q;
        auto t1 = get_task(q);
        auto t2 = get_task(q);
        co_await asyncio::sleep(0);
        t1.cancel();
        co_await asyncio::sleep(0);
        EXPECT_TRUE(t1.done());
        EXPECT_TRUE(t1.cancelled());
        co_await q.put("a");
        co_await asyncio::sleep(0);
        EXPECT_EQ(co_await t2, "a");
    };
    asyncio::run(body());
}

TEST(QueueGet, GetWithWaitingPutters) {
    auto body = []() -> asyncio::Coro<> {
        asyncio::Queue<std::string> q(1);
        auto a = put_task(q, "a");
        auto b = put_task(q, "b");
        EXPECT_EQ(co_await q.get(), "a");
        EXPECT_EQ(co_await q.get(), "b");
        co_await a;
        co_await b;
    };
    asyncio::run(body());
}

asyncio::Coro<> consumer(asyncio::Queue<int>& q, int num_expected) {
    for (int i = 0; i < num_expected; ++i) (void)co_await q.get();
}
asyncio::Coro<> producer(asyncio::Queue<int>& q, int num_items) {
    for (int i = 0; i < num_items; ++i) co_await q.put(i);
}

// test_why_are_getters_waiting: a producer and a consumer through a queue of one slot finish.
TEST(QueueGet, WhyAreGettersWaiting) {
    auto body = []() -> asyncio::Coro<> {
        asyncio::Queue<int> q(1);
        auto p = asyncio::create_task(producer(q, 5));
        auto c = asyncio::create_task(consumer(q, 5));
        co_await asyncio::wait_for(asyncio::gather(p, c), 5.0);  // bound, not measured
        EXPECT_TRUE(q.empty());
    };
    asyncio::run(body());
}

TEST(QueueGet, CancelledGettersNotBeingHeldInSelfGetters) {
    auto body = []() -> asyncio::Coro<> {
        asyncio::Queue<int> q(5);
        auto e = co_await error_of(asyncio::wait_for(q.get(), 0.01));
        EXPECT_TRUE(holds<asyncio::TimeoutError>(e)) << what_of(e);
        EXPECT_EQ(q.repr().find("_getters"), std::string::npos) << q.repr();
        // Nothing waits: the next item is got by the next get.
        q.put_nowait(7);
        EXPECT_EQ(co_await q.get(), 7);
    };
    asyncio::run(body());
}

// test_get_cancel_drop_one_pending_reader: a reader woken for item 1 and cancelled before it
// runs does not take it: 1 is still there for the next reader.
TEST(QueueGet, GetCancelDropOnePendingReader) {
    auto body = []() -> asyncio::Coro<int> {
        asyncio::Queue<int> q;
        auto reader = get_task(q);
        co_await asyncio::sleep(0);
        q.put_nowait(1);
        q.put_nowait(2);
        reader.cancel();
        bool cancelled = false;
        try {
            co_await reader;
        } catch (const asyncio::CancelledError&) {
            cancelled = true;  // (no co_await inside a handler in C++)
        }
        if (cancelled) {
            reader = get_task(q);  // try again
            co_await reader;
        }
        // 2 would mean that 1 was dropped.
        co_return reader.result();
    };
    EXPECT_EQ(asyncio::run(body()), 1);
}

// test_get_cancel_drop_many_pending_readers: the cancelled reader's wake-up passes on, so the
// two other readers get both items.
TEST(QueueGet, GetCancelDropManyPendingReaders) {
    auto body = []() -> asyncio::Coro<> {
        asyncio::Queue<int> q;
        auto reader1 = get_task(q);
        auto reader2 = get_task(q);
        auto reader3 = get_task(q);
        co_await asyncio::sleep(0);
        q.put_nowait(1);
        q.put_nowait(2);
        reader1.cancel();
        EXPECT_TRUE(co_await ends_cancelled(reader1));
        co_await reader3;
        co_await asyncio::wait_for(reader2, 5.0);  // bound, not measured
        // The order in which concurrent readers receive items is not specified.
        EXPECT_EQ((std::set<int>{reader2.result(), reader3.result()}), (std::set<int>{1, 2}));
        EXPECT_TRUE(q.empty());
    };
    asyncio::run(body());
}

// Python 3.12's wait_for awaits q.get() directly: a consumer woken for an item and cancelled
// before it runs raises CancelledError, and the item stays in the queue.
TEST(QueueGet, CancelledWaitForGetAfterWakeKeepsItem) {
    auto body = []() -> asyncio::Coro<> {
        asyncio::Queue<int> q;
        auto consumer = [&]() -> asyncio::Coro<int> { co_return co_await asyncio::wait_for(q.get(), 10.0); };
        auto t = asyncio::create_task(consumer());
        co_await yield_n(2);
        q.put_nowait(1);
        t.cancel();
        std::exception_ptr e = co_await error_of(t);
        if (holds<asyncio::CancelledError>(e)) {
            EXPECT_EQ(q.qsize(), 1u) << "the cancelled consumer's item was lost";
        } else {
            // Got it before the cancel reached it: then it must not be in the queue too.
            EXPECT_FALSE(e) << what_of(e);
            EXPECT_EQ(t.result(), 1);
            EXPECT_TRUE(q.empty());
        }
    };
    asyncio::run(body());
}

// Several waiting getters are served in the order they started waiting (FIFO of getters).
TEST(QueueGet, WaitingGettersServedInOrder) {
    auto body = []() -> asyncio::Coro<> {
        asyncio::Queue<int> q;
        std::vector<asyncio::Task<int>> getters;
        for (int i = 0; i < 4; ++i) {
            getters.push_back(get_task(q));
            co_await asyncio::sleep(0);
        }
        for (int i = 0; i < 4; ++i) q.put_nowait(i);
        for (int i = 0; i < 4; ++i) EXPECT_EQ(co_await getters[i], i);
    };
    asyncio::run(body());
}

// A woken getter that finds the item taken (by get_nowait meanwhile) waits again.
TEST(QueueGet, WokenGetterWhoseItemWasTakenWaitsAgain) {
    auto body = []() -> asyncio::Coro<> {
        asyncio::Queue<int> q;
        auto getter = get_task(q);
        co_await asyncio::sleep(0);
        q.put_nowait(1);
        EXPECT_EQ(q.get_nowait(), 1);  // taken before the woken getter runs
        co_await yield_n(3);
        EXPECT_FALSE(getter.done());
        q.put_nowait(2);
        EXPECT_EQ(co_await getter, 2);
    };
    asyncio::run(body());
}

}  // namespace

namespace {

using namespace queues_test;

// Python 3.12+: wait_for(q.get(), t) is `async with timeout(t): return await q.get()`, with
// no inner task, so an outside cancellation either ends the get before it took the item (the
// item stays in the queue) or comes after the task returned it. For every number of loop
// iterations between the put and the cancel, the item is got exactly once.
TEST(QueueGet, WaitForGetCancelledAfterAnyDelayNeverLosesItem) {
    for (int delay = 0; delay < 4; ++delay) {
        auto body = [delay]() -> asyncio::Coro<> {
            asyncio::Queue<int> q;
            auto consumer = [&]() -> asyncio::Coro<int> { co_return co_await asyncio::wait_for(q.get(), 100.0); };
            auto t = asyncio::create_task(consumer());
            co_await yield_n(2);
            q.put_nowait(1);
            co_await yield_n(delay);
            t.cancel();
            std::exception_ptr e = co_await error_of(t);
            if (holds<asyncio::CancelledError>(e)) {
                EXPECT_EQ(q.qsize(), 1u) << "delay " << delay << ": the cancelled consumer's item was lost";
            } else {
                EXPECT_FALSE(e) << what_of(e);
                EXPECT_EQ(t.result(), 1);
                EXPECT_TRUE(q.empty());
            }
        };
        asyncio::run(body());
    }
}

}  // namespace
