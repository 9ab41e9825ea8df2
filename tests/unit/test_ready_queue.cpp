// White-box: the loop's ready queue (a growing ring of Runnable pointers) and its registry of
// pending tasks (a slot table with a free list), against std::deque / std::map models.
#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <utility>
#include <random>
#include <set>
#include <vector>

#include "concurrence/loop/runnable.hpp"
#include "concurrence/loop/task_registry.hpp"

namespace {

using concurrence::asyncio::EventLoop;
using concurrence::asyncio::detail::ReadyQueue;
using concurrence::asyncio::detail::Runnable;
using concurrence::asyncio::detail::TaskRegistry;

// A Runnable that is only an identity.
struct Dummy final : Runnable {
    void run() override {}
    bool timer_stale(std::uint64_t) const override { return true; }
    void timer_fired(EventLoop&, std::uint64_t) override {}
    void timer_release() override {}
};

TEST(ReadyQueue, FifoOrder) {
    std::vector<Dummy> items(10);
    ReadyQueue q;
    EXPECT_TRUE(q.empty());
    for (auto& d : items) q.push(&d);
    EXPECT_EQ(q.size(), 10u);
    for (auto& d : items) EXPECT_EQ(q.pop(), &d);
    EXPECT_TRUE(q.empty());
}

TEST(ReadyQueue, SameRunnableMayBeQueuedTwice) {
    Dummy a, b;
    ReadyQueue q;
    q.push(&a);
    q.push(&b);
    q.push(&a);
    EXPECT_EQ(q.pop(), &a);
    EXPECT_EQ(q.pop(), &b);
    EXPECT_EQ(q.pop(), &a);
}

TEST(ReadyQueue, GrowsWhileWrappedAround) {
    std::vector<Dummy> items(5000);
    ReadyQueue q;
    std::deque<Runnable*> model;
    std::size_t next = 0;
    // Interleave pushes and pops so that the head is mid-ring when the ring grows.
    for (int round = 0; round < 6; ++round) {
        for (int i = 0; i < 700; ++i) {
            q.push(&items[next % items.size()]);
            model.push_back(&items[next % items.size()]);
            ++next;
        }
        for (int i = 0; i < 300; ++i) {
            ASSERT_EQ(q.pop(), model.front());
            model.pop_front();
        }
        ASSERT_EQ(q.size(), model.size());
    }
    while (!model.empty()) {
        ASSERT_EQ(q.pop(), model.front());
        model.pop_front();
    }
    EXPECT_TRUE(q.empty());
}

TEST(ReadyQueue, RandomOperationsMatchADeque) {
    std::vector<Dummy> items(64);
    for (std::uint64_t seed = 1; seed <= 5; ++seed) {
        std::mt19937_64 rng(seed);
        ReadyQueue q;
        std::deque<Runnable*> model;
        for (int step = 0; step < 50'000; ++step) {
            // Bias towards growth in some phases and draining in others.
            const bool grow_phase = (step / 5000) % 2 == 0;
            if (rng() % 100 < (grow_phase ? 70u : 30u)) {
                Runnable* r = &items[rng() % items.size()];
                q.push(r);
                model.push_back(r);
            } else if (!model.empty()) {
                ASSERT_EQ(q.pop(), model.front());
                model.pop_front();
            }
            ASSERT_EQ(q.size(), model.size());
            ASSERT_EQ(q.empty(), model.empty());
        }
    }
}

TEST(TaskRegistry, AddRemoveAndForEach) {
    std::vector<Dummy> items(4);
    TaskRegistry reg;
    EXPECT_EQ(reg.size(), 0u);
    const auto a = reg.add(&items[0]);
    const auto b = reg.add(&items[1]);
    const auto c = reg.add(&items[2]);
    EXPECT_EQ(reg.size(), 3u);
    reg.remove(b);
    EXPECT_EQ(reg.size(), 2u);
    std::set<Runnable*> seen;
    reg.for_each([&](Runnable* r) { seen.insert(r); });
    EXPECT_EQ(seen, (std::set<Runnable*>{&items[0], &items[2]}));
    const auto d = reg.add(&items[3]);  // reuses a free slot
    EXPECT_NE(d, a);
    EXPECT_NE(d, c);
    reg.remove(a);
    reg.remove(c);
    reg.remove(d);
    EXPECT_EQ(reg.size(), 0u);
    int count = 0;
    reg.for_each([&](Runnable*) { ++count; });
    EXPECT_EQ(count, 0);
}

TEST(TaskRegistry, TakeAllEmptiesIt) {
    std::vector<Dummy> items(3);
    TaskRegistry reg;
    for (auto& d : items) reg.add(&d);
    reg.remove(1);
    const auto all = reg.take_all();
    EXPECT_EQ(std::set<Runnable*>(all.begin(), all.end()), (std::set<Runnable*>{&items[0], &items[2]}));
    EXPECT_EQ(reg.size(), 0u);
    reg.add(&items[1]);
    EXPECT_EQ(reg.size(), 1u);
}

TEST(TaskRegistry, RandomOperationsMatchAModel) {
    std::vector<Dummy> items(256);
    for (std::uint64_t seed = 1; seed <= 5; ++seed) {
        std::mt19937_64 rng(seed);
        TaskRegistry reg;
        std::vector<std::pair<TaskRegistry::Id, Runnable*>> model;  // live (id, task)
        std::set<TaskRegistry::Id> live_ids;
        for (int step = 0; step < 10'000; ++step) {
            if (model.empty() || rng() % 100 < 55) {
                Runnable* r = &items[rng() % items.size()];
                const TaskRegistry::Id id = reg.add(r);
                ASSERT_TRUE(live_ids.insert(id).second) << "id " << id << " handed out twice";
                model.emplace_back(id, r);
            } else {
                const std::size_t i = rng() % model.size();
                reg.remove(model[i].first);
                live_ids.erase(model[i].first);
                model[i] = model.back();
                model.pop_back();
            }
            ASSERT_EQ(reg.size(), model.size());
            if (step % 499 == 0) {
                std::multiset<Runnable*> live, expected;
                reg.for_each([&](Runnable* r) { live.insert(r); });
                for (auto& entry : model) expected.insert(entry.second);
                ASSERT_EQ(live, expected);
            }
        }
    }
}

}  // namespace
