// threading::RLock: recursion, ownership, release by a non-owner, timeouts, the std guards,
// exclusion. Ports CPython's Lib/test/lock_tests.py BaseLockTests and RLockTests
// (test_thread_leak does not apply: no Thread object is made for a foreign thread here).
#include "concurrence/threading/rlock.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "concurrence/threading/event.hpp"
#include "concurrence/threading/thread.hpp"
#include "threading/threading_support.hpp"

namespace {

using threading_test::eventually;
using threading_test::AcquireTakes;

namespace threading = concurrence::threading;
using concurrence::RuntimeError;
using concurrence::ValueError;
using testing::StrEq;
using testing::ThrowsMessage;
using namespace std::chrono_literals;

// acquire(0.5) would read as acquire(blocking=true): it must not compile.
static_assert(!AcquireTakes<threading::RLock, double>);
static_assert(!AcquireTakes<threading::RLock, int>);
static_assert(AcquireTakes<threading::RLock, bool>);

// Polls until condition() holds; false after 30 s (a hang, not a slow machine).

// Runs f in a new thread and waits for it (lock_tests' Bunch(f, 1).wait_for_finished()).
void in_another_thread(std::function<void()> f) {
    threading::Thread t(std::move(f));
    t.start();
    t.join();
}

const auto cannot_release = ThrowsMessage<RuntimeError>(StrEq("cannot release un-acquired lock"));

TEST(RLock, AcquireAndRelease) {  // test_acquire_release, test_try_acquire, test_acquire_destroy
    threading::RLock lock;
    EXPECT_FALSE(lock.locked());
    EXPECT_TRUE(lock.acquire());
    EXPECT_TRUE(lock.locked());
    lock.release();
    EXPECT_FALSE(lock.locked());
    EXPECT_TRUE(lock.acquire(false));
    EXPECT_TRUE(lock.locked());
    lock.release();
    EXPECT_FALSE(lock.locked());
    auto held = std::make_unique<threading::RLock>();
    EXPECT_TRUE(held->acquire());
    EXPECT_TRUE(held->acquire());
    held.reset();  // destroying a held lock is fine
}

TEST(RLock, TheOwnerMayAcquireAgainAndReleasesAsManyTimes) {  // test_reacquire
    threading::RLock lock;
    EXPECT_TRUE(lock.acquire());
    EXPECT_TRUE(lock.acquire());
    EXPECT_TRUE(lock.acquire(false));        // never blocks on its own lock
    EXPECT_TRUE(lock.acquire(true, 0));      // nor times out
    EXPECT_EQ(lock.recursion_count(), 4u);
    lock.release();
    EXPECT_EQ(lock.recursion_count(), 3u);
    EXPECT_TRUE(lock.acquire());
    EXPECT_EQ(lock.recursion_count(), 4u);
    for (int i = 0; i < 3; ++i) {
        lock.release();
        EXPECT_TRUE(lock.locked());
    }
    EXPECT_EQ(lock.recursion_count(), 1u);
    lock.release();
    EXPECT_FALSE(lock.locked());
    EXPECT_EQ(lock.recursion_count(), 0u);
}

TEST(RLock, ReleasingAnUnacquiredLockThrows) {  // test_release_unacquired
    threading::RLock lock;
    EXPECT_THAT([&] { lock.release(); }, cannot_release);
    lock.acquire();
    lock.acquire();
    lock.release();
    lock.acquire();
    lock.release();
    lock.release();
    EXPECT_THAT([&] { lock.release(); }, cannot_release);
    EXPECT_FALSE(lock.locked());
    EXPECT_TRUE(lock.acquire(false));  // the failed releases left no trace
    lock.release();
}

TEST(RLock, AnotherThreadCannotRelease) {  // RLockTests.test_different_thread
    threading::RLock lock;
    threading::Event acquired;
    threading::Event finish;
    threading::Thread owner([&] {
        lock.acquire();
        acquired.set();
        finish.wait();
        lock.release();
    });
    owner.start();
    ASSERT_TRUE(acquired.wait(30s));
    EXPECT_THAT([&] { lock.release(); }, cannot_release);
    EXPECT_TRUE(lock.locked());  // still the other thread's
    EXPECT_FALSE(lock.acquire(false));
    finish.set();
    owner.join();
    EXPECT_FALSE(lock.locked());
}

TEST(RLock, IsOwnedOnlyByTheAcquiringThread) {  // test__is_owned
    threading::RLock lock;
    EXPECT_FALSE(lock.is_owned());
    lock.acquire();
    EXPECT_TRUE(lock.is_owned());
    lock.acquire();
    EXPECT_TRUE(lock.is_owned());
    bool owned_there = true;
    bool locked_there = false;
    std::size_t count_there = 99;
    in_another_thread([&] {
        owned_there = lock.is_owned();
        locked_there = lock.locked();
        count_there = lock.recursion_count();
    });
    EXPECT_FALSE(owned_there);
    EXPECT_TRUE(locked_there);  // locked() is "held by anybody" (Python 3.14)
    EXPECT_EQ(count_there, 0u);
    lock.release();
    EXPECT_TRUE(lock.is_owned());
    lock.release();
    EXPECT_FALSE(lock.is_owned());
}

TEST(RLock, TryAcquireFromAnotherThreadFails) {  // test_try_acquire_contended
    threading::RLock lock;
    lock.acquire();
    bool result = true;
    bool try_lock_result = true;
    in_another_thread([&] {
        result = lock.acquire(false);
        try_lock_result = lock.try_lock();
    });
    EXPECT_FALSE(result);
    EXPECT_FALSE(try_lock_result);
    lock.release();
    in_another_thread([&] {
        result = lock.acquire(false);
        if (result) lock.release();
    });
    EXPECT_TRUE(result);
}

TEST(RLock, ContendersWaitUntilEveryLevelIsReleased) {  // test_acquire_contended
    threading::RLock lock;
    lock.acquire();
    lock.acquire();
    constexpr int n = 5;
    std::atomic<int> started{0};
    std::atomic<int> finished{0};
    std::vector<threading::Thread> threads;
    for (int i = 0; i < n; ++i) {
        threads.emplace_back([&] {
            started.fetch_add(1);
            lock.acquire();
            lock.acquire();
            lock.release();
            lock.release();
            finished.fetch_add(1);
        });
        threads.back().start();
    }
    ASSERT_TRUE(eventually([&] { return started.load() == n; }));
    std::this_thread::sleep_for(20ms);
    EXPECT_EQ(finished.load(), 0);
    lock.release();  // one level left: still held
    std::this_thread::sleep_for(20ms);
    EXPECT_EQ(finished.load(), 0);
    lock.release();
    for (auto& t : threads) t.join();
    EXPECT_EQ(finished.load(), n);
    EXPECT_FALSE(lock.locked());
}

TEST(RLock, TimeoutArgumentsAreChecked) {  // test_timeout, first part
    threading::RLock lock;
    const auto no_timeout_when_non_blocking =
        ThrowsMessage<ValueError>(StrEq("can't specify a timeout for a non-blocking call"));
    const auto negative = ThrowsMessage<ValueError>(StrEq("timeout value must be a non-negative number"));
    EXPECT_THAT([&] { lock.acquire(false, 1); }, no_timeout_when_non_blocking);
    EXPECT_THAT([&] { lock.acquire(true, -100); }, negative);
    EXPECT_THAT([&] { lock.acquire(true, std::numeric_limits<double>::quiet_NaN()); },
                ThrowsMessage<ValueError>(StrEq("Invalid value NaN (not a number)")));
    EXPECT_FALSE(lock.locked());
    // As in CPython, the arguments are checked before the owner is: the owner gets them too,
    // and a failed call does not count as a level.
    lock.acquire();
    EXPECT_THAT([&] { lock.acquire(false, 1); }, no_timeout_when_non_blocking);
    EXPECT_THAT([&] { lock.acquire(true, -100); }, negative);
    EXPECT_EQ(lock.recursion_count(), 1u);
    lock.release();
    EXPECT_FALSE(lock.locked());
    // A huge timeout is fine; an uncontended acquire does not wait for it.
    const auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(lock.acquire(true, 1e9));
    EXPECT_TRUE(lock.acquire(true, 5));
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
    lock.release();
    lock.release();
}

TEST(RLock, TimedAcquireFromAnotherThreadTimesOut) {  // test_timeout, second part
    threading::RLock lock;
    lock.acquire();
    bool result = true;
    std::chrono::steady_clock::duration elapsed{};
    in_another_thread([&] {
        const auto start = std::chrono::steady_clock::now();
        result = lock.acquire(true, 0.05);
        elapsed = std::chrono::steady_clock::now() - start;
    });
    EXPECT_FALSE(result);
    EXPECT_GE(elapsed, 50ms);
    EXPECT_LT(elapsed, 30s);
    EXPECT_EQ(lock.recursion_count(), 1u);  // the owner's state is untouched
    lock.release();
    EXPECT_FALSE(lock.locked());
}

TEST(RLock, TimedAcquireSucceedsWhenReleasedInTime) {
    threading::RLock lock;
    lock.acquire();
    lock.acquire();
    threading::Event waiting;
    bool result = false;
    bool owned_after = false;
    threading::Thread waiter([&] {
        waiting.set();
        result = lock.acquire(true, 60);
        owned_after = lock.is_owned();
        if (result) lock.release();
    });
    waiter.start();
    ASSERT_TRUE(waiting.wait(30s));
    std::this_thread::sleep_for(10ms);
    lock.release();
    lock.release();
    waiter.join();
    EXPECT_TRUE(result);
    EXPECT_TRUE(owned_after);
    EXPECT_FALSE(lock.locked());
}

TEST(RLock, WorksWithTheStandardGuards) {  // test_with
    threading::RLock lock;
    {
        std::lock_guard outer(lock);
        std::lock_guard inner(lock);  // reentrant
        EXPECT_EQ(lock.recursion_count(), 2u);
    }
    EXPECT_FALSE(lock.locked());
    // An exception leaving the block releases the lock.
    EXPECT_THROW(
        {
            std::lock_guard guard(lock);
            throw std::invalid_argument("TypeError");
        },
        std::invalid_argument);
    EXPECT_FALSE(lock.locked());
    bool acquired_there = false;
    in_another_thread([&] {
        std::unique_lock guard(lock, std::try_to_lock);
        acquired_there = guard.owns_lock();
    });
    EXPECT_TRUE(acquired_there);
    // Timed: another thread holds it.
    lock.acquire();
    bool timed = true;
    bool until = true;
    in_another_thread([&] {
        std::unique_lock a(lock, 10ms);
        timed = a.owns_lock();
        std::unique_lock b(lock, std::chrono::steady_clock::now() + 10ms);
        until = b.owns_lock();
    });
    EXPECT_FALSE(timed);
    EXPECT_FALSE(until);
    {
        std::unique_lock again(lock, 10ms);  // the owner: at once
        EXPECT_TRUE(again.owns_lock());
        EXPECT_EQ(lock.recursion_count(), 2u);
    }
    lock.release();
    EXPECT_FALSE(lock.locked());
}

TEST(RLock, ExcludesUnderContentionWithRecursion) {
    threading::RLock lock;
    constexpr int workers = 4;
    constexpr int rounds = 5000;
    long counter = 0;  // guarded by lock: ThreadSanitizer checks the ordering
    std::atomic<int> inside{0};
    std::atomic<int> overlaps{0};
    threading::Event go;
    std::vector<threading::Thread> threads;
    for (int w = 0; w < workers; ++w) {
        threads.emplace_back([&, w] {
            go.wait();
            for (int i = 0; i < rounds; ++i) {
                if (w % 2 == 0) {
                    lock.acquire();
                } else {
                    while (!lock.acquire(true, 10)) {
                    }
                }
                if (inside.fetch_add(1, std::memory_order_relaxed) != 0) overlaps.fetch_add(1);
                {
                    std::lock_guard again(lock);
                    ++counter;
                }
                if (lock.recursion_count() != 1) overlaps.fetch_add(1);
                inside.fetch_sub(1, std::memory_order_relaxed);
                lock.release();
            }
        });
        threads.back().start();
    }
    go.set();
    for (auto& t : threads) t.join();
    EXPECT_EQ(counter, long{workers} * rounds);
    EXPECT_EQ(overlaps.load(), 0);
    EXPECT_FALSE(lock.locked());
}

TEST(RLock, ReleasedByItsOwnerAfterAnotherThreadsFailedRelease) {
    // A non-owner's failed release must not disturb the owner's count.
    threading::RLock lock;
    lock.acquire();
    lock.acquire();
    bool threw = false;
    in_another_thread([&] {
        try {
            lock.release();
        } catch (const RuntimeError&) {
            threw = true;
        }
    });
    EXPECT_TRUE(threw);
    EXPECT_EQ(lock.recursion_count(), 2u);
    lock.release();
    EXPECT_TRUE(lock.locked());
    lock.release();
    EXPECT_FALSE(lock.locked());
}

}  // namespace
