// shutdown() and shutdown(immediate=true) (Python 3.13): puts and gets afterwards, blocked
// putters, getters and joiners woken, items dropped and counted done. For Queue, LifoQueue and
// PriorityQueue.
//
// Ports from CPython's Lib/test/test_queue.py (BaseQueueTestMixin): test_shutdown_empty,
// test_shutdown_nonempty, test_shutdown_immediate, test_shutdown_allowed_transitions,
// test_shutdown_[immediate_]all_methods_in_one_thread, test_shutdown_[immediate_]all_methods_in_
// many_threads (with 4096 messages instead of 65536: it runs under the sanitizers),
// test_shutdown_[immediate_]get, test_shutdown_[immediate_]put, test_shutdown_[immediate_]join,
// test_shutdown_[immediate_]put_join, test_shutdown_get_task_done_join,
// test_shutdown_pending_get; plus threads already asleep when the shutdown comes.
#include <gtest/gtest.h>

#include <algorithm>
#include <barrier>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "concurrence/threading/event.hpp"
#include "thread_queue_support.hpp"

namespace {

using namespace thread_queue_test;
using concurrence::ValueError;

// Appends from several threads (Python's list.append is atomic).
class Results {
public:
    void append(bool value) {
        std::lock_guard guard(mutex_);
        values_.push_back(value);
    }
    std::vector<bool> values() {
        std::lock_guard guard(mutex_);
        return values_;
    }
    std::vector<bool> sorted() {
        std::vector<bool> v = values();
        std::sort(v.begin(), v.end());
        return v;
    }

private:
    std::mutex mutex_;
    std::vector<bool> values_;
};

using Threads = std::vector<std::unique_ptr<Background<void>>>;

template <class F>
void start(Threads& threads, F f) {
    threads.push_back(std::make_unique<Background<void>>(std::move(f)));
}

void join_all(Threads& threads) {
    for (auto& t : threads) {
        ASSERT_TRUE(t->join());
        EXPECT_FALSE(t->error());
    }
}

template <class Q>
class QueueShutdown : public testing::Test {
protected:
    // Python's _get/_get_shutdown: get after `go`; appends whether the outcome is the expected one.
    static void get(Q& q, threading::Event& go, Results& results, bool shutdown = false) {
        go.wait();
        try {
            q.get();
            results.append(!shutdown);
        } catch (const queue::ShutDown&) {
            results.append(shutdown);
        }
    }
    static void get_task_done(Q& q, threading::Event& go, Results& results) {
        go.wait();
        try {
            q.get();
            q.task_done();
            results.append(true);
        } catch (const queue::ShutDown&) {
            results.append(false);
        }
    }
    static void put(Q& q, int item, threading::Event& go, Results& results, bool shutdown = false) {
        go.wait();
        try {
            q.put(item);
            results.append(!shutdown);
        } catch (const queue::ShutDown&) {
            results.append(shutdown);
        }
    }
    static void join(Q& q, Results& results) {
        q.join();
        results.append(true);
    }

    // Python's _shutdown_all_methods_in_one_thread.
    static void all_methods_in_one_thread(bool immediate) {
        Q q(2);
        q.put(1);
        q.put_nowait(2);
        q.shutdown(immediate);
        EXPECT_THROW(q.put(3), queue::ShutDown);
        EXPECT_THROW(q.put_nowait(4), queue::ShutDown);
        if (immediate) {
            EXPECT_THROW(q.get(), queue::ShutDown);
            EXPECT_THROW(q.get_nowait(), queue::ShutDown);
            EXPECT_THROW(q.task_done(), ValueError);
            q.join();
        } else {
            const int a = q.get();
            q.task_done();
            const int b = q.get_nowait();
            q.task_done();
            EXPECT_EQ(a + b, 3);
            q.join();
            // Shut down and empty: every get raises ShutDown.
            EXPECT_THROW(q.get(), queue::ShutDown);
            EXPECT_THROW(q.get_nowait(), queue::ShutDown);
            EXPECT_THROW(q.get(true, 1.0), queue::ShutDown);
        }
    }

    // Python's _shutdown_all_methods_in_many_threads: writers and readers busy until a writer
    // halfway through triggers the shutdown.
    static void all_methods_in_many_threads(bool immediate) {
        Q q;
        Results res_puts;
        Results res_gets;
        Results res_shutdown;
        constexpr int write_threads = 4;
        constexpr int read_threads = 6;
        constexpr int join_threads = 2;
        constexpr int nb_msgs = 1024 * 4;
        constexpr int nb_msgs_w = nb_msgs / write_threads;
        constexpr int when_exec_shutdown = nb_msgs_w / 2;
        const std::ptrdiff_t nparties = write_threads + read_threads + (immediate ? join_threads : 0);
        std::barrier barrier_start(nparties);
        threading::Event ev_exec_shutdown;

        Threads threads;
        for (int w = 0; w < write_threads; ++w) {
            start(threads, [&] {
                for (int i = 0; i < when_exec_shutdown / 2; ++i) q.put(i);
                barrier_start.arrive_and_wait();
                for (int i = when_exec_shutdown / 2; i < nb_msgs_w; ++i) {
                    try {
                        q.put(i);
                    } catch (const queue::ShutDown&) {
                        res_puts.append(false);
                        break;
                    }
                    if (i == when_exec_shutdown && !ev_exec_shutdown.is_set()) {
                        ev_exec_shutdown.set();
                        res_puts.append(true);
                    }
                }
            });
        }
        for (int r = 0; r < read_threads; ++r) {
            start(threads, [&] {
                q.get();  // at least one item
                q.task_done();
                barrier_start.arrive_and_wait();
                for (;;) {
                    try {
                        q.get(false);
                        q.task_done();
                    } catch (const queue::ShutDown&) {
                        res_gets.append(true);
                        break;
                    } catch (const queue::Empty&) {
                        std::this_thread::yield();
                    }
                }
            });
        }
        start(threads, [&] {
            ev_exec_shutdown.wait();
            q.shutdown(immediate);
            res_shutdown.append(q.qsize() == 0);
        });
        if (immediate) {
            for (int j = 0; j < join_threads; ++j) {
                start(threads, [&] {
                    barrier_start.arrive_and_wait();
                    q.join();
                });
            }
        }
        join_all(threads);

        const auto puts = res_puts.values();
        EXPECT_NE(std::find(puts.begin(), puts.end(), true), puts.end());
        const auto gets = res_gets.values();
        EXPECT_EQ(std::count(gets.begin(), gets.end(), true), read_threads);
        if (immediate) {
            EXPECT_EQ(res_shutdown.values(), std::vector<bool>{true});
            EXPECT_TRUE(q.empty());
        }
    }

    // Python's _shutdown_get: gets after the shutdown of a full queue of 2.
    static void shutdown_get(bool immediate) {
        Q q(2);
        Results results;
        threading::Event go;
        q.put(1);
        q.put(2);
        Threads threads;
        const int getters = immediate ? 2 : 3;
        for (int i = 0; i < getters; ++i) start(threads, [&] { get(q, go, results, immediate); });
        q.shutdown(immediate);
        go.set();
        join_all(threads);
        if (immediate) {
            EXPECT_EQ(results.values(), (std::vector<bool>{true, true}));
        } else {
            EXPECT_EQ(results.sorted(), (std::vector<bool>{false, true, true}));  // one raised ShutDown
        }
    }

    // Python's _shutdown_put.
    static void shutdown_put(bool immediate) {
        Q q(2);
        Results results;
        threading::Event go;
        q.put(1);
        q.put(2);
        Threads threads;
        start(threads, [&] { put(q, 3, go, results, true); });
        start(threads, [&] { put(q, 4, go, results, true); });
        q.shutdown(immediate);
        go.set();
        join_all(threads);
        EXPECT_EQ(results.values(), (std::vector<bool>{true, true}));
    }

    // Python's _shutdown_join.
    static void shutdown_join(bool immediate) {
        Q q;
        Results results;
        threading::Event go;
        q.put(1);
        Results res;
        Threads threads;
        start(threads, [&] { join(q, results); });
        start(threads, [&] { join(q, results); });
        if (!immediate) start(threads, [&] { get_task_done(q, go, res); });
        q.shutdown(immediate);
        go.set();
        join_all(threads);
        EXPECT_EQ(results.values(), (std::vector<bool>{true, true}));
    }

    // Python's _shutdown_put_join.
    static void shutdown_put_join(bool immediate) {
        Q q(2);
        Results results;
        threading::Event go;
        q.put(1);  // not full
        Threads threads;
        start(threads, [&] { put(q, 5, go, results, true); });
        start(threads, [&] { join(q, results); });
        EXPECT_EQ(q.unfinished_tasks(), 1u);
        q.shutdown(immediate);
        go.set();
        if (immediate) {
            EXPECT_THROW(q.get_nowait(), queue::ShutDown);
        } else {
            EXPECT_EQ(q.get(), 1);
            q.task_done();
        }
        join_all(threads);
        EXPECT_EQ(results.values(), (std::vector<bool>{true, true}));
    }
};
TYPED_TEST_SUITE(QueueShutdown, QueueTypes, KindNames);

TYPED_TEST(QueueShutdown, Empty) {
    TypeParam q;
    q.shutdown();
    EXPECT_THROW(q.put(1), queue::ShutDown);
    EXPECT_THROW(q.get(), queue::ShutDown);
}

TYPED_TEST(QueueShutdown, Nonempty) {
    TypeParam q;
    q.put(1);
    q.shutdown();
    EXPECT_EQ(q.get(), 1);
    EXPECT_THROW(q.get(), queue::ShutDown);
}

TYPED_TEST(QueueShutdown, Immediate) {
    TypeParam q;
    q.put(1);
    q.shutdown(true);
    EXPECT_THROW(q.get(), queue::ShutDown);
    EXPECT_EQ(q.qsize(), 0u);
}

TYPED_TEST(QueueShutdown, AllowedTransitions) {
    TypeParam q;
    EXPECT_FALSE(q.is_shutdown());
    q.shutdown();
    EXPECT_TRUE(q.is_shutdown());
    q.shutdown(true);
    EXPECT_TRUE(q.is_shutdown());
    q.shutdown(false);
    EXPECT_TRUE(q.is_shutdown());
}

TYPED_TEST(QueueShutdown, AllMethodsInOneThread) { this->all_methods_in_one_thread(false); }
TYPED_TEST(QueueShutdown, ImmediateAllMethodsInOneThread) { this->all_methods_in_one_thread(true); }
TYPED_TEST(QueueShutdown, AllMethodsInManyThreads) { this->all_methods_in_many_threads(false); }
TYPED_TEST(QueueShutdown, ImmediateAllMethodsInManyThreads) { this->all_methods_in_many_threads(true); }
TYPED_TEST(QueueShutdown, Get) { this->shutdown_get(false); }
TYPED_TEST(QueueShutdown, ImmediateGet) { this->shutdown_get(true); }
TYPED_TEST(QueueShutdown, Put) { this->shutdown_put(false); }
TYPED_TEST(QueueShutdown, ImmediatePut) { this->shutdown_put(true); }
TYPED_TEST(QueueShutdown, Join) { this->shutdown_join(false); }
TYPED_TEST(QueueShutdown, ImmediateJoin) { this->shutdown_join(true); }
TYPED_TEST(QueueShutdown, PutJoin) { this->shutdown_put_join(false); }
TYPED_TEST(QueueShutdown, ImmediatePutJoin) { this->shutdown_put_join(true); }

// Python's test_shutdown_get_task_done_join.
TYPED_TEST(QueueShutdown, GetTaskDoneJoin) {
    TypeParam q(2);
    Results results;
    threading::Event go;
    q.put(1);
    q.put(2);
    EXPECT_EQ(q.unfinished_tasks(), q.qsize());
    Threads threads;
    start(threads, [&] { this->get_task_done(q, go, results); });
    start(threads, [&] { this->get_task_done(q, go, results); });
    start(threads, [&] { this->join(q, results); });
    start(threads, [&] { this->join(q, results); });
    go.set();
    q.shutdown(false);
    join_all(threads);
    EXPECT_EQ(results.values(), (std::vector<bool>{true, true, true, true}));
}

// Python's test_shutdown_pending_get.
TYPED_TEST(QueueShutdown, PendingGet) {
    TypeParam q;
    Background getter([&] { return q.get(); });
    q.shutdown(false);
    ASSERT_TRUE(getter.join());
    EXPECT_FALSE(getter.value());
    EXPECT_TRUE(getter.template threw<queue::ShutDown>());
}

// Getters asleep on an empty queue (with and without timeout) wake and raise ShutDown.
TYPED_TEST(QueueShutdown, WakesSleepingGetters) {
    for (bool immediate : {false, true}) {
        TypeParam q;
        Background forever([&] { return q.get(); });
        Background timed([&] { return q.get(true, 60); });
        std::this_thread::sleep_for(settle);
        EXPECT_FALSE(forever.finished());
        EXPECT_FALSE(timed.finished());
        q.shutdown(immediate);
        ASSERT_TRUE(forever.join());
        ASSERT_TRUE(timed.join());
        EXPECT_TRUE(forever.template threw<queue::ShutDown>());
        EXPECT_TRUE(timed.template threw<queue::ShutDown>()) << "not Empty: the timeout had not passed";
    }
}

// Putters asleep on a full queue wake and raise ShutDown, even with shutdown(immediate=false),
// whose items stay to be got.
TYPED_TEST(QueueShutdown, WakesSleepingPutters) {
    for (bool immediate : {false, true}) {
        TypeParam q(1);
        q.put(1);
        Background forever([&] { q.put(2); });
        Background timed([&] { q.put(3, true, 60); });
        std::this_thread::sleep_for(settle);
        EXPECT_FALSE(forever.finished());
        EXPECT_FALSE(timed.finished());
        q.shutdown(immediate);
        ASSERT_TRUE(forever.join());
        ASSERT_TRUE(timed.join());
        EXPECT_TRUE(forever.template threw<queue::ShutDown>());
        EXPECT_TRUE(timed.template threw<queue::ShutDown>());
        if (immediate) {
            EXPECT_THROW(q.get(), queue::ShutDown);
        } else {
            EXPECT_EQ(q.get(), 1);
            EXPECT_THROW(q.get(), queue::ShutDown);
        }
    }
}

// shutdown(immediate=true) counts each dropped item as done (Python: unfinished_tasks -= 1 per
// item while > 0), so join() still waits for the items already got.
TYPED_TEST(QueueShutdown, ImmediateCountsDroppedItemsDone) {
    TypeParam q;
    q.put(1);
    q.put(2);
    q.put(3);
    q.get();
    Background joiner([&] { q.join(); });
    std::this_thread::sleep_for(settle);
    EXPECT_FALSE(joiner.finished());
    q.shutdown(true);
    EXPECT_EQ(q.unfinished_tasks(), 1u);
    std::this_thread::sleep_for(settle);
    EXPECT_FALSE(joiner.finished()) << "join() returned with the item got still unfinished";
    q.task_done();
    ASSERT_TRUE(joiner.join());
    EXPECT_THROW(q.task_done(), ValueError);
}

// Items dropped by shutdown(immediate=true) are destroyed; those left by shutdown() stay.
TEST(QueueShutdownItems, DroppedItemsAreDestroyed) {
    auto item = std::make_shared<int>(1);
    queue::Queue<std::shared_ptr<int>> fifo;
    queue::LifoQueue<std::shared_ptr<int>> lifo;
    queue::PriorityQueue<std::shared_ptr<int>> heap;
    for (int i = 0; i < 20; ++i) {
        fifo.put(item);
        lifo.put(item);
        heap.put(item);
    }
    fifo.shutdown();
    lifo.shutdown();
    heap.shutdown();
    EXPECT_EQ(item.use_count(), 61);
    fifo.shutdown(true);
    lifo.shutdown(true);
    heap.shutdown(true);
    EXPECT_EQ(item.use_count(), 1);
    EXPECT_EQ(fifo.unfinished_tasks() + lifo.unfinished_tasks() + heap.unfinished_tasks(), 0u);
}

}  // namespace
