// CPython's QueueBasicTests, LifoQueueTests and PriorityQueueTests (test_queues.py), plus
// the C++-only cases: move-only items, priority pairs and comparators.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "queues/queue_support.hpp"

namespace {

using namespace queues_test;
using testing::HasSubstr;
using testing::StartsWith;

// test_repr / test_str: the type name, the address, the waiting getters and putters.
// (Python also shows `_queue=[1]`; the C++ repr shows the count: `qsize=1`.)
TEST(QueueBasic, Repr) {
    auto body = []() -> asyncio::Coro<> {
        {
            asyncio::Queue<int> q;
            EXPECT_THAT(q.repr(), StartsWith("<asyncio::Queue at 0x"));
            EXPECT_THAT(q.repr(), HasSubstr("maxsize=0"));
        }
        {
            asyncio::Queue<int> q;
            auto getter = get_task(q);
            co_await asyncio::sleep(0);  // let it start waiting
            EXPECT_THAT(q.repr(), HasSubstr("_getters[1]"));
            q.put_nowait(0);
            EXPECT_EQ(co_await getter, 0);
            EXPECT_THAT(q.repr(), testing::Not(HasSubstr("_getters")));
        }
        {
            asyncio::Queue<int> q(1);
            q.put_nowait(1);
            auto putter = put_task(q, 2);
            co_await asyncio::sleep(0);
            EXPECT_THAT(q.repr(), HasSubstr("_putters[1]"));
            EXPECT_EQ(q.get_nowait(), 1);
            co_await putter;
            EXPECT_TRUE(putter.done());
            EXPECT_THAT(q.repr(), testing::Not(HasSubstr("_putters")));
        }
        {
            asyncio::Queue<int> q;
            q.put_nowait(1);
            EXPECT_THAT(q.repr(), HasSubstr("qsize=1"));
        }
    };
    asyncio::run(body());
    EXPECT_THAT(asyncio::LifoQueue<int>().repr(), StartsWith("<asyncio::LifoQueue at "));
    EXPECT_THAT(asyncio::PriorityQueue<int>().repr(), StartsWith("<asyncio::PriorityQueue at "));
}

TEST(QueueBasic, Empty) {
    auto body = []() -> asyncio::Coro<> {
        asyncio::Queue<int> q;
        EXPECT_TRUE(q.empty());
        co_await q.put(1);
        EXPECT_FALSE(q.empty());
        EXPECT_EQ(co_await q.get(), 1);
        EXPECT_TRUE(q.empty());
    };
    asyncio::run(body());
}

TEST(QueueBasic, Full) {
    auto body = []() -> asyncio::Coro<> {
        asyncio::Queue<int> unbounded;
        EXPECT_FALSE(unbounded.full());
        asyncio::Queue<int> q(1);
        co_await q.put(1);
        EXPECT_TRUE(q.full());
    };
    asyncio::run(body());
}

TEST(QueueBasic, Order) {
    auto body = []() -> asyncio::Coro<std::vector<int>> {
        asyncio::Queue<int> q;
        for (int i : {1, 3, 2}) co_await q.put(i);
        std::vector<int> items;
        for (int i = 0; i < 3; ++i) items.push_back(co_await q.get());
        co_return items;
    };
    EXPECT_EQ(asyncio::run(body()), (std::vector<int>{1, 3, 2}));
}

// test_maxsize: a putter blocks after two items and resumes when one is got.
TEST(QueueBasic, Maxsize) {
    auto body = []() -> asyncio::Coro<> {
        asyncio::Queue<int> q(2);
        EXPECT_EQ(q.maxsize(), 2);
        std::vector<int> have_been_put;
        auto putter = [&]() -> asyncio::Coro<bool> {
            for (int i = 0; i < 3; ++i) {
                co_await q.put(i);
                have_been_put.push_back(i);
            }
            co_return true;
        };
        auto t = asyncio::create_task(putter());
        co_await yield_n(2);
        // The putter is blocked after putting two items.
        EXPECT_EQ(have_been_put, (std::vector<int>{0, 1}));
        EXPECT_EQ(co_await q.get(), 0);
        // Let the putter resume and put the last item.
        co_await asyncio::sleep(0);
        EXPECT_EQ(have_been_put, (std::vector<int>{0, 1, 2}));
        EXPECT_EQ(co_await q.get(), 1);
        EXPECT_EQ(co_await q.get(), 2);
        EXPECT_TRUE(t.done());
        EXPECT_TRUE(t.result());
    };
    asyncio::run(body());
}

// test_float_maxsize does not apply (maxsize is an integer); what it checks in Python's
// queue, `full()` once qsize() >= maxsize, is checked here with maxsize 2. And maxsize <= 0
// means unbounded, as in Python.
TEST(QueueBasic, MaxsizeIntegralAndUnbounded) {
    auto body = []() -> asyncio::Coro<> {
        asyncio::Queue<int> q(2);
        q.put_nowait(1);
        EXPECT_FALSE(q.full());
        q.put_nowait(2);
        EXPECT_TRUE(q.full());
        EXPECT_THROW(q.put_nowait(3), asyncio::QueueFull);
        asyncio::Queue<int> q2(2);
        co_await q2.put(1);
        co_await q2.put(2);
        EXPECT_TRUE(q2.full());

        for (std::int64_t maxsize : {std::int64_t{0}, std::int64_t{-1}}) {
            asyncio::Queue<int> unbounded(maxsize);
            EXPECT_EQ(unbounded.maxsize(), maxsize);
            for (int i = 0; i < 100; ++i) co_await unbounded.put(i);
            EXPECT_FALSE(unbounded.full());
            EXPECT_EQ(unbounded.qsize(), 100u);
        }
    };
    asyncio::run(body());
}

TEST(QueueBasic, QsizeTracksPutsAndGets) {
    asyncio::Queue<int> q(3);  // used outside any loop: allowed before it is bound
    EXPECT_EQ(q.qsize(), 0u);
    q.put_nowait(1);
    q.put_nowait(2);
    EXPECT_EQ(q.qsize(), 2u);
    EXPECT_EQ(q.get_nowait(), 1);
    EXPECT_EQ(q.qsize(), 1u);
    q.put_nowait(3);
    q.put_nowait(4);
    EXPECT_EQ(q.qsize(), 3u);
    EXPECT_TRUE(q.full());
    EXPECT_EQ(q.get_nowait(), 2);
    EXPECT_EQ(q.get_nowait(), 3);
    EXPECT_EQ(q.get_nowait(), 4);
    EXPECT_TRUE(q.empty());
}

// LifoQueueTests.test_order
TEST(LifoQueue, Order) {
    auto body = []() -> asyncio::Coro<std::vector<int>> {
        asyncio::LifoQueue<int> q;
        for (int i : {1, 3, 2}) co_await q.put(i);
        std::vector<int> items;
        for (int i = 0; i < 3; ++i) items.push_back(co_await q.get());
        co_return items;
    };
    EXPECT_EQ(asyncio::run(body()), (std::vector<int>{2, 3, 1}));
}

// PriorityQueueTests.test_order
TEST(PriorityQueue, Order) {
    auto body = []() -> asyncio::Coro<std::vector<int>> {
        asyncio::PriorityQueue<int> q;
        for (int i : {1, 3, 2}) co_await q.put(i);
        std::vector<int> items;
        for (int i = 0; i < 3; ++i) items.push_back(co_await q.get());
        co_return items;
    };
    EXPECT_EQ(asyncio::run(body()), (std::vector<int>{1, 2, 3}));
}

// Python's idiom: (priority, item) tuples, the lowest priority number first; equal
// priorities compare the item.
TEST(PriorityQueue, PairsLowestPriorityFirst) {
    auto body = []() -> asyncio::Coro<std::vector<std::pair<int, std::string>>> {
        asyncio::PriorityQueue<std::pair<int, std::string>> q;
        std::vector<std::pair<int, std::string>> in{{5, "e"}, {1, "b"}, {3, "c"}, {1, "a"}, {9, "z"}, {0, "x"}};
        for (auto& p : in) co_await q.put(p);
        std::vector<std::pair<int, std::string>> out;
        while (!q.empty()) out.push_back(co_await q.get());
        co_return out;
    };
    using P = std::pair<int, std::string>;
    EXPECT_EQ(asyncio::run(body()), (std::vector<P>{{0, "x"}, {1, "a"}, {1, "b"}, {3, "c"}, {5, "e"}, {9, "z"}}));
}

TEST(PriorityQueue, CustomCompareGreaterFirst) {
    asyncio::PriorityQueue<int, std::greater<int>> q;
    for (int i : {4, 1, 7, 3}) q.put_nowait(i);
    std::vector<int> out;
    while (!q.empty()) out.push_back(q.get_nowait());
    EXPECT_EQ(out, (std::vector<int>{7, 4, 3, 1}));
}

// A blocked getter of a PriorityQueue gets the smallest item of those put before it runs.
TEST(PriorityQueue, WaitingGetterGetsSmallest) {
    auto body = []() -> asyncio::Coro<> {
        asyncio::PriorityQueue<int> q;
        auto getter = get_task(q);
        co_await asyncio::sleep(0);
        q.put_nowait(5);
        q.put_nowait(2);
        q.put_nowait(8);
        EXPECT_EQ(co_await getter, 2);
        EXPECT_EQ(q.get_nowait(), 5);
        EXPECT_EQ(q.get_nowait(), 8);
    };
    asyncio::run(body());
}

// ---- move-only items

TEST(QueueMoveOnly, UniquePtrThroughBlockingGetAndPut) {
    auto body = []() -> asyncio::Coro<> {
        asyncio::Queue<std::unique_ptr<int>> q(1);
        auto consumer = [&]() -> asyncio::Coro<int> {
            int sum = 0;
            for (int i = 0; i < 5; ++i) {
                std::unique_ptr<int> p = co_await q.get();
                sum += *p;
            }
            co_return sum;
        };
        auto c = asyncio::create_task(consumer());
        for (int i = 1; i <= 5; ++i) co_await q.put(std::make_unique<int>(i));
        EXPECT_EQ(co_await c, 15);
        EXPECT_TRUE(q.empty());
    };
    asyncio::run(body());
}

// A cancelled putter's item is destroyed with its put (no leak, not put); items left in the
// queue are destroyed with the queue (ASan checks both).
TEST(QueueMoveOnly, CancelledPutAndLeftoverItemsAreFreed) {
    auto body = []() -> asyncio::Coro<> {
        asyncio::Queue<std::unique_ptr<int>> q(1);
        q.put_nowait(std::make_unique<int>(1));
        auto putter = put_task(q, std::make_unique<int>(2));
        co_await asyncio::sleep(0);
        EXPECT_FALSE(putter.done());
        putter.cancel();
        EXPECT_TRUE(co_await ends_cancelled(putter));
        EXPECT_EQ(q.qsize(), 1u);
        EXPECT_EQ(*q.get_nowait(), 1);
        EXPECT_THROW(q.get_nowait(), asyncio::QueueEmpty);
        q.put_nowait(std::make_unique<int>(3));  // left in the queue
    };
    asyncio::run(body());
}

TEST(QueueMoveOnly, LifoAndPriorityWithUniquePtr) {
    asyncio::LifoQueue<std::unique_ptr<int>> lifo;
    for (int i : {1, 2, 3}) lifo.put_nowait(std::make_unique<int>(i));
    EXPECT_EQ(*lifo.get_nowait(), 3);
    EXPECT_EQ(*lifo.get_nowait(), 2);

    struct ByValue {
        bool operator()(const std::unique_ptr<int>& a, const std::unique_ptr<int>& b) const { return *a < *b; }
    };
    asyncio::PriorityQueue<std::unique_ptr<int>, ByValue> prio;
    for (int i : {4, 1, 3, 2}) prio.put_nowait(std::make_unique<int>(i));
    std::vector<int> out;
    while (!prio.empty()) out.push_back(*prio.get_nowait());
    EXPECT_EQ(out, (std::vector<int>{1, 2, 3, 4}));
    prio.put_nowait(std::make_unique<int>(9));  // left in the queue
}

// Many items through a small ring: the FIFO storage wraps and grows without losing order.
TEST(QueueBasic, FifoOrderAcrossRingGrowth) {
    asyncio::Queue<std::string> q;
    int next_in = 0, next_out = 0;
    for (int round = 0; round < 50; ++round) {
        for (int i = 0; i < round % 7 + 1; ++i) q.put_nowait(std::to_string(next_in++));
        for (int i = 0; i < round % 5 + 1 && !q.empty(); ++i) EXPECT_EQ(q.get_nowait(), std::to_string(next_out++));
    }
    while (!q.empty()) EXPECT_EQ(q.get_nowait(), std::to_string(next_out++));
    EXPECT_EQ(next_in, next_out);
}

}  // namespace
