// queue::Queue, LifoQueue, PriorityQueue in one thread and with one helper thread: order,
// bounds, put/get with block=false and with timeouts, argument errors, move-only items, item
// lifetimes.
//
// Ports from CPython's Lib/test/test_queue.py (BaseQueueTestMixin, run for QueueTest,
// LifoQueueTest and PriorityQueueTest): test_basic (basic_queue_test, blocking put/get through
// do_blocking_test), test_nowait, test_negative_timeout_raises_exception. test_shrinking_queue
// does not apply (maxsize is fixed at construction here), nor do the FailingQueue tests (no
// _put/_get hooks to fail).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "thread_queue_support.hpp"

namespace {

using namespace thread_queue_test;
using concurrence::ValueError;
using testing::StrEq;
using testing::ThrowsMessage;

constexpr int queue_size = 5;  // Python's QUEUE_SIZE
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

template <class Q>
bool qfull(const Q& q) {
    return q.maxsize() > 0 && q.qsize() == static_cast<std::size_t>(q.maxsize());
}

template <class Q>
class QueueBasic : public testing::Test {};
TYPED_TEST_SUITE(QueueBasic, QueueTypes, KindNames);

// Python's basic_queue_test.
template <class Q>
void basic_queue_test(Q& q) {
    ASSERT_EQ(q.qsize(), 0u) << "call this function with an empty queue";
    EXPECT_TRUE(q.empty());
    EXPECT_FALSE(q.full());
    q.put(111);
    q.put(333);
    q.put(222);
    const int first = q.get();
    const int second = q.get();
    const int third = q.get();
    EXPECT_EQ((std::vector<int>{first, second, third}),
              (std::vector<int>(std::begin(Kind<Q>::order_111_333_222), std::end(Kind<Q>::order_111_333_222))))
        << "didn't seem to queue the correct data";
    for (int i = 0; i < queue_size - 1; ++i) {
        q.put(i);
        EXPECT_NE(q.qsize(), 0u) << "queue should not be empty";
    }
    EXPECT_FALSE(qfull(q)) << "queue should not be full";
    const int last = 2 * queue_size;
    const int full = 3 * 2 * queue_size;
    q.put(last);
    EXPECT_TRUE(qfull(q)) << "queue should be full";
    EXPECT_FALSE(q.empty());
    EXPECT_TRUE(q.full());
    EXPECT_THROW(q.put(full, false), queue::Full) << "didn't appear to block with a full queue";
    EXPECT_THROW(q.put(full, true, 0.01), queue::Full) << "didn't appear to time-out with a full queue";
    // A blocking put, unblocked by a get in another thread; then the same with a timeout.
    do_blocking_test([&] { q.put(full); }, [&] { q.get(); });
    do_blocking_test([&] { q.put(full, true, 10); }, [&] { q.get(); });
    // Empty it.
    for (int i = 0; i < queue_size; ++i) q.get();
    EXPECT_EQ(q.qsize(), 0u) << "queue should be empty";
    EXPECT_THROW(q.get(false), queue::Empty) << "didn't appear to block with an empty queue";
    EXPECT_THROW(q.get(true, 0.01), queue::Empty) << "didn't appear to time-out with an empty queue";
    // A blocking get, unblocked by a put in another thread; then the same with a timeout.
    EXPECT_EQ(do_blocking_test([&] { return q.get(); }, [&] { q.put(-1); }), -1);
    EXPECT_EQ(do_blocking_test([&] { return q.get(true, 10); }, [&] { q.put(-2); }), -2);
}

// Python's test_basic: twice on the same queue, to show it is reusable.
TYPED_TEST(QueueBasic, Basic) {
    TypeParam q(queue_size);
    basic_queue_test(q);
    basic_queue_test(q);
}

// Python's test_nowait.
TYPED_TEST(QueueBasic, Nowait) {
    TypeParam q(queue_size);
    for (int i = 0; i < queue_size; ++i) q.put_nowait(1);
    EXPECT_THROW(q.put_nowait(1), queue::Full);
    for (int i = 0; i < queue_size; ++i) EXPECT_EQ(q.get_nowait(), 1);
    EXPECT_THROW(q.get_nowait(), queue::Empty);
}

// Python's test_negative_timeout_raises_exception, with Python's message; and where Python does
// not check: a put on an unbounded queue never looks at its timeout, block=false ignores it.
TYPED_TEST(QueueBasic, NegativeTimeoutRaisesValueError) {
    TypeParam q(queue_size);
    EXPECT_THAT([&] { q.put(1, true, -1); }, ThrowsMessage<ValueError>(StrEq("'timeout' must be a non-negative number")));
    EXPECT_EQ(q.qsize(), 0u);
    EXPECT_THAT([&] { q.get(true, -1); }, ThrowsMessage<ValueError>(StrEq("'timeout' must be a non-negative number")));
    q.put(7);
    // get checks the timeout before looking at the queue.
    EXPECT_THROW(q.get(true, -0.5), ValueError);
    EXPECT_EQ(q.qsize(), 1u);
    EXPECT_EQ(q.get(false, -1), 7);
    EXPECT_THROW(q.get(false, -1), queue::Empty);
    q.put(8, false, -1);
    EXPECT_EQ(q.get(), 8);

    TypeParam unbounded;
    unbounded.put(1, true, -1);
    EXPECT_EQ(unbounded.qsize(), 1u);
}

// A NaN timeout is an error only when the call has to wait (Python: Condition.wait(nan) raises).
TYPED_TEST(QueueBasic, NanTimeoutRaisesValueErrorWhenItWouldWait) {
    TypeParam q(1);
    EXPECT_THAT([&] { q.get(true, nan); }, ThrowsMessage<ValueError>(StrEq("Invalid value NaN (not a number)")));
    q.put(1, true, nan);
    EXPECT_THAT([&] { q.put(2, true, nan); }, ThrowsMessage<ValueError>(StrEq("Invalid value NaN (not a number)")));
    EXPECT_THROW(q.put(2, false, nan), queue::Full);
    EXPECT_EQ(q.get(true, nan), 1);
    EXPECT_THROW(q.get(false, nan), queue::Empty);
}

// The timeouts: Full and Empty once they pass, not before; 0 does not wait.
TYPED_TEST(QueueBasic, TimeoutsRaiseFullAndEmptyAfterTheTimeout) {
    TypeParam q(1);
    const auto get_time = time_of([&] { EXPECT_THROW(q.get(true, 0.05), queue::Empty); });
    EXPECT_GE(get_time, 50ms);
    EXPECT_LT(get_time, hang);
    q.put(1);
    const auto put_time = time_of([&] { EXPECT_THROW(q.put(2, true, std::chrono::milliseconds(50)), queue::Full); });
    EXPECT_GE(put_time, 50ms);
    EXPECT_LT(put_time, hang);
    EXPECT_THROW(q.put(2, true, 0), queue::Full);
    EXPECT_EQ(q.get(true, 0), 1);
    EXPECT_THROW(q.get(true, 0), queue::Empty);
    EXPECT_THROW(q.get(true, std::chrono::nanoseconds(1)), queue::Empty);
}

// Python: "If maxsize is <= 0, the queue size is infinite."
TYPED_TEST(QueueBasic, MaxsizeZeroOrNegativeIsUnbounded) {
    for (long maxsize : {0L, -1L, -100L}) {
        TypeParam q(maxsize);
        EXPECT_EQ(q.maxsize(), maxsize);
        for (int i = 0; i < 10'000; ++i) q.put(i, false);
        EXPECT_FALSE(q.full());
        EXPECT_EQ(q.qsize(), 10'000u);
        long sum = 0;
        while (!q.empty()) sum += q.get_nowait();
        EXPECT_EQ(sum, 10'000L * 9'999 / 2);
    }
    TypeParam q;
    EXPECT_EQ(q.maxsize(), 0);
}

TYPED_TEST(QueueBasic, QsizeEmptyFullFollowTheItems) {
    TypeParam q(3);
    EXPECT_EQ(q.maxsize(), 3);
    for (int i = 1; i <= 3; ++i) {
        q.put(i);
        EXPECT_EQ(q.qsize(), static_cast<std::size_t>(i));
        EXPECT_FALSE(q.empty());
        EXPECT_EQ(q.full(), i == 3);
    }
    for (int i = 2; i >= 0; --i) {
        q.get();
        EXPECT_EQ(q.qsize(), static_cast<std::size_t>(i));
        EXPECT_FALSE(q.full());
        EXPECT_EQ(q.empty(), i == 0);
    }
}

// Items are moved in and out: a move-only type works (and keeps its value).
TEST(QueueItems, MoveOnlyItems) {
    queue::Queue<std::unique_ptr<int>> fifo(2);
    queue::LifoQueue<std::unique_ptr<int>> lifo;
    fifo.put(std::make_unique<int>(1));
    fifo.put_nowait(std::make_unique<int>(2));
    EXPECT_THROW(fifo.put_nowait(std::make_unique<int>(3)), queue::Full);
    EXPECT_EQ(*fifo.get(), 1);
    EXPECT_EQ(*fifo.get_nowait(), 2);
    lifo.put(std::make_unique<int>(1));
    lifo.put(std::make_unique<int>(2));
    EXPECT_EQ(*lifo.get(), 2);
    EXPECT_EQ(*lifo.get(), 1);

    struct ByValue {
        bool operator()(const std::unique_ptr<int>& a, const std::unique_ptr<int>& b) const { return *a < *b; }
    };
    queue::PriorityQueue<std::unique_ptr<int>, ByValue> heap;
    for (int v : {5, 1, 4, 2, 3}) heap.put(std::make_unique<int>(v));
    for (int v = 1; v <= 5; ++v) EXPECT_EQ(*heap.get(), v);
}

// PriorityQueue: smallest first by Compare, as heapq; (priority, data) pairs as Python's doc says.
TEST(QueueItems, PriorityQueueOrdersByCompare) {
    queue::PriorityQueue<std::pair<int, std::string>> jobs;
    jobs.put({3, "low"});
    jobs.put({1, "urgent"});
    jobs.put({2, "normal"});
    EXPECT_EQ(jobs.get().second, "urgent");
    EXPECT_EQ(jobs.get().second, "normal");
    EXPECT_EQ(jobs.get().second, "low");

    queue::PriorityQueue<int, std::greater<int>> largest_first;
    for (int v : {3, 9, 1, 7}) largest_first.put(v);
    for (int v : {9, 7, 3, 1}) EXPECT_EQ(largest_first.get(), v);
}

// FIFO order holds while the ring grows and wraps around (interleaved puts and gets, the queue
// growing by one item every third step).
TEST(QueueItems, FifoOrderAcrossGrowthAndWrapAround) {
    for (long maxsize : {0L, 100L, 1000L}) {
        queue::Queue<int> q(maxsize);
        int next_put = 0;
        int next_get = 0;
        for (int step = 0; step < 3000; ++step) {
            if (step % 3 != 2 && !q.full()) q.put(next_put++);
            if (step % 3 == 2 || q.full()) {
                EXPECT_EQ(q.get(), next_get++);
            }
        }
        while (!q.empty()) EXPECT_EQ(q.get(), next_get++);
        EXPECT_EQ(next_get, next_put);
    }
}

// An item leaves the queue with get(): the queue keeps no copy. Items still in a queue are
// destroyed with it.
TEST(QueueItems, ItemsAreReleasedByGetAndByTheQueuesDestructor) {
    auto item = std::make_shared<int>(1);
    {
        queue::Queue<std::shared_ptr<int>> fifo;
        queue::LifoQueue<std::shared_ptr<int>> lifo;
        queue::PriorityQueue<std::shared_ptr<int>> heap;
        for (int i = 0; i < 40; ++i) {  // beyond the ring's first capacity
            fifo.put(item);
            lifo.put(item);
            heap.put(item);
        }
        EXPECT_EQ(item.use_count(), 121);
        fifo.get();
        lifo.get();
        heap.get();
        EXPECT_EQ(item.use_count(), 118);
    }
    EXPECT_EQ(item.use_count(), 1);
}

// Python's timeouts are seconds; std::chrono durations work as well.
TEST(QueueItems, TimeoutsAcceptChronoDurations) {
    queue::Queue<int> q(1);
    q.put(1, true, std::chrono::seconds(1));
    EXPECT_THROW(q.put(2, true, std::chrono::microseconds(100)), queue::Full);
    EXPECT_EQ(q.get(true, std::chrono::hours(1)), 1);
    EXPECT_THROW(q.get(true, std::chrono::microseconds(100)), queue::Empty);
}

// The exceptions: Python's names, what() says which, all std::runtime_error (Python's Exception).
TEST(QueueItems, ExceptionsNameThemselves) {
    EXPECT_STREQ(queue::Empty().what(), "queue.Empty");
    EXPECT_STREQ(queue::Full().what(), "queue.Full");
    EXPECT_STREQ(queue::ShutDown().what(), "queue.ShutDown");
    queue::Queue<int> q;
    EXPECT_THROW(q.get_nowait(), std::runtime_error);
}

}  // namespace
