// threading::Semaphore and BoundedSemaphore: constructor and argument errors, counting,
// contended and non-blocking acquires, timeouts, release(n), the bound, the std guards, repr.
// Ports CPython's Lib/test/lock_tests.py BaseSemaphoreTests, SemaphoreTests and
// BoundedSemaphoreTests (test_constructor, test_repr, test_acquire, test_acquire_destroy,
// test_acquire_contended, test_multirelease, test_try_acquire, test_try_acquire_contended,
// test_acquire_timeout, test_default_value, test_with, test_release_unacquired).
#include "concurrence/threading/semaphore.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "concurrence/threading/thread.hpp"
#include "threading/threading_support.hpp"

namespace {

using threading_test::eventually;
using threading_test::AcquireTakes;

namespace threading = concurrence::threading;
using concurrence::ValueError;
using testing::MatchesRegex;
using testing::StrEq;
using testing::ThrowsMessage;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// acquire(0.5) would read as acquire(blocking=true): it must not compile.
static_assert(!AcquireTakes<threading::Semaphore, double>);
static_assert(!AcquireTakes<threading::BoundedSemaphore, int>);
static_assert(AcquireTakes<threading::Semaphore, bool>);

// Polls until condition() holds; false after 30 s (a hang, not a slow machine).

// The tests common to both kinds (BaseSemaphoreTests), typed.
template <class S>
class AnySemaphore : public testing::Test {};
using Kinds = testing::Types<threading::Semaphore, threading::BoundedSemaphore>;
TYPED_TEST_SUITE(AnySemaphore, Kinds);

TYPED_TEST(AnySemaphore, NegativeInitialValueThrows) {  // test_constructor
    const auto negative = ThrowsMessage<ValueError>(StrEq("semaphore initial value must be >= 0"));
    EXPECT_THAT([] { TypeParam sem(-1); }, negative);
    EXPECT_THAT([] { TypeParam sem(LONG_MIN); }, negative);
    TypeParam zero(0);
    EXPECT_EQ(zero.value(), 0);
    EXPECT_FALSE(zero.acquire(false));
}

TYPED_TEST(AnySemaphore, AcquireTakesAndReleaseGivesBack) {  // test_acquire, test_acquire_destroy
    TypeParam one(1);
    EXPECT_TRUE(one.acquire());
    EXPECT_EQ(one.value(), 0);
    one.release();
    EXPECT_EQ(one.value(), 1);
    TypeParam two(2);
    EXPECT_TRUE(two.acquire());
    EXPECT_TRUE(two.acquire());
    EXPECT_EQ(two.value(), 0);
    two.release();
    two.release();
    EXPECT_EQ(two.value(), 2);
    auto held = std::make_unique<TypeParam>();
    held->acquire();
    held.reset();  // destroying an acquired semaphore is fine
}

TYPED_TEST(AnySemaphore, TryAcquire) {  // test_try_acquire
    TypeParam sem(2);
    EXPECT_TRUE(sem.acquire(false));
    EXPECT_TRUE(sem.try_lock());
    EXPECT_FALSE(sem.acquire(false));
    EXPECT_FALSE(sem.try_lock());
    sem.release();
    EXPECT_TRUE(sem.acquire(false));
    EXPECT_EQ(sem.value(), 0);
}

TYPED_TEST(AnySemaphore, TryAcquireContended) {  // test_try_acquire_contended
    TypeParam sem(4);
    sem.acquire();
    std::atomic<int> successes{0};
    std::atomic<int> failures{0};
    std::vector<threading::Thread> threads;
    for (int i = 0; i < 5; ++i) {
        threads.emplace_back([&] {
            for (int k = 0; k < 2; ++k) (sem.acquire(false) ? successes : failures).fetch_add(1);
        });
        threads.back().start();
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(successes.load(), 3);
    EXPECT_EQ(failures.load(), 7);
    EXPECT_EQ(sem.value(), 0);
}

TYPED_TEST(AnySemaphore, AcquireContended) {  // test_acquire_contended
    TypeParam sem(7);
    sem.acquire();
    constexpr int n = 10;
    std::mutex mutex;
    std::vector<int> results;  // the phase in which each acquire succeeded; guarded by mutex
    std::atomic<int> phase{0};
    const auto count = [&] {
        std::lock_guard guard(mutex);
        return results.size();
    };
    std::vector<threading::Thread> threads;
    for (int i = 0; i < n; ++i) {
        threads.emplace_back([&] {
            for (int k = 0; k < 2; ++k) {
                sem.acquire();
                std::lock_guard guard(mutex);
                results.push_back(phase.load());
            }
        });
        threads.back().start();
    }
    ASSERT_TRUE(eventually([&] { return count() >= 6; }));
    std::this_thread::sleep_for(10ms);
    EXPECT_EQ(count(), 6u);  // the other acquires block
    phase = 1;
    for (int i = 0; i < 7; ++i) sem.release();
    ASSERT_TRUE(eventually([&] { return count() >= 13; }));
    phase = 2;
    // The bound: releasing the 6 other units would lift a BoundedSemaphore(7) to 6 only.
    for (int i = 0; i < 6; ++i) sem.release();
    ASSERT_TRUE(eventually([&] { return count() >= 19; }));
    std::this_thread::sleep_for(10ms);
    {
        std::lock_guard guard(mutex);
        std::vector<int> sorted = results;
        std::sort(sorted.begin(), sorted.end());
        std::vector<int> expected(6, 0);
        expected.insert(expected.end(), 7, 1);
        expected.insert(expected.end(), 6, 2);
        EXPECT_EQ(sorted, expected);
    }
    EXPECT_FALSE(sem.acquire(false));  // still taken
    sem.release();  // the last thread goes
    for (auto& t : threads) t.join();
    EXPECT_EQ(count(), 20u);
    EXPECT_EQ(sem.value(), 0);
}

TYPED_TEST(AnySemaphore, AcquireTimeout) {  // test_acquire_timeout
    TypeParam sem(2);
    EXPECT_THAT([&] { sem.acquire(false, 1.0); },
                ThrowsMessage<ValueError>(StrEq("can't specify timeout for non-blocking acquire")));
    EXPECT_THAT([&] { sem.acquire(false, 0); },
                ThrowsMessage<ValueError>(StrEq("can't specify timeout for non-blocking acquire")));
    EXPECT_EQ(sem.value(), 2);
    EXPECT_TRUE(sem.acquire(true, 0.005));
    EXPECT_TRUE(sem.acquire(true, 5ms));
    EXPECT_FALSE(sem.acquire(true, 0.005));
    sem.release();
    EXPECT_TRUE(sem.acquire(true, 0.005));
    const auto start = Clock::now();
    EXPECT_FALSE(sem.acquire(true, 0.05));
    const auto elapsed = Clock::now() - start;
    EXPECT_GE(elapsed, 50ms);
    EXPECT_LT(elapsed, 30s);
    EXPECT_FALSE(sem.acquire(true, 0));   // polls
    EXPECT_FALSE(sem.acquire(true, -1));  // polls too
    EXPECT_EQ(sem.value(), 0);
}

TYPED_TEST(AnySemaphore, TimedAcquireSucceedsWhenReleasedInTime) {
    TypeParam sem(1);
    sem.acquire();
    std::atomic<bool> waiting{false};
    bool result = false;
    threading::Thread waiter([&] {
        waiting = true;
        result = sem.acquire(true, 60);
    });
    waiter.start();
    ASSERT_TRUE(eventually([&] { return waiting.load(); }));
    std::this_thread::sleep_for(10ms);
    sem.release();
    waiter.join();
    EXPECT_TRUE(result);
    EXPECT_EQ(sem.value(), 0);
}

TYPED_TEST(AnySemaphore, DefaultValueIsOne) {  // test_default_value
    TypeParam sem;
    EXPECT_EQ(sem.value(), 1);
    sem.acquire();
    std::atomic<bool> started{false};
    std::atomic<bool> finished{false};
    threading::Thread t([&] {
        started = true;
        sem.acquire();
        sem.release();
        finished = true;
    });
    t.start();
    ASSERT_TRUE(eventually([&] { return started.load(); }));
    std::this_thread::sleep_for(10ms);
    EXPECT_FALSE(finished.load());
    sem.release();
    t.join();
    EXPECT_TRUE(finished.load());
    EXPECT_EQ(sem.value(), 1);
}

TYPED_TEST(AnySemaphore, WorksWithTheStandardGuards) {  // test_with
    TypeParam sem(2);
    const auto with = [&](bool fail) {
        std::lock_guard outer(sem);
        EXPECT_TRUE(sem.acquire(false));
        sem.release();
        std::lock_guard inner(sem);
        EXPECT_FALSE(sem.acquire(false));
        if (fail) throw std::invalid_argument("TypeError");
    };
    with(false);
    EXPECT_EQ(sem.value(), 2);
    EXPECT_THROW(with(true), std::invalid_argument);
    EXPECT_EQ(sem.value(), 2);
}

TYPED_TEST(AnySemaphore, ReleaseNWakesNWaiters) {  // test_multirelease
    TypeParam sem(5);
    for (int i = 0; i < 5; ++i) sem.acquire();
    std::atomic<int> through{0};
    std::vector<threading::Thread> threads;
    for (int i = 0; i < 5; ++i) {
        threads.emplace_back([&] {
            sem.acquire();
            through.fetch_add(1);
        });
        threads.back().start();
    }
    std::this_thread::sleep_for(10ms);
    EXPECT_EQ(through.load(), 0);
    sem.release(3);
    ASSERT_TRUE(eventually([&] { return through.load() == 3; }));
    std::this_thread::sleep_for(10ms);
    EXPECT_EQ(through.load(), 3);
    sem.release(2);
    for (auto& t : threads) t.join();
    EXPECT_EQ(through.load(), 5);
    EXPECT_EQ(sem.value(), 0);
    sem.release(5);
    EXPECT_EQ(sem.value(), 5);
}

TYPED_TEST(AnySemaphore, ReleaseOfLessThanOneThrows) {
    TypeParam sem(1);
    sem.acquire();
    const auto at_least_one = ThrowsMessage<ValueError>(StrEq("n must be one or more"));
    EXPECT_THAT([&] { sem.release(0); }, at_least_one);
    EXPECT_THAT([&] { sem.release(-1); }, at_least_one);
    EXPECT_EQ(sem.value(), 0);
}

TEST(Semaphore, ReleaseBeyondTheInitialValueIsAllowed) {  // SemaphoreTests.test_release_unacquired
    threading::Semaphore sem(1);
    sem.release();
    EXPECT_EQ(sem.value(), 2);
    EXPECT_TRUE(sem.acquire(false));
    EXPECT_TRUE(sem.acquire(false));
    EXPECT_FALSE(sem.acquire(false));
    sem.release(10);
    EXPECT_EQ(sem.value(), 10);
}

TEST(BoundedSemaphore, ReleaseBeyondTheInitialValueThrows) {  // BoundedSemaphoreTests.test_release_unacquired
    const auto too_many = ThrowsMessage<ValueError>(StrEq("Semaphore released too many times"));
    threading::BoundedSemaphore sem;
    EXPECT_THAT([&] { sem.release(); }, too_many);
    sem.acquire();
    sem.release();
    EXPECT_THAT([&] { sem.release(); }, too_many);
    EXPECT_EQ(sem.value(), 1);

    threading::BoundedSemaphore three(3);
    three.acquire();
    three.acquire();
    EXPECT_THAT([&] { three.release(3); }, too_many);  // all or nothing
    EXPECT_EQ(three.value(), 1);
    three.release(2);
    EXPECT_EQ(three.value(), 3);
    EXPECT_THAT([&] { three.release(); }, too_many);
    // Through the base class too (release is virtual), and through the std guards' unlock().
    threading::Semaphore& base = three;
    EXPECT_THAT([&] { base.release(); }, too_many);
    EXPECT_THAT([&] { base.unlock(); }, too_many);
    EXPECT_EQ(three.value(), 3);
}

TEST(Semaphore, Repr) {  // test_repr
    threading::Semaphore sem(3);
    EXPECT_THAT(sem.repr(), MatchesRegex("<threading\\.Semaphore at 0x[0-9a-f]+: value=3>"));
    sem.acquire();
    EXPECT_THAT(sem.repr(), MatchesRegex("<threading\\.Semaphore at 0x[0-9a-f]+: value=2>"));
    sem.release(5);
    EXPECT_THAT(sem.repr(), MatchesRegex("<threading\\.Semaphore at 0x[0-9a-f]+: value=7>"));
}

TEST(BoundedSemaphore, Repr) {  // test_repr
    threading::BoundedSemaphore sem(3);
    EXPECT_THAT(sem.repr(), MatchesRegex("<threading\\.BoundedSemaphore at 0x[0-9a-f]+: value=3/3>"));
    sem.acquire();
    EXPECT_THAT(sem.repr(), MatchesRegex("<threading\\.BoundedSemaphore at 0x[0-9a-f]+: value=2/3>"));
    const threading::Semaphore& base = sem;  // virtual
    EXPECT_THAT(base.repr(), MatchesRegex("<threading\\.BoundedSemaphore at 0x[0-9a-f]+: value=2/3>"));
}

TEST(Semaphore, BoundsConcurrencyUnderContention) {
    threading::Semaphore sem(3);
    std::atomic<int> inside{0};
    std::atomic<int> most{0};
    std::vector<threading::Thread> threads;
    for (int w = 0; w < 6; ++w) {
        threads.emplace_back([&] {
            for (int i = 0; i < 2000; ++i) {
                std::lock_guard guard(sem);
                const int now = inside.fetch_add(1) + 1;
                int seen = most.load();
                while (now > seen && !most.compare_exchange_weak(seen, now)) {
                }
                inside.fetch_sub(1);
            }
        });
        threads.back().start();
    }
    for (auto& t : threads) t.join();
    EXPECT_LE(most.load(), 3);
    EXPECT_GE(most.load(), 1);
    EXPECT_EQ(sem.value(), 3);
}

}  // namespace
