// Many producers and consumers at once through a small queue, with every way of putting and
// getting (blocking, timed, non-blocking): each item is got exactly once, FIFO keeps each
// producer's order, join() sees every task_done(); and the same with a shutdown in the middle.
// For Queue, LifoQueue and PriorityQueue.
//
// Beyond CPython's Lib/test/test_queue.py (its threaded tests are ported in the other files);
// sized for ThreadSanitizer on two loaded cores.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "thread_queue_support.hpp"

namespace {

using namespace thread_queue_test;

constexpr int producers = 4;
constexpr int consumers = 4;
constexpr int per_producer = 2500;
constexpr int total = producers * per_producer;

template <class Q>
class QueueStress : public testing::Test {};
TYPED_TEST_SUITE(QueueStress, QueueTypes, KindNames);

// Producer p puts p * per_producer + i for i in order; each uses one way of putting.
template <class Q>
void produce(Q& q, int p) {
    for (int i = 0; i < per_producer; ++i) {
        const int item = p * per_producer + i;
        switch (p % 4) {
            case 0:
                q.put(item);
                break;
            case 1:
                q.put(item, true, 30);
                break;
            case 2:
                for (;;) {
                    try {
                        q.put_nowait(item);
                        break;
                    } catch (const queue::Full&) {
                        std::this_thread::yield();
                    }
                }
                break;
            default:
                for (;;) {
                    try {
                        q.put(item, true, 0.0001);
                        break;
                    } catch (const queue::Full&) {
                    }
                }
        }
    }
}

// Consumer c gets one item per slot it claims from `left`; each uses one way of getting.
template <class Q>
std::vector<int> consume(Q& q, int c, std::atomic<int>& left) {
    std::vector<int> got;
    while (left.fetch_sub(1) > 0) {
        switch (c % 4) {
            case 0:
                got.push_back(q.get());
                break;
            case 1:
                got.push_back(q.get(true, 30));
                break;
            case 2:
                for (;;) {
                    try {
                        got.push_back(q.get_nowait());
                        break;
                    } catch (const queue::Empty&) {
                        std::this_thread::yield();
                    }
                }
                break;
            default:
                for (;;) {
                    try {
                        got.push_back(q.get(true, 0.0001));
                        break;
                    } catch (const queue::Empty&) {
                    }
                }
        }
        q.task_done();
    }
    return got;
}

TYPED_TEST(QueueStress, EveryItemIsGotExactlyOnce) {
    TypeParam q(8);
    std::atomic<int> left{total};
    std::vector<std::unique_ptr<Background<std::vector<int>>>> getters;
    for (int c = 0; c < consumers; ++c)
        getters.push_back(std::make_unique<Background<std::vector<int>>>([&q, &left, c] { return consume(q, c, left); }));
    std::vector<std::unique_ptr<Background<void>>> putters;
    for (int p = 0; p < producers; ++p) putters.push_back(std::make_unique<Background<void>>([&q, p] { produce(q, p); }));
    for (auto& t : putters) {
        ASSERT_TRUE(t->join());
        EXPECT_FALSE(t->error());
    }
    q.join();  // every item got is marked done
    std::vector<int> all;
    for (auto& t : getters) {
        ASSERT_TRUE(t->join());
        ASSERT_FALSE(t->error());
        const std::vector<int>& got = *t->value();
        if constexpr (std::is_same_v<TypeParam, queue::Queue<int>>) {
            // FIFO: each producer's items reach each consumer in the order they were put.
            std::vector<int> last(producers, -1);
            for (int item : got) {
                EXPECT_GT(item, last[static_cast<std::size_t>(item / per_producer)]) << "FIFO order broken";
                last[static_cast<std::size_t>(item / per_producer)] = item;
            }
        }
        all.insert(all.end(), got.begin(), got.end());
    }
    std::sort(all.begin(), all.end());
    ASSERT_EQ(all.size(), static_cast<std::size_t>(total));
    for (int i = 0; i < total; ++i) ASSERT_EQ(all[static_cast<std::size_t>(i)], i) << "an item was lost or got twice";
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(q.unfinished_tasks(), 0u);
}

// Producers put until ShutDown, consumers get until ShutDown, and the queue is shut down while
// both are busy. Without `immediate`, every item put is got once; with it, the items got are
// items put, once each, and the rest were dropped as done (join() returns).
TYPED_TEST(QueueStress, ShutdownWhileBusy) {
    for (bool immediate : {false, true}) {
        TypeParam q(16);
        std::atomic<int> got_count{0};
        std::vector<std::unique_ptr<Background<std::vector<int>>>> putters;
        std::vector<std::unique_ptr<Background<std::vector<int>>>> getters;
        for (int p = 0; p < producers; ++p) {
            putters.push_back(std::make_unique<Background<std::vector<int>>>([&q, p] {
                std::vector<int> put;
                try {
                    for (int i = 0;; ++i) {
                        const int item = p * 1'000'000 + i;
                        q.put(item, true, 30);
                        put.push_back(item);
                    }
                } catch (const queue::ShutDown&) {
                }
                return put;
            }));
        }
        for (int c = 0; c < consumers; ++c) {
            getters.push_back(std::make_unique<Background<std::vector<int>>>([&q, &got_count] {
                std::vector<int> got;
                try {
                    for (;;) {
                        got.push_back(q.get(true, 30));
                        q.task_done();
                        got_count.fetch_add(1);
                    }
                } catch (const queue::ShutDown&) {
                }
                return got;
            }));
        }
        while (got_count.load() < 2000) std::this_thread::yield();
        q.shutdown(immediate);
        std::vector<int> put;
        std::vector<int> got;
        for (auto& t : putters) {
            ASSERT_TRUE(t->join());
            ASSERT_TRUE(t->value()) << "a putter failed otherwise than with ShutDown";
            put.insert(put.end(), t->value()->begin(), t->value()->end());
        }
        for (auto& t : getters) {
            ASSERT_TRUE(t->join());
            ASSERT_TRUE(t->value()) << "a getter failed otherwise than with ShutDown";
            got.insert(got.end(), t->value()->begin(), t->value()->end());
        }
        q.join();
        std::sort(put.begin(), put.end());
        std::sort(got.begin(), got.end());
        EXPECT_EQ(std::adjacent_find(got.begin(), got.end()), got.end()) << "an item was got twice";
        if (immediate) {
            EXPECT_TRUE(std::includes(put.begin(), put.end(), got.begin(), got.end())) << "got an item never put";
            EXPECT_LE(got.size(), put.size());
        } else {
            EXPECT_EQ(got, put) << "an item put before the shutdown was lost";
        }
        EXPECT_TRUE(q.empty());
        EXPECT_EQ(q.unfinished_tasks(), 0u);
    }
}

}  // namespace
