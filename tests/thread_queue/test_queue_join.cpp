// task_done() and join(): the count of unfinished tasks, the error past it, join() waiting for
// the last task_done() of worker threads. For Queue, LifoQueue and PriorityQueue.
//
// Ports from CPython's Lib/test/test_queue.py (BaseQueueTestMixin): test_queue_task_done,
// test_queue_join (queue_join_test with its worker threads, done twice), plus join() released
// exactly at the last task_done().
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "thread_queue_support.hpp"

namespace {

using namespace thread_queue_test;
using concurrence::ValueError;
using testing::StrEq;
using testing::ThrowsMessage;

template <class Q>
class QueueJoin : public testing::Test {
protected:
    // Python's worker: sums the items until a negative one, marking each done.
    void worker(Q& q) {
        for (;;) {
            const int x = q.get();
            if (x < 0) {
                q.task_done();
                return;
            }
            {
                std::lock_guard guard(cum_lock_);
                cum_ += x;
            }
            q.task_done();
        }
    }

    // Python's queue_join_test.
    void queue_join_test(Q& q) {
        cum_ = 0;
        std::vector<std::unique_ptr<Background<void>>> threads;
        for (int i = 0; i < 2; ++i) threads.push_back(std::make_unique<Background<void>>([&] { worker(q); }));
        for (int i = 0; i < 100; ++i) q.put(i);
        q.join();
        {
            std::lock_guard guard(cum_lock_);
            EXPECT_EQ(cum_, 4950) << "q.join() did not block until all tasks were done";
        }
        for (int i = 0; i < 2; ++i) q.put(-1);  // instruct the threads to close
        q.join();                               // verify that you can join twice
        for (auto& t : threads) {
            ASSERT_TRUE(t->join());
            EXPECT_FALSE(t->error());
        }
    }

    std::mutex cum_lock_;
    int cum_ = 0;
};
TYPED_TEST_SUITE(QueueJoin, QueueTypes, KindNames);

// Python's test_queue_task_done.
TYPED_TEST(QueueJoin, TaskDoneTooManyTimes) {
    TypeParam q;
    EXPECT_THAT([&] { q.task_done(); }, ThrowsMessage<ValueError>(StrEq("task_done() called too many times")));
    q.put(1);
    q.get();
    q.task_done();
    EXPECT_THROW(q.task_done(), ValueError);
    EXPECT_EQ(q.unfinished_tasks(), 0u);
}

// Python's test_queue_join.
TYPED_TEST(QueueJoin, JoinWaitsForTheWorkers) {
    TypeParam q;
    this->queue_join_test(q);
    this->queue_join_test(q);
    EXPECT_THROW(q.task_done(), ValueError) << "did not detect task count going negative";
}

// A task is unfinished from its put() to its task_done(), whether or not it was got; task_done()
// may come before the get (Python counts, it does not match items).
TYPED_TEST(QueueJoin, UnfinishedTasksCountsPutsMinusTaskDones) {
    TypeParam q;
    EXPECT_EQ(q.unfinished_tasks(), 0u);
    q.put(1);
    q.put(2);
    EXPECT_EQ(q.unfinished_tasks(), 2u);
    q.get();
    EXPECT_EQ(q.unfinished_tasks(), 2u);
    q.task_done();
    EXPECT_EQ(q.unfinished_tasks(), 1u);
    q.task_done();
    EXPECT_EQ(q.unfinished_tasks(), 0u);
    EXPECT_EQ(q.qsize(), 1u);
    q.join();  // returns: every task is marked done
}

TYPED_TEST(QueueJoin, JoinWithNothingPutReturnsAtOnce) {
    TypeParam q;
    q.join();
    q.join();
}

// join() returns at the last task_done(), not before, in every joining thread.
TYPED_TEST(QueueJoin, JoinReturnsAtTheLastTaskDone) {
    TypeParam q;
    q.put(1);
    q.put(2);
    Background first([&] { q.join(); });
    Background second([&] { q.join(); });
    std::this_thread::sleep_for(settle);
    EXPECT_FALSE(first.finished());
    q.get();
    q.get();
    q.task_done();
    std::this_thread::sleep_for(settle);
    EXPECT_FALSE(first.finished()) << "join() returned with a task unfinished";
    EXPECT_FALSE(second.finished()) << "join() returned with a task unfinished";
    q.task_done();
    ASSERT_TRUE(first.join());
    ASSERT_TRUE(second.join());
}

// A put after the count reached zero makes join() wait again.
TYPED_TEST(QueueJoin, JoinWaitsAgainAfterANewPut) {
    TypeParam q;
    q.put(1);
    q.get();
    q.task_done();
    q.join();
    q.put(2);
    Background joiner([&] { q.join(); });
    std::this_thread::sleep_for(settle);
    EXPECT_FALSE(joiner.finished());
    Background worker([&] {
        q.get();
        q.task_done();
    });
    ASSERT_TRUE(worker.join());
    ASSERT_TRUE(joiner.join());
}

}  // namespace
