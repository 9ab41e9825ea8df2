// White-box: the loop's timer structures against a reference model (a std::set ordered by
// (deadline, sequence number)), with random operations from fixed seeds.
//   TimerHeap  (src/loop/timer_heap.hpp): push / top / pop / remove_if
//   TimerQueue (src/loop/timer_queue.hpp): push / earliest / pop_due / remove_if / for_each
// Equal deadlines must come out in sequence (scheduling) order.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "loop/timer_heap.hpp"
#include "loop/timer_queue.hpp"

namespace {

using concurrence::asyncio::detail::TimerEntry;
using concurrence::asyncio::detail::TimerHeap;
using concurrence::asyncio::detail::TimerQueue;

using Key = std::pair<std::int64_t, std::uint64_t>;  // (when, seq)
using Model = std::set<Key>;

Key key_of(const TimerEntry& e) { return {e.when, e.seq}; }
TimerEntry entry(std::int64_t when, std::uint64_t seq) { return TimerEntry{when, seq, nullptr}; }

constexpr std::int64_t ms = 1'000'000;  // ns

// ---- TimerHeap

TEST(TimerHeap, EmptyHeap) {
    TimerHeap h;
    EXPECT_TRUE(h.empty());
    EXPECT_EQ(h.size(), 0u);
}

TEST(TimerHeap, PopsInDeadlineOrder) {
    TimerHeap h;
    const std::int64_t whens[] = {50, 10, 40, 30, 20, 60, 0};
    std::uint64_t seq = 1;
    for (std::int64_t w : whens) h.push(entry(w, seq++));
    std::vector<std::int64_t> out;
    while (!h.empty()) out.push_back(h.pop().when);
    EXPECT_EQ(out, (std::vector<std::int64_t>{0, 10, 20, 30, 40, 50, 60}));
}

TEST(TimerHeap, EqualDeadlinesPopInSequenceOrder) {
    TimerHeap h;
    // Pushed in a scrambled sequence order: the heap must still order them by seq.
    const std::uint64_t seqs[] = {7, 3, 9, 1, 5, 2, 8, 4, 6};
    for (std::uint64_t s : seqs) h.push(entry(100, s));
    for (std::uint64_t expected = 1; expected <= 9; ++expected) {
        ASSERT_FALSE(h.empty());
        EXPECT_EQ(h.top().seq, expected);
        EXPECT_EQ(h.pop().seq, expected);
    }
    EXPECT_TRUE(h.empty());
}

TEST(TimerHeap, NegativeDeadlines) {
    TimerHeap h;
    h.push(entry(5, 1));
    h.push(entry(-5, 2));
    h.push(entry(-10, 3));
    EXPECT_EQ(h.pop().when, -10);
    EXPECT_EQ(h.pop().when, -5);
    EXPECT_EQ(h.pop().when, 5);
}

TEST(TimerHeap, RemoveIfKeepsTheRestInOrder) {
    TimerHeap h;
    for (std::uint64_t s = 1; s <= 200; ++s) h.push(entry(static_cast<std::int64_t>((s * 37) % 50), s));
    h.remove_if([](const TimerEntry& e) { return e.seq % 3 == 0; });
    EXPECT_EQ(h.size(), 200u - 66u);
    Key last{-1, 0};
    while (!h.empty()) {
        const TimerEntry e = h.pop();
        EXPECT_NE(e.seq % 3, 0u);
        EXPECT_LT(last, key_of(e));
        last = key_of(e);
    }
}

TEST(TimerHeap, RemoveIfAll) {
    TimerHeap h;
    for (std::uint64_t s = 1; s <= 10; ++s) h.push(entry(1, s));
    h.remove_if([](const TimerEntry&) { return true; });
    EXPECT_TRUE(h.empty());
    h.push(entry(3, 11));
    EXPECT_EQ(h.pop().seq, 11u);
}

void heap_random_run(std::uint64_t seed, std::int64_t when_range) {
    SCOPED_TRACE("seed " + std::to_string(seed) + ", range " + std::to_string(when_range));
    std::mt19937_64 rng(seed);
    TimerHeap h;
    Model model;
    std::uint64_t next_seq = 1;
    for (int step = 0; step < 20'000; ++step) {
        const auto op = rng() % 100;
        if (op < 55) {
            const auto when = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(when_range)) - when_range / 4;
            h.push(entry(when, next_seq));
            model.insert({when, next_seq});
            ++next_seq;
        } else if (op < 95) {
            if (model.empty()) {
                ASSERT_TRUE(h.empty());
                continue;
            }
            ASSERT_EQ(key_of(h.top()), *model.begin());
            ASSERT_EQ(key_of(h.pop()), *model.begin());
            model.erase(model.begin());
        } else {
            const std::uint64_t mod = 2 + rng() % 5;
            const std::uint64_t rem = rng() % mod;
            auto stale = [&](const TimerEntry& e) { return e.seq % mod == rem; };
            h.remove_if(stale);
            for (auto it = model.begin(); it != model.end();) it = it->second % mod == rem ? model.erase(it) : std::next(it);
        }
        ASSERT_EQ(h.size(), model.size());
        ASSERT_EQ(h.empty(), model.empty());
    }
    while (!model.empty()) {
        ASSERT_EQ(key_of(h.pop()), *model.begin());
        model.erase(model.begin());
    }
    EXPECT_TRUE(h.empty());
}

TEST(TimerHeap, RandomOperationsMatchTheModel) {
    for (std::uint64_t seed = 1; seed <= 4; ++seed) {
        heap_random_run(seed, 16);         // many equal deadlines
        heap_random_run(seed + 100, 1'000'000);
    }
}

// ---- TimerQueue (wheel of ~1 ms buckets over a heap of far timers)

// Pops everything due at `now` from q and from the model and compares the sequences.
void check_pop_due(TimerQueue& q, Model& model, std::int64_t now) {
    std::vector<Key> fired;
    q.pop_due(now, [&](const TimerEntry& e) { fired.push_back(key_of(e)); });
    std::vector<Key> expected;
    while (!model.empty() && model.begin()->first <= now) {
        expected.push_back(*model.begin());
        model.erase(model.begin());
    }
    ASSERT_EQ(fired, expected) << "now " << now;
}

void check_contents(TimerQueue& q, const Model& model) {
    ASSERT_EQ(q.size(), model.size());
    ASSERT_EQ(q.empty(), model.empty());
    std::vector<Key> all;
    q.for_each([&](const TimerEntry& e) { all.push_back(key_of(e)); });
    std::sort(all.begin(), all.end());
    ASSERT_EQ(all, std::vector<Key>(model.begin(), model.end()));
    if (!model.empty()) {
        ASSERT_EQ(q.earliest(), model.begin()->first);
    }
}

TEST(TimerQueue, EmptyQueue) {
    TimerQueue q;
    EXPECT_TRUE(q.empty());
    int fired = 0;
    q.pop_due(1'000'000'000, [&](const TimerEntry&) { ++fired; });
    EXPECT_EQ(fired, 0);
}

TEST(TimerQueue, FiresInDeadlineOrderAcrossBucketsAndTheFarHeap) {
    TimerQueue q;
    Model model;
    const std::int64_t base = 1'000'000 * ms;
    const std::int64_t offsets[] = {5 * ms, 0, 3'000 * ms, 2 * ms, 3'600'000 * ms, 1, 999 * ms, 1'100 * ms};
    std::uint64_t seq = 1;
    for (std::int64_t o : offsets) {
        q.push(entry(base + o, seq));
        model.insert({base + o, seq++});
    }
    check_contents(q, model);
    for (std::int64_t now : {base - 1, base, base + 1, base + 2 * ms, base + 1'000 * ms, base + 1'100 * ms,
                             base + 10'000 * ms, base + 3'600'000 * ms}) {
        check_pop_due(q, model, now);
        check_contents(q, model);
    }
    EXPECT_TRUE(q.empty());
}

TEST(TimerQueue, EqualDeadlinesFireInSequenceOrder) {
    TimerQueue q;
    const std::int64_t when = 5'000 * ms;
    const std::uint64_t seqs[] = {4, 2, 6, 1, 5, 3};
    for (std::uint64_t s : seqs) q.push(entry(when, s));
    std::vector<std::uint64_t> fired;
    q.pop_due(when, [&](const TimerEntry& e) { fired.push_back(e.seq); });
    EXPECT_EQ(fired, (std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6}));
}

TEST(TimerQueue, PastDeadlinePushedAfterTheCursorMovedFiresFirst) {
    TimerQueue q;
    Model model;
    const std::int64_t base = 50'000 * ms;
    q.push(entry(base + 500 * ms, 1));
    model.insert({base + 500 * ms, 1});
    ASSERT_EQ(q.earliest(), base + 500 * ms);  // the cursor may now sit on that bucket
    q.push(entry(base + 1 * ms, 2));            // earlier than the cursor's bucket
    q.push(entry(base - 10'000 * ms, 3));       // already in the past
    model.insert({base + 1 * ms, 2});
    model.insert({base - 10'000 * ms, 3});
    check_contents(q, model);
    check_pop_due(q, model, base);
    check_contents(q, model);
    check_pop_due(q, model, base + 2 * ms);
    check_pop_due(q, model, base + 500 * ms);
    EXPECT_TRUE(q.empty());
}

// A million sleeps armed in one iteration: the first one armed is not the earliest. The
// cursor moves back to each earlier deadline instead of piling them all into its bucket
// (which was sorted again every time it grew), and they still fire in order.
TEST(TimerQueue, EarlierDeadlinesArmedLaterGoToTheirOwnBuckets) {
    TimerQueue q;
    Model model;
    const std::int64_t base = 90'000 * ms;
    std::uint64_t seq = 1;
    auto push = [&](std::int64_t when) {
        q.push(entry(when, seq));
        model.insert({when, seq++});
    };
    push(base + 900 * ms);
    ASSERT_EQ(q.earliest(), base + 900 * ms);
    push(base - 20'000 * ms);  // long past: the wheel cannot reach back there, it waits in the current bucket
    for (std::int64_t i = 0; i < 3'000; ++i) push(base + 800 * ms - i * 250'000);  // 0.25 ms apart, each earlier
    // The cursor's bucket now holds one bucket's worth (about 4 timers) plus the past one.
    EXPECT_LE(q.current_bucket_pending(), 6u);
    check_contents(q, model);
    for (std::int64_t now = base; now <= base + 1'000 * ms; now += 7 * ms) {
        check_pop_due(q, model, now);
        if (HasFatalFailure()) return;
        EXPECT_LE(q.current_bucket_pending(), 6u) << "now " << now;
    }
    EXPECT_TRUE(q.empty());
}

TEST(TimerQueue, RemoveIfThenReuse) {
    TimerQueue q;
    Model model;
    const std::int64_t base = 7'000 * ms;
    for (std::uint64_t s = 1; s <= 3000; ++s) {
        const std::int64_t when = base + static_cast<std::int64_t>((s * 7919) % 5000) * ms / 2;
        q.push(entry(when, s));
        model.insert({when, s});
    }
    check_pop_due(q, model, base + 100 * ms);  // part of the current bucket consumed
    q.remove_if([](const TimerEntry& e) { return e.seq % 2 == 0; });
    for (auto it = model.begin(); it != model.end();) it = it->second % 2 == 0 ? model.erase(it) : std::next(it);
    check_contents(q, model);
    check_pop_due(q, model, base + 1'000 * ms);
    check_contents(q, model);
    q.clear();
    model.clear();
    check_contents(q, model);
    q.push(entry(base, 9999));
    model.insert({base, 9999});
    check_contents(q, model);
    check_pop_due(q, model, base + 3'000 * ms);
}

void queue_random_run(std::uint64_t seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    TimerQueue q;
    Model model;
    std::uint64_t next_seq = 1;
    std::int64_t now = static_cast<std::int64_t>(rng() % 1'000'000) * ms;  // a monotonic clock
    // Deadlines relative to now, in every regime: past, same bucket, wheel, far heap, ties.
    auto random_when = [&]() -> std::int64_t {
        switch (rng() % 8) {
            case 0: return now - static_cast<std::int64_t>(rng() % (5'000 * ms));              // past
            case 1: return now;                                                                 // due now
            case 2: return now + static_cast<std::int64_t>(rng() % ms);                         // this bucket
            case 3: return now + static_cast<std::int64_t>(rng() % (1'000 * ms));               // wheel
            case 4: return now + static_cast<std::int64_t>(rng() % (60'000 * ms));              // far
            case 5: return now + static_cast<std::int64_t>(rng() % 4) * 250 * ms;               // ties
            case 6: return (now / ms + static_cast<std::int64_t>(rng() % 2'000)) * ms;          // bucket edges
            default: return now + 1'024 * (ms + 48'576) + static_cast<std::int64_t>(rng() % 3) - 1;  // horizon
        }
    };
    for (int step = 0; step < 10'000; ++step) {
        const auto op = rng() % 100;
        if (op < 50) {
            const std::int64_t when = random_when();
            q.push(entry(when, next_seq));
            model.insert({when, next_seq});
            ++next_seq;
        } else if (op < 80) {
            // Time passes: a little, a bucket, or a long stall.
            switch (rng() % 4) {
                case 0: break;
                case 1: now += static_cast<std::int64_t>(rng() % ms); break;
                case 2: now += static_cast<std::int64_t>(rng() % (50 * ms)); break;
                default: now += static_cast<std::int64_t>(rng() % (3'000 * ms)); break;
            }
            check_pop_due(q, model, now);
            if (::testing::Test::HasFatalFailure()) return;
        } else if (op < 95) {
            if (!model.empty()) {
                ASSERT_EQ(q.earliest(), model.begin()->first);
            }
        } else if (op < 99) {
            const std::uint64_t mod = 2 + rng() % 4;
            const std::uint64_t rem = rng() % mod;
            q.remove_if([&](const TimerEntry& e) { return e.seq % mod == rem; });
            for (auto it = model.begin(); it != model.end();) it = it->second % mod == rem ? model.erase(it) : std::next(it);
        } else {
            check_contents(q, model);
            if (::testing::Test::HasFatalFailure()) return;
        }
        ASSERT_EQ(q.size(), model.size());
    }
    now += 3'600'000 * ms;
    check_pop_due(q, model, now);
    EXPECT_TRUE(q.empty());
}

TEST(TimerQueue, RandomOperationsMatchTheModel) {
    for (std::uint64_t seed = 1; seed <= 10; ++seed) {
        queue_random_run(seed);
        if (HasFatalFailure()) return;
    }
}

}  // namespace
