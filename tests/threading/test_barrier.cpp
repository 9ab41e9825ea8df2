// threading::Barrier: lockstep rounds, arrival indices, the action (and its exception), abort,
// reset (while threads wait, and after a break), timeouts, the properties, repr.
// Ports CPython's Lib/test/lock_tests.py BarrierTests (test_constructor, test_repr,
// test_barrier, test_barrier_10, test_wait_return, test_action, test_abort, test_reset,
// test_abort_and_reset, test_timeout, test_default_timeout, test_single_thread); the action's
// exception follows Lib/threading.py's Barrier._release. The timeout tests are made
// independent of the machine's speed: the late thread arrives once the barrier is broken,
// instead of after a sleep. (parties=-1 has no counterpart: parties is a std::size_t.)
#include "concurrence/threading/barrier.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <numeric>
#include <stdexcept>
#include <thread>
#include <vector>

#include "concurrence/threading/event.hpp"
#include "concurrence/threading/thread.hpp"
#include "threading/threading_support.hpp"

namespace {

using threading_test::eventually;

namespace threading = concurrence::threading;
using concurrence::RuntimeError;
using concurrence::ValueError;
using testing::MatchesRegex;
using testing::StrEq;
using testing::ThrowsMessage;
using threading::BrokenBarrierError;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::size_t N = 5;
// No test waits this long unless the barrier is broken; it turns a hang into a failure.
constexpr double safety_timeout = 30.0;

// Polls until condition() holds; false after 30 s (a hang, not a slow machine).

// lock_tests' run_threads: f in n - 1 new threads and in this one.
void run_threads(std::size_t n, const std::function<void()>& f) {
    std::vector<threading::Thread> threads;
    for (std::size_t i = 0; i + 1 < n; ++i) {
        threads.emplace_back(f);
        threads.back().start();
    }
    f();
    for (auto& t : threads) t.join();
}

class ActionFailed : public std::logic_error {
public:
    ActionFailed() : std::logic_error("action failed") {}
};

TEST(Barrier, ZeroPartiesThrows) {  // test_constructor
    EXPECT_THAT([] { threading::Barrier b(0); }, ThrowsMessage<ValueError>(StrEq("parties must be >= 1")));
    threading::Barrier one(1);
    EXPECT_EQ(one.parties(), 1u);
}

TEST(Barrier, BrokenBarrierErrorIsARuntimeError) {
    threading::Barrier barrier(2);
    barrier.abort();
    EXPECT_THAT([&] { barrier.wait(); }, ThrowsMessage<RuntimeError>(StrEq("threading.BrokenBarrierError")));
    EXPECT_THROW(barrier.wait(), BrokenBarrierError);
}

// test_barrier: the threads go through in lockstep, `passes` times.
void lockstep(std::size_t passes) {
    threading::Barrier barrier(N, {}, safety_timeout);
    std::atomic<std::size_t> before{0};
    std::atomic<std::size_t> after{0};
    std::atomic<int> out_of_step{0};
    run_threads(N, [&] {
        for (std::size_t i = 0; i < passes; ++i) {
            before.fetch_add(1);
            if (after.load() != i * N) out_of_step.fetch_add(1);
            barrier.wait();
            after.fetch_add(1);
            if (before.load() != (i + 1) * N) out_of_step.fetch_add(1);
            barrier.wait();
        }
        if (barrier.n_waiting() != 0 || barrier.broken()) out_of_step.fetch_add(1);
    });
    EXPECT_EQ(out_of_step.load(), 0);
    EXPECT_EQ(before.load(), passes * N);
    EXPECT_EQ(after.load(), passes * N);
    EXPECT_EQ(barrier.n_waiting(), 0u);
    EXPECT_FALSE(barrier.broken());
}

TEST(Barrier, ThreadsPassInLockstep) { lockstep(1); }          // test_barrier
TEST(Barrier, ThreadsPassInLockstepTenTimes) { lockstep(10); }  // test_barrier_10

TEST(Barrier, WaitReturnsEachArrivalIndexOncePerRound) {  // test_wait_return
    constexpr std::size_t rounds = 3;
    threading::Barrier barrier(N, {}, safety_timeout);
    std::mutex mutex;
    std::vector<std::vector<std::size_t>> indices(rounds);  // guarded by mutex
    run_threads(N, [&] {
        for (std::size_t r = 0; r < rounds; ++r) {
            const std::size_t index = barrier.wait();
            std::lock_guard guard(mutex);
            indices[r].push_back(index);
        }
    });
    std::vector<std::size_t> expected(N);
    std::iota(expected.begin(), expected.end(), 0);
    for (auto& round : indices) {
        std::sort(round.begin(), round.end());
        EXPECT_EQ(round, expected);
    }
}

TEST(Barrier, TheLastToArriveRunsTheActionOncePerRoundBeforeAnyoneLeaves) {  // test_action
    constexpr int rounds = 3;
    std::atomic<int> actions{0};
    std::atomic<unsigned long> action_thread{0};
    threading::Barrier barrier(
        N,
        [&] {
            actions.fetch_add(1);
            action_thread = threading::get_ident();
        },
        safety_timeout);
    std::atomic<int> wrong{0};
    run_threads(N, [&] {
        for (int r = 0; r < rounds; ++r) {
            const std::size_t index = barrier.wait();
            if (actions.load() != 2 * r + 1) wrong.fetch_add(1);  // the action of each wait() so far
            // The action ran in the thread that arrived last.
            if (index == N - 1 && action_thread.load() != threading::get_ident()) wrong.fetch_add(1);
            barrier.wait();  // nobody starts the next round before all have checked this one
        }
    });
    EXPECT_EQ(wrong.load(), 0);
    EXPECT_EQ(actions.load(), rounds * 2);
}

TEST(Barrier, AnExceptionFromTheActionBreaksTheBarrier) {
    std::atomic<int> calls{0};
    threading::Barrier barrier(
        N,
        [&] {
            if (calls.fetch_add(1) == 0) throw ActionFailed();
        },
        safety_timeout);
    std::atomic<int> action_errors{0};
    std::atomic<int> broken_errors{0};
    std::atomic<int> passed{0};
    run_threads(N, [&] {
        try {
            barrier.wait();
            passed.fetch_add(1);
        } catch (const ActionFailed&) {
            action_errors.fetch_add(1);  // the thread that ran the action
        } catch (const BrokenBarrierError&) {
            broken_errors.fetch_add(1);
        }
    });
    EXPECT_EQ(passed.load(), 0);
    EXPECT_EQ(action_errors.load(), 1);
    EXPECT_EQ(broken_errors.load(), static_cast<int>(N) - 1);
    EXPECT_TRUE(barrier.broken());
    EXPECT_THROW(barrier.wait(), BrokenBarrierError);  // later waiters too
    barrier.reset();
    EXPECT_FALSE(barrier.broken());
    std::atomic<int> through{0};
    run_threads(N, [&] {
        barrier.wait();
        through.fetch_add(1);
    });
    EXPECT_EQ(through.load(), static_cast<int>(N));
    EXPECT_EQ(calls.load(), 2);
}

TEST(Barrier, AbortBreaksTheBarrierForWaitersAndLaterArrivals) {  // test_abort
    threading::Barrier barrier(N, {}, safety_timeout);
    std::atomic<int> passed{0};
    std::atomic<int> broken_errors{0};
    run_threads(N, [&] {
        try {
            if (barrier.wait() == N / 2) {
                barrier.abort();  // Python's test raises here, then aborts
                return;
            }
            barrier.wait();
            passed.fetch_add(1);
        } catch (const BrokenBarrierError&) {
            broken_errors.fetch_add(1);
        }
    });
    EXPECT_EQ(passed.load(), 0);
    EXPECT_EQ(broken_errors.load(), static_cast<int>(N) - 1);
    EXPECT_TRUE(barrier.broken());
    EXPECT_EQ(barrier.n_waiting(), 0u);
    EXPECT_THROW(barrier.wait(), BrokenBarrierError);
}

TEST(Barrier, ResetWakesTheWaitersWithBrokenBarrierError) {  // test_reset
    threading::Barrier barrier(N, {}, safety_timeout);
    std::atomic<int> passed{0};
    std::atomic<int> broken_errors{0};
    std::atomic<int> passed_again{0};
    run_threads(N, [&] {
        if (barrier.wait() == N / 2) {
            // Wait until the others all wait in the barrier again.
            while (barrier.n_waiting() < N - 1) std::this_thread::sleep_for(1ms);
            barrier.reset();
        } else {
            try {
                barrier.wait();
                passed.fetch_add(1);
            } catch (const BrokenBarrierError&) {
                broken_errors.fetch_add(1);
            }
        }
        // The reset barrier is usable at once.
        barrier.wait();
        passed_again.fetch_add(1);
    });
    EXPECT_EQ(passed.load(), 0);
    EXPECT_EQ(broken_errors.load(), static_cast<int>(N) - 1);
    EXPECT_EQ(passed_again.load(), static_cast<int>(N));
    EXPECT_FALSE(barrier.broken());
}

TEST(Barrier, ABrokenBarrierCanBeReset) {  // test_abort_and_reset
    threading::Barrier barrier(N, {}, safety_timeout);
    threading::Barrier sync(N, {}, safety_timeout);
    std::atomic<int> passed{0};
    std::atomic<int> broken_errors{0};
    std::atomic<int> passed_again{0};
    run_threads(N, [&] {
        try {
            if (barrier.wait() == N / 2) {
                barrier.abort();
            } else {
                barrier.wait();
                passed.fetch_add(1);
            }
        } catch (const BrokenBarrierError&) {
            broken_errors.fetch_add(1);
        }
        // Everybody has left the barrier before the reset, and nobody enters before it.
        if (sync.wait() == N / 2) barrier.reset();
        sync.wait();
        barrier.wait();
        passed_again.fetch_add(1);
    });
    EXPECT_EQ(passed.load(), 0);
    EXPECT_EQ(broken_errors.load(), static_cast<int>(N) - 1);
    EXPECT_EQ(passed_again.load(), static_cast<int>(N));
    EXPECT_FALSE(barrier.broken());
}

// test_timeout and test_default_timeout: one thread is late; the others' wait times out, which
// breaks the barrier for everybody, the late thread included.
void one_thread_late(threading::Barrier& barrier, const std::function<std::size_t()>& second_wait) {
    std::atomic<int> broken_errors{0};
    std::atomic<int> passed{0};
    std::atomic<long long> longest_ns{0};
    // Picks the late thread on another barrier: a short default timeout must not break the
    // barrier under test while the threads are still starting.
    threading::Barrier pick(N, {}, safety_timeout);
    run_threads(N, [&] {
        const bool late = pick.wait() == N / 2;
        if (late) {
            // Arrives only once another thread's timeout has broken the barrier.
            while (!barrier.broken()) std::this_thread::sleep_for(1ms);
        }
        const auto start = Clock::now();
        try {
            second_wait();
            passed.fetch_add(1);
        } catch (const BrokenBarrierError&) {
            broken_errors.fetch_add(1);
        }
        const long long ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
        long long seen = longest_ns.load();
        while (ns > seen && !longest_ns.compare_exchange_weak(seen, ns)) {
        }
    });
    EXPECT_EQ(passed.load(), 0);
    EXPECT_EQ(broken_errors.load(), static_cast<int>(N));
    EXPECT_TRUE(barrier.broken());
    EXPECT_GE(longest_ns.load(), 50'000'000);  // somebody waited out the 50 ms
    EXPECT_LT(longest_ns.load(), 30'000'000'000);
}

TEST(Barrier, AWaitTimeoutBreaksTheBarrier) {  // test_timeout
    threading::Barrier barrier(N, {}, safety_timeout);
    one_thread_late(barrier, [&] { return barrier.wait(0.05); });
}

TEST(Barrier, TheDefaultTimeoutBreaksTheBarrier) {  // test_default_timeout
    threading::Barrier barrier(N, {}, 0.05);
    one_thread_late(barrier, [&] { return barrier.wait(); });
}

TEST(Barrier, AWaitsOwnTimeoutOverridesTheDefault) {
    threading::Barrier barrier(2, {}, 0.001);
    std::atomic<bool> waiting{false};
    bool passed = false;
    threading::Thread first([&] {
        waiting = true;
        barrier.wait(safety_timeout);
        passed = true;
    });
    first.start();
    ASSERT_TRUE(eventually([&] { return waiting.load() && barrier.n_waiting() == 1; }));
    std::this_thread::sleep_for(20ms);  // far beyond the default timeout
    EXPECT_FALSE(barrier.broken());
    EXPECT_NO_THROW(barrier.wait(safety_timeout));
    first.join();
    EXPECT_TRUE(passed);
    EXPECT_FALSE(barrier.broken());
}

TEST(Barrier, SingleThread) {  // test_single_thread
    int actions = 0;
    threading::Barrier barrier(1, [&] { ++actions; });
    EXPECT_EQ(barrier.wait(), 0u);
    EXPECT_EQ(barrier.wait(), 0u);
    EXPECT_EQ(actions, 2);
    EXPECT_EQ(barrier.n_waiting(), 0u);
}

TEST(Barrier, PropertiesAndRepr) {  // test_repr
    threading::Barrier barrier(3, {}, safety_timeout);
    EXPECT_EQ(barrier.parties(), 3u);
    EXPECT_EQ(barrier.n_waiting(), 0u);
    EXPECT_FALSE(barrier.broken());
    EXPECT_THAT(barrier.repr(), MatchesRegex("<threading\\.Barrier at 0x[0-9a-f]+: waiters=0/3>"));
    std::vector<threading::Thread> threads;
    for (int i = 0; i < 2; ++i) {
        threads.emplace_back([&] { barrier.wait(); });
        threads.back().start();
    }
    ASSERT_TRUE(eventually([&] { return barrier.n_waiting() == 2; }));
    EXPECT_THAT(barrier.repr(), MatchesRegex("<threading\\.Barrier at 0x[0-9a-f]+: waiters=2/3>"));
    barrier.wait();
    for (auto& t : threads) t.join();
    EXPECT_EQ(barrier.n_waiting(), 0u);
    EXPECT_THAT(barrier.repr(), MatchesRegex("<threading\\.Barrier at 0x[0-9a-f]+: waiters=0/3>"));
    barrier.abort();
    EXPECT_TRUE(barrier.broken());
    EXPECT_THAT(barrier.repr(), MatchesRegex("<threading\\.Barrier at 0x[0-9a-f]+: broken>"));
    barrier.reset();
    EXPECT_FALSE(barrier.broken());
    EXPECT_THAT(barrier.repr(), MatchesRegex("<threading\\.Barrier at 0x[0-9a-f]+: waiters=0/3>"));
}

TEST(Barrier, NWaitingCountsTheThreadsOfTheCurrentRound) {
    threading::Barrier barrier(3, {}, safety_timeout);
    threading::Thread one([&] { barrier.wait(); });
    one.start();
    ASSERT_TRUE(eventually([&] { return barrier.n_waiting() == 1; }));
    threading::Thread two([&] { barrier.wait(); });
    two.start();
    ASSERT_TRUE(eventually([&] { return barrier.n_waiting() == 2; }));
    std::this_thread::sleep_for(10ms);
    EXPECT_TRUE(one.is_alive());  // blocked until the third arrives
    EXPECT_TRUE(two.is_alive());
    EXPECT_EQ(barrier.wait(), 2u);
    one.join();
    two.join();
    EXPECT_EQ(barrier.n_waiting(), 0u);
}

TEST(Barrier, ResetWithNobodyWaitingKeepsItUsable) {
    threading::Barrier barrier(2, {}, safety_timeout);
    barrier.reset();
    EXPECT_FALSE(barrier.broken());
    std::size_t other_index = 99;
    threading::Thread other([&] { other_index = barrier.wait(); });
    other.start();
    const std::size_t index = barrier.wait();
    other.join();
    EXPECT_EQ(index + other_index, 1u);  // 0 and 1
}

// The action runs with the barrier's (non-reentrant) lock held, as in Python; n_waiting(),
// broken() and repr() read the state without that lock, as Python's properties do, so the
// action may call them (it sees n_waiting == parties and broken == false). The barrier runs in
// a daemon thread: a deadlock fails the test after 5 s instead of hanging it.
TEST(Barrier, TheActionMayReadTheBarriersState) {
    struct Shared {
        std::unique_ptr<threading::Barrier> barrier;
        std::atomic<std::size_t> n_waiting_seen{99};
        std::atomic<int> broken_seen{-1};
        threading::Event done;
    };
    auto shared = std::make_shared<Shared>();
    Shared* raw = shared.get();
    shared->barrier = std::make_unique<threading::Barrier>(1, [raw] {
        raw->n_waiting_seen = raw->barrier->n_waiting();
        raw->broken_seen = raw->barrier->broken() ? 1 : 0;
    });
    threading::Thread t({.daemon = true}, [shared] {
        shared->barrier->wait();
        shared->done.set();
    });
    t.start();
    ASSERT_TRUE(shared->done.wait(5s)) << "the action deadlocked reading the barrier";
    t.join();
    EXPECT_EQ(shared->n_waiting_seen.load(), 1u);
    EXPECT_EQ(shared->broken_seen.load(), 0);
}

}  // namespace
