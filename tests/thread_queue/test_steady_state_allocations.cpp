// put and get allocate nothing in the steady state: once a queue's storage has grown to its
// largest size (a bounded queue: once it was full), items flowing through it, threads blocking
// in it and being woken make no heap allocation (the sleepers are nodes on the sleeping threads'
// stacks). Counted by replacing the global operator new in this test program.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "thread_queue_support.hpp"

#include "allocation_counter.hpp"

namespace {

using namespace thread_queue_test;

template <class Q>
class QueueAllocations : public testing::Test {};
TYPED_TEST_SUITE(QueueAllocations, QueueTypes, KindNames);

TYPED_TEST(QueueAllocations, NoneInOneThreadOnceGrown) {
    TypeParam q(100);
    for (int i = 0; i < 100; ++i) q.put(i);  // grows to its bound
    for (int i = 0; i < 100; ++i) q.get();
    const long before = allocation_counter::allocations.load();
    for (int round = 0; round < 100; ++round) {
        for (int i = 0; i < 100; ++i) q.put_nowait(i);
        for (int i = 0; i < 100; ++i) q.get(true, 1);
        for (int i = 0; i < 100; ++i) q.task_done();
    }
    EXPECT_EQ(allocation_counter::allocations.load() - before, 0);
}

// A producer and a consumer through a queue of 4: both block and wake each other many times.
TYPED_TEST(QueueAllocations, NoneWhileThreadsBlockAndWake) {
    constexpr int items = 20'000;
    TypeParam q(4);
    for (int i = 0; i < 4; ++i) q.put(i);
    for (int i = 0; i < 4; ++i) q.get();
    std::atomic<int> ready{0};
    std::atomic<long> allocations{-1};
    Background consumer([&] {
        ready.fetch_add(1);
        while (ready.load() < 2) {
        }
        const long before = allocation_counter::allocations.load();
        long sum = 0;
        for (int i = 0; i < items; ++i) sum += q.get();
        allocations.store(allocation_counter::allocations.load() - before);  // the producer is done: it put the last item
        return sum;
    });
    Background producer([&] {
        ready.fetch_add(1);
        while (ready.load() < 2) {
        }
        for (int i = 0; i < items; ++i) q.put(i);
    });
    ASSERT_TRUE(producer.join());
    ASSERT_TRUE(consumer.join());
    ASSERT_TRUE(consumer.value());
    EXPECT_EQ(*consumer.value(), static_cast<long>(items) * (items - 1) / 2);
    EXPECT_EQ(allocations.load(), 0);
}

}  // namespace
