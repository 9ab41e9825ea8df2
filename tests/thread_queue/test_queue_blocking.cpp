// Threads blocked in put() and get(): they stay blocked while they must, each wake-up reaches
// a thread that can use it, and none is lost (to a thread that times out, or between several
// sleepers). For Queue, LifoQueue and PriorityQueue.
//
// Ports from CPython's Lib/test/test_queue.py: the blocking halves of basic_queue_test
// (do_blocking_test with put/get, with and without timeout), extended to several blocked threads.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "thread_queue_support.hpp"

namespace {

using namespace thread_queue_test;

template <class Q>
class QueueBlocking : public testing::Test {};
TYPED_TEST_SUITE(QueueBlocking, QueueTypes, KindNames);

TYPED_TEST(QueueBlocking, PutBlocksWhileFullUntilAGet) {
    TypeParam q(2);
    q.put(1);
    q.put(2);
    Background putter([&] { q.put(3); });
    std::this_thread::sleep_for(settle);
    EXPECT_FALSE(putter.finished()) << "put() on a full queue returned";
    EXPECT_EQ(q.qsize(), 2u);
    const int got = q.get();
    ASSERT_TRUE(putter.join());
    EXPECT_FALSE(putter.error());
    EXPECT_EQ(q.qsize(), 2u);
    std::vector<int> items{got, q.get(), q.get()};
    std::sort(items.begin(), items.end());
    EXPECT_EQ(items, (std::vector<int>{1, 2, 3}));
}

TYPED_TEST(QueueBlocking, GetBlocksWhileEmptyUntilAPut) {
    TypeParam q(2);
    Background getter([&] { return q.get(); });
    Background timed_getter([&] { return q.get(true, 60); });
    std::this_thread::sleep_for(settle);
    EXPECT_FALSE(getter.finished()) << "get() on an empty queue returned";
    EXPECT_FALSE(timed_getter.finished()) << "get(timeout=60) on an empty queue returned";
    q.put(10);
    q.put(20);
    ASSERT_TRUE(getter.join());
    ASSERT_TRUE(timed_getter.join());
    ASSERT_TRUE(getter.value() && timed_getter.value());
    EXPECT_EQ(*getter.value() + *timed_getter.value(), 30);
    EXPECT_TRUE(q.empty());
}

// Two puts wake two getters: one wake-up each, none given twice to the same thread.
TYPED_TEST(QueueBlocking, EachBlockedGetterGetsOneItem) {
    constexpr int getters = 4;
    TypeParam q;
    std::vector<std::unique_ptr<Background<int>>> threads;
    for (int i = 0; i < getters; ++i) threads.push_back(std::make_unique<Background<int>>([&] { return q.get(); }));
    std::this_thread::sleep_for(settle);
    for (auto& t : threads) EXPECT_FALSE(t->finished());
    for (int i = 0; i < getters; ++i) q.put(i);
    std::vector<int> got;
    for (auto& t : threads) {
        ASSERT_TRUE(t->join());
        ASSERT_TRUE(t->value());
        got.push_back(*t->value());
    }
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3}));
    EXPECT_TRUE(q.empty());
}

TYPED_TEST(QueueBlocking, EachBlockedPutterPutsOneItem) {
    constexpr int putters = 4;
    TypeParam q(1);
    q.put(100);
    std::vector<std::unique_ptr<Background<void>>> threads;
    for (int i = 0; i < putters; ++i) threads.push_back(std::make_unique<Background<void>>([&q, i] { q.put(i); }));
    std::this_thread::sleep_for(settle);
    for (auto& t : threads) EXPECT_FALSE(t->finished());
    std::vector<int> got;
    for (int i = 0; i <= putters; ++i) got.push_back(q.get(true, hang));
    for (auto& t : threads) ASSERT_TRUE(t->join());
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3, 100}));
    EXPECT_TRUE(q.empty());
}

// A getter woken for an item while its timeout passes still takes the item (Python checks the
// queue before the time left), and a getter that times out on an empty queue never keeps the
// wake-up meant for a getter still waiting: with one getter timing out and one waiting forever,
// every item reaches one of them.
TYPED_TEST(QueueBlocking, NoWakeUpIsLostToAGetterThatTimesOut) {
    TypeParam q;
    for (int round = 0; round < 40; ++round) {
        Background patient([&] { return q.get(); });
        Background hasty([&, round] { return q.get(true, (round % 5) * 0.0005); });
        std::this_thread::sleep_for(std::chrono::microseconds(200 * (round % 4)));
        q.put(round);
        ASSERT_TRUE(hasty.join());
        if (hasty.value()) {
            EXPECT_EQ(*hasty.value(), round);
            std::this_thread::sleep_for(std::chrono::microseconds(100));
            EXPECT_FALSE(patient.finished()) << "two getters got one item";
            q.put(-1);
            ASSERT_TRUE(patient.join());
            ASSERT_TRUE(patient.value());
            EXPECT_EQ(*patient.value(), -1);
        } else {
            EXPECT_TRUE(hasty.template threw<queue::Empty>());
            ASSERT_TRUE(patient.join()) << "the item was put but the waiting getter never got it";
            ASSERT_TRUE(patient.value());
            EXPECT_EQ(*patient.value(), round);
        }
        EXPECT_TRUE(q.empty());
    }
}

// The same for putters: one with a short timeout, one without; each free slot reaches one.
TYPED_TEST(QueueBlocking, NoWakeUpIsLostToAPutterThatTimesOut) {
    TypeParam q(1);
    for (int round = 0; round < 40; ++round) {
        q.put(-1);
        Background patient([&] { q.put(1); });
        Background hasty([&, round] { q.put(2, true, (round % 5) * 0.0005); });
        std::this_thread::sleep_for(std::chrono::microseconds(200 * (round % 4)));
        EXPECT_EQ(q.get(), -1);
        ASSERT_TRUE(hasty.join());
        if (!hasty.error()) {
            EXPECT_EQ(q.get(), 2);  // frees the slot the patient putter waits for
        } else {
            EXPECT_TRUE(hasty.template threw<queue::Full>());
        }
        ASSERT_TRUE(patient.join()) << "a slot was freed but the waiting putter never used it";
        EXPECT_EQ(q.get(), 1);
        EXPECT_TRUE(q.empty());
    }
}

// As Python's Condition.wait inside put/get: a timeout past TIMEOUT_MAX is an OverflowError once
// the call would wait, and nothing is put or taken.
TYPED_TEST(QueueBlocking, TimeoutPastTimeoutMaxRaisesOverflowErrorWhenItWouldWait) {
    const double too_long = concurrence::threading::TIMEOUT_MAX * 2;
    TypeParam q(1);
    EXPECT_THROW(q.get(true, too_long), concurrence::OverflowError);
    q.put(1, true, too_long);
    EXPECT_THROW(q.put(2, true, too_long), concurrence::OverflowError);
    EXPECT_EQ(q.qsize(), 1u);
    EXPECT_EQ(q.get(true, too_long), 1);
    q.put(3, true, concurrence::threading::TIMEOUT_MAX);
    EXPECT_EQ(q.get(true, concurrence::threading::TIMEOUT_MAX), 3);
}

}  // namespace
