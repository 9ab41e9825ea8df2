// queue::SimpleQueue: put/get in one thread, argument checks (CPython's C implementation
// checks the timeout first), many producer and consumer threads with blocking, non-blocking and
// timed gets, items released when they leave.
//
// Ports from CPython's Lib/test/test_queue.py (BaseSimpleQueueTest): test_basic,
// test_negative_timeout_raises_exception, test_order, test_many_threads,
// test_many_threads_nonblock, test_many_threads_timeout (20 threads each way instead of 50 and
// fewer items: they run under the sanitizers on two cores), test_references.
// test_is_default and test_reentrancy do not apply: there is one SimpleQueue, and it is not
// reentrant (see simple_queue.hpp).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <mutex>
#include <numeric>
#include <random>
#include <thread>
#include <vector>

#include "thread_queue_support.hpp"

namespace {

using namespace thread_queue_test;
using concurrence::ValueError;
using testing::StrEq;
using testing::ThrowsMessage;

constexpr int sentinel = -1;  // Python's None

// Python's run_threads: n feeders pop the inputs (from the end of a reversed copy, so in order)
// and put them, sleeping at random now and then, each ending with a sentinel; n consumers get
// until a sentinel. Returns what the consumers got, in the order they appended it.
class SimpleQueueThreads : public testing::Test {
public:
    using Consume = void (SimpleQueueThreads::*)(queue::SimpleQueue<int>&);

    void feed(queue::SimpleQueue<int>& q, unsigned seed) {
        std::mt19937 rnd(seed);
        std::uniform_real_distribution<double> random(0.0, 1.0);
        for (;;) {
            int val = 0;
            {
                std::lock_guard guard(mutex_);
                if (seq_.empty()) break;
                val = seq_.back();
                seq_.pop_back();
            }
            q.put(val);
            if (random(rnd) > 0.5) std::this_thread::sleep_for(std::chrono::duration<double>(random(rnd) * 1e-4));
        }
        q.put(sentinel);
    }
    void append(int val) {
        std::lock_guard guard(mutex_);
        results_.push_back(val);
    }
    void consume(queue::SimpleQueue<int>& q) {
        for (int val = q.get(); val != sentinel; val = q.get()) append(val);
    }
    void consume_nonblock(queue::SimpleQueue<int>& q) {
        for (;;) {
            int val = 0;
            for (;;) {
                try {
                    val = q.get(false);
                    break;
                } catch (const queue::Empty&) {
                    std::this_thread::sleep_for(std::chrono::microseconds(10));
                }
            }
            if (val == sentinel) return;
            append(val);
        }
    }
    void consume_timeout(queue::SimpleQueue<int>& q) {
        for (;;) {
            int val = 0;
            for (;;) {
                try {
                    val = q.get(true, 1e-5);
                    break;
                } catch (const queue::Empty&) {
                }
            }
            if (val == sentinel) return;
            append(val);
        }
    }

    std::vector<int> run_threads(int n_threads, queue::SimpleQueue<int>& q, const std::vector<int>& inputs,
                                 Consume consume_func) {
        seq_.assign(inputs.rbegin(), inputs.rend());
        results_.clear();
        {
            std::vector<std::unique_ptr<Background<void>>> threads;
            for (int i = 0; i < n_threads; ++i) {
                const auto seed = static_cast<unsigned>(42 + i);
                threads.push_back(std::make_unique<Background<void>>([this, &q, seed] { feed(q, seed); }));
            }
            for (int i = 0; i < n_threads; ++i)
                threads.push_back(std::make_unique<Background<void>>([this, &q, consume_func] { (this->*consume_func)(q); }));
            for (auto& t : threads) {
                EXPECT_TRUE(t->join());
                EXPECT_FALSE(t->error());
            }
        }
        EXPECT_TRUE(q.empty());
        EXPECT_EQ(q.qsize(), 0u);
        std::lock_guard guard(mutex_);
        return results_;
    }

    static std::vector<int> range(int n) {
        std::vector<int> v(static_cast<std::size_t>(n));
        std::iota(v.begin(), v.end(), 0);
        return v;
    }
    static std::vector<int> sorted(std::vector<int> v) {
        std::sort(v.begin(), v.end());
        return v;
    }

    queue::SimpleQueue<int> q_;

private:
    std::mutex mutex_;
    std::vector<int> seq_;
    std::vector<int> results_;
};

// Python's test_basic.
TEST(SimpleQueue, Basic) {
    queue::SimpleQueue<int> q;
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(q.qsize(), 0u);
    q.put(1);
    EXPECT_FALSE(q.empty());
    EXPECT_EQ(q.qsize(), 1u);
    q.put(2);
    q.put_nowait(3);
    q.put(4);
    EXPECT_FALSE(q.empty());
    EXPECT_EQ(q.qsize(), 4u);

    EXPECT_EQ(q.get(), 1);
    EXPECT_EQ(q.qsize(), 3u);
    EXPECT_EQ(q.get_nowait(), 2);
    EXPECT_EQ(q.qsize(), 2u);
    EXPECT_EQ(q.get(false), 3);
    EXPECT_FALSE(q.empty());
    EXPECT_EQ(q.qsize(), 1u);
    EXPECT_EQ(q.get(true, 0.1), 4);
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(q.qsize(), 0u);

    EXPECT_THROW(q.get(false), queue::Empty);
    EXPECT_THROW(q.get(true, 1e-3), queue::Empty);
    EXPECT_THROW(q.get_nowait(), queue::Empty);
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(q.qsize(), 0u);
}

// Python's test_negative_timeout_raises_exception: checked first, with an item there. A NaN
// timeout too (CPython's _PyTime_FromSecondsObject). block=false ignores the timeout.
TEST(SimpleQueue, NegativeOrNanTimeoutRaisesValueError) {
    queue::SimpleQueue<int> q;
    q.put(1);
    EXPECT_THAT([&] { q.get(true, -1); }, ThrowsMessage<ValueError>(StrEq("'timeout' must be a non-negative number")));
    EXPECT_THAT([&] { q.get(true, std::numeric_limits<double>::quiet_NaN()); },
                ThrowsMessage<ValueError>(StrEq("Invalid value NaN (not a number)")));
    EXPECT_EQ(q.qsize(), 1u);
    EXPECT_EQ(q.get(false, -1), 1);
    EXPECT_THROW(q.get(false, std::numeric_limits<double>::quiet_NaN()), queue::Empty);
}

// put never blocks: its block and timeout arguments are accepted and ignored, as in Python.
TEST(SimpleQueue, PutIgnoresBlockAndTimeout) {
    queue::SimpleQueue<int> q;
    q.put(1, false);
    q.put(2, true, -1);
    q.put(3, true, std::numeric_limits<double>::quiet_NaN());
    for (int i = 0; i < 10'000; ++i) q.put(i, true, 0);
    EXPECT_EQ(q.qsize(), 10'003u);
    EXPECT_EQ(q.get(), 1);
    EXPECT_EQ(q.get(), 2);
    EXPECT_EQ(q.get(), 3);
}

// Python's test_order: one producer, one consumer: the order is kept.
TEST_F(SimpleQueueThreads, Order) {
    const auto inputs = range(100);
    EXPECT_EQ(run_threads(1, q_, inputs, &SimpleQueueThreads::consume), inputs);
}

// Python's test_many_threads.
TEST_F(SimpleQueueThreads, ManyThreads) {
    const auto inputs = range(2000);
    EXPECT_EQ(sorted(run_threads(20, q_, inputs, &SimpleQueueThreads::consume)), inputs);
}

// Python's test_many_threads_nonblock.
TEST_F(SimpleQueueThreads, ManyThreadsNonblock) {
    const auto inputs = range(2000);
    EXPECT_EQ(sorted(run_threads(20, q_, inputs, &SimpleQueueThreads::consume_nonblock)), inputs);
}

// Python's test_many_threads_timeout.
TEST_F(SimpleQueueThreads, ManyThreadsTimeout) {
    const auto inputs = range(500);
    EXPECT_EQ(sorted(run_threads(20, q_, inputs, &SimpleQueueThreads::consume_timeout)), inputs);
}

// Python's test_references: the queue loses its reference to each item as it leaves.
TEST(SimpleQueue, References) {
    queue::SimpleQueue<std::shared_ptr<int>> q;
    constexpr int n = 20;
    for (int i = 0; i < n; ++i) q.put(std::make_shared<int>(i));
    for (int i = 0; i < n; ++i) {
        const std::weak_ptr<int> wr = q.get();
        EXPECT_TRUE(wr.expired());
    }
}

TEST(SimpleQueue, MoveOnlyItemsAndBlockingGet) {
    queue::SimpleQueue<std::unique_ptr<int>> q;
    Background getter([&] { return *q.get(); });
    std::this_thread::sleep_for(settle);
    EXPECT_FALSE(getter.finished());
    q.put(std::make_unique<int>(42));
    ASSERT_TRUE(getter.join());
    ASSERT_TRUE(getter.value());
    EXPECT_EQ(*getter.value(), 42);
}

// CPython's C get() converts its timeout first: past TIMEOUT_MAX is an OverflowError even with
// an item there, and the item stays.
TEST(SimpleQueue, TimeoutPastTimeoutMaxRaisesOverflowError) {
    queue::SimpleQueue<int> q;
    q.put(1);
    EXPECT_THAT([&] { q.get(true, concurrence::threading::TIMEOUT_MAX * 2); },
                ThrowsMessage<concurrence::OverflowError>(StrEq("timeout value is too large")));
    EXPECT_EQ(q.get(true, concurrence::threading::TIMEOUT_MAX), 1);
}

}  // namespace
