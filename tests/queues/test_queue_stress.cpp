// Randomized stress: many producers and consumers on a small bounded queue, cancelled at
// random await points (waiting in put/get, woken but not yet run, or between operations),
// with a controller that also steals items and slots (get_nowait/put_nowait) so that woken
// waiters find their item or slot gone. Every run is deterministic for its seed.
//
// The invariants (Python's, for asyncio.Queue since 3.12):
//   - every item that a put reported as put is got exactly once (no loss, no duplicate);
//   - a put that ended with CancelledError did not put its item;
//   - a get that ended with CancelledError took nothing (implied by the first);
//   - task_done accounting ends balanced: join() returns; no waiter is left in the queue.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "queues/queue_support.hpp"

namespace {

using namespace queues_test;

enum class Mode { plain, under_wait_for };

template <class Q>
struct World {
    explicit World(std::uint32_t seed) : q(3), rng(seed) {}

    Q q;
    std::mt19937 rng;
    std::set<int> put_ok;         // put() returned: the item is in the queue
    std::set<int> put_cancelled;  // put() ended with CancelledError
    std::vector<int> got;         // every item a get returned, in order
    int cancelled_in_put = 0;
    int cancelled_in_get = 0;
    int cancels = 0;
    Mode mode = Mode::plain;
    // Who is faster changes every few iterations: the queue is full at times (producers wait
    // in put) and empty at others (consumers wait in get).
    int producer_pace = 1;
    int consumer_pace = 8;
    bool draining = false;  // the final cancellations are not counted

    int roll(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); }
};

template <class Q>
asyncio::Coro<> random_yields(World<Q>& w, int max) {
    const int n = w.roll(max + 1);
    for (int i = 0; i < n; ++i) co_await asyncio::sleep(0);
}

template <class Q>
asyncio::Coro<> do_put(World<Q>& w, int item) {
    if (w.mode == Mode::under_wait_for)
        co_await asyncio::wait_for(w.q.put(item), 100.0);  // the deadline never comes
    else
        co_await w.q.put(item);
}

template <class Q>
asyncio::Coro<int> do_get(World<Q>& w) {
    if (w.mode == Mode::under_wait_for) co_return co_await asyncio::wait_for(w.q.get(), 100.0);
    co_return co_await w.q.get();
}

template <class Q>
asyncio::Coro<> producer(World<Q>& w, int first, int count) {
    for (int item = first; item < first + count; ++item) {
        co_await random_yields(w, w.producer_pace);
        bool in_put = true;
        try {
            co_await do_put(w, item);
            in_put = false;
            w.put_ok.insert(item);  // before any other await: a cancel cannot come between
        } catch (const asyncio::CancelledError&) {
            if (in_put) {
                w.put_cancelled.insert(item);
                ++w.cancelled_in_put;
            }
            throw;
        }
    }
}

template <class Q>
asyncio::Coro<> consumer(World<Q>& w) {
    for (;;) {
        co_await random_yields(w, w.consumer_pace);
        bool in_get = true;
        try {
            const int item = co_await do_get(w);
            in_get = false;
            w.got.push_back(item);
            w.q.task_done();
        } catch (const asyncio::CancelledError&) {
            if (in_get && !w.draining) ++w.cancelled_in_get;
            throw;
        }
    }
}

template <class Q>
asyncio::Coro<> scenario(std::uint32_t seed, Mode mode) {
    World<Q> w(seed);
    w.mode = mode;
    constexpr int kProducers = 20, kConsumers = 20, kItems = 40;
    std::vector<asyncio::Task<void>> producers, consumers;
    for (int p = 0; p < kProducers; ++p) producers.push_back(asyncio::create_task(producer(w, p * 1000, kItems)));
    for (int c = 0; c < kConsumers; ++c) consumers.push_back(asyncio::create_task(consumer(w)));

    // The controller: cancels random producers and consumers (a cancelled consumer is
    // replaced, so that the producers left can finish), steals items and free slots.
    int own_item = 1'000'000;
    auto producers_done = [&] {
        return std::all_of(producers.begin(), producers.end(), [](const auto& t) { return t.done(); });
    };
    for (int iteration = 0; !producers_done(); ++iteration) {
        if (iteration > 100'000) {
            ADD_FAILURE() << "the producers did not finish (seed " << seed << ")";
            break;
        }
        co_await asyncio::sleep(0);
        if (iteration % 20 == 0) std::swap(w.producer_pace, w.consumer_pace);
        const int action = w.roll(32);
        if (action <= 3) {
            auto& t = producers[w.roll(kProducers)];
            if (!t.done()) {
                t.cancel();
                ++w.cancels;
            }
        } else if (action <= 7) {
            const int i = w.roll(kConsumers);
            consumers[i].cancel();
            ++w.cancels;
            consumers.push_back(consumers[i]);  // keep it, to await it at the end
            consumers[i] = asyncio::create_task(consumer(w));
        } else if (action <= 10 && !w.q.empty()) {
            // Steal an item: a woken getter may find the queue empty again.
            w.got.push_back(w.q.get_nowait());
            w.q.task_done();
        } else if (action <= 13 && !w.q.full()) {
            // Steal a slot: a woken putter may find the queue full again.
            w.q.put_nowait(own_item);
            w.put_ok.insert(own_item++);
        }
    }

    // Drain: let the consumers empty the queue, then stop them and take what is left.
    for (int i = 0; i < 1000 && !w.q.empty(); ++i) co_await asyncio::sleep(0);
    w.draining = true;
    for (auto& c : consumers) c.cancel();
    for (auto& t : consumers) {
        std::exception_ptr e = co_await error_of(t);
        EXPECT_TRUE(holds<asyncio::CancelledError>(e)) << what_of(e);
    }
    for (auto& t : producers) {
        std::exception_ptr e = co_await error_of(t);
        EXPECT_TRUE(!e || holds<asyncio::CancelledError>(e)) << what_of(e);
    }
    while (!w.q.empty()) {
        w.got.push_back(w.q.get_nowait());
        w.q.task_done();
    }

    // No duplicate, no loss, and no item of a cancelled put.
    std::vector<int> sorted = w.got;
    std::sort(sorted.begin(), sorted.end());
    const auto dup = std::adjacent_find(sorted.begin(), sorted.end());
    EXPECT_TRUE(dup == sorted.end()) << "item " << *dup << " got twice (seed " << seed << ")";
    const std::set<int> got_set(sorted.begin(), sorted.end());
    std::vector<int> lost, extra, cancelled_but_put;
    std::set_difference(w.put_ok.begin(), w.put_ok.end(), got_set.begin(), got_set.end(), std::back_inserter(lost));
    std::set_difference(got_set.begin(), got_set.end(), w.put_ok.begin(), w.put_ok.end(), std::back_inserter(extra));
    std::set_intersection(w.put_cancelled.begin(), w.put_cancelled.end(), got_set.begin(), got_set.end(),
                          std::back_inserter(cancelled_but_put));
    EXPECT_TRUE(lost.empty()) << lost.size() << " items put were never got, e.g. " << lost.front() << " (seed " << seed
                              << ")";
    EXPECT_TRUE(extra.empty()) << extra.size() << " items got were never reported put, e.g. " << extra.front()
                               << " (seed " << seed << ")";
    EXPECT_TRUE(cancelled_but_put.empty()) << cancelled_but_put.size() << " cancelled puts put their item, e.g. "
                                           << cancelled_but_put.front() << " (seed " << seed << ")";

    // Accounting and waiters: balanced, and nobody left behind.
    EXPECT_EQ(w.q.qsize(), 0u);
    EXPECT_EQ(w.q.repr().find("_getters"), std::string::npos) << w.q.repr();
    EXPECT_EQ(w.q.repr().find("_putters"), std::string::npos) << w.q.repr();
    EXPECT_EQ(w.q.repr().find("tasks="), std::string::npos) << w.q.repr();
    auto joiner = join_task(w.q);
    co_await asyncio::sleep(0);
    EXPECT_TRUE(joiner.done()) << w.q.repr();
    if (!joiner.done()) joiner.cancel();
    (void)co_await error_of(joiner);

    if (getenv("QUEUE_STRESS_STATS"))
        std::printf("seed %u: cancels %d, in put %d, in get %d, put %zu, got %zu\n", seed, w.cancels,
                    w.cancelled_in_put, w.cancelled_in_get, w.put_ok.size(), w.got.size());
    // The run exercised what it is meant to: cancellations inside put and get.
    EXPECT_GT(w.cancels, 10) << "seed " << seed;
    EXPECT_GT(w.cancelled_in_put, 0) << "seed " << seed;
    EXPECT_GT(w.cancelled_in_get, 0) << "seed " << seed;
    EXPECT_GT(w.put_ok.size(), 100u) << "seed " << seed;
}

class QueueStress : public testing::TestWithParam<std::uint32_t> {};

TEST_P(QueueStress, FifoNoLossNoDuplicate) {
    asyncio::run(scenario<asyncio::Queue<int>>(GetParam(), Mode::plain));
}

TEST_P(QueueStress, PriorityNoLossNoDuplicate) {
    asyncio::run(scenario<asyncio::PriorityQueue<int>>(GetParam(), Mode::plain));
}

TEST_P(QueueStress, LifoNoLossNoDuplicate) {
    asyncio::run(scenario<asyncio::LifoQueue<int>>(GetParam(), Mode::plain));
}

// The same with every put and get under asyncio::wait_for (a deadline that never comes): a
// cancellation from outside reaches the put/get through wait_for.
// Python 3.12's wait_for awaits the put/get in place (`async with timeout(t): return await
// aw`), so cancelling the caller never loses a got item nor lets a cancelled put put.
TEST_P(QueueStress, FifoUnderWaitForNoLossNoDuplicate) {
    asyncio::run(scenario<asyncio::Queue<int>>(GetParam(), Mode::under_wait_for));
}

INSTANTIATE_TEST_SUITE_P(Seeds, QueueStress, testing::Values(1u, 2u, 3u, 42u, 1234u, 987654u));

}  // namespace
