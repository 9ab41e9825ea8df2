// threading::Lock: acquire/release, argument errors, timeouts, cross-thread release, exclusion.
#include "concurrence/threading/lock.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <limits>
#include <mutex>
#include <thread>
#include <vector>

#include "concurrence/threading/event.hpp"
#include "concurrence/threading/thread.hpp"
#include "threading/threading_support.hpp"

namespace {

using threading_test::AcquireTakes;

namespace threading = concurrence::threading;
using concurrence::RuntimeError;
using concurrence::ValueError;
using testing::StrEq;
using testing::ThrowsMessage;
using namespace std::chrono_literals;

// acquire(0.5) would read as acquire(blocking=true): it must not compile.
static_assert(!AcquireTakes<threading::Lock, double>);
static_assert(!AcquireTakes<threading::Lock, int>);
static_assert(AcquireTakes<threading::Lock, bool>);

TEST(Lock, AcquireAndRelease) {
    threading::Lock lock;
    EXPECT_FALSE(lock.locked());
    EXPECT_TRUE(lock.acquire());
    EXPECT_TRUE(lock.locked());
    lock.release();
    EXPECT_FALSE(lock.locked());
}

TEST(Lock, ReleasingAnUnlockedLockThrows) {
    threading::Lock lock;
    EXPECT_THAT([&] { lock.release(); }, ThrowsMessage<RuntimeError>(StrEq("release unlocked lock")));
    lock.acquire();
    lock.release();
    EXPECT_THAT([&] { lock.release(); }, ThrowsMessage<RuntimeError>(StrEq("release unlocked lock")));
    EXPECT_FALSE(lock.locked());
}

TEST(Lock, NonBlockingAcquireOfAHeldLockFails) {
    threading::Lock lock;
    EXPECT_TRUE(lock.acquire(false));
    EXPECT_FALSE(lock.acquire(false));
    EXPECT_FALSE(lock.acquire(true, 0));
    EXPECT_FALSE(lock.try_lock());
    lock.release();
    EXPECT_TRUE(lock.acquire(true, 0));
    lock.release();
}

TEST(Lock, ArgumentErrorsHavePythonsMessages) {
    threading::Lock lock;
    const auto no_timeout_when_non_blocking =
        ThrowsMessage<ValueError>(StrEq("can't specify a timeout for a non-blocking call"));
    EXPECT_THAT([&] { lock.acquire(false, 1); }, no_timeout_when_non_blocking);
    EXPECT_THAT([&] { lock.acquire(false, 0); }, no_timeout_when_non_blocking);
    EXPECT_THAT([&] { lock.acquire(false, 10ms); }, no_timeout_when_non_blocking);
    const auto negative = ThrowsMessage<ValueError>(StrEq("timeout value must be a non-negative number"));
    EXPECT_THAT([&] { lock.acquire(true, -2); }, negative);
    EXPECT_THAT([&] { lock.acquire(true, -0.5); }, negative);
    EXPECT_THAT([&] { lock.acquire(true, -1ms); }, negative);
    EXPECT_THAT([&] { lock.acquire(true, std::numeric_limits<double>::quiet_NaN()); },
                ThrowsMessage<ValueError>(StrEq("Invalid value NaN (not a number)")));
    EXPECT_FALSE(lock.locked());
    EXPECT_TRUE(lock.acquire(true, -1));  // -1 is Python's "no timeout"
    lock.release();
}

TEST(Lock, TimedAcquireOfAHeldLockTimesOut) {
    threading::Lock lock;
    lock.acquire();
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(lock.acquire(true, 0.05));
    const auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_GE(elapsed, 50ms);
    EXPECT_LT(elapsed, 10s);
    EXPECT_FALSE(lock.acquire(true, 1ms));
    EXPECT_TRUE(lock.locked());
    lock.release();  // the failed waits left no trace: release and reacquire still work
    EXPECT_TRUE(lock.acquire(false));
    lock.release();
}

TEST(Lock, TimedAcquireSucceedsWhenReleasedInTime) {
    threading::Lock lock;
    lock.acquire();
    bool acquired = false;
    threading::Thread waiter([&] { acquired = lock.acquire(true, 60); });
    waiter.start();
    lock.release();
    waiter.join();
    EXPECT_TRUE(acquired);
    EXPECT_TRUE(lock.locked());  // the waiter took it and ended holding it: a Lock has no owner
    lock.release();
}

TEST(Lock, AnotherThreadMayRelease) {
    threading::Lock lock;
    lock.acquire();
    threading::Thread releaser([&] { lock.release(); });
    releaser.start();
    releaser.join();
    EXPECT_FALSE(lock.locked());
}

TEST(Lock, BlockedAcquireWakesWhenAnotherThreadReleases) {
    // Python's idiom: a held Lock as a one-shot signal from a worker to the waiting thread.
    threading::Lock done;
    done.acquire();
    int result = 0;
    threading::Thread worker([&] {
        result = 42;
        done.release();
    });
    worker.start();
    EXPECT_TRUE(done.acquire());  // blocks until the worker releases
    EXPECT_EQ(result, 42);
    done.release();
    worker.join();
}

TEST(Lock, WorksWithTheStandardGuards) {
    threading::Lock a;
    threading::Lock b;
    {
        std::lock_guard guard(a);
        EXPECT_TRUE(a.locked());
    }
    EXPECT_FALSE(a.locked());
    {
        std::scoped_lock both(a, b);
        EXPECT_TRUE(a.locked());
        EXPECT_TRUE(b.locked());
    }
    EXPECT_FALSE(a.locked());
    EXPECT_FALSE(b.locked());
    a.acquire();
    {
        std::unique_lock timed(a, 10ms);
        EXPECT_FALSE(timed.owns_lock());
        std::unique_lock until(a, std::chrono::steady_clock::now() + 10ms);
        EXPECT_FALSE(until.owns_lock());
        std::unique_lock tried(a, std::try_to_lock);
        EXPECT_FALSE(tried.owns_lock());
    }
    a.release();
    {
        std::unique_lock timed(a, 10ms);
        EXPECT_TRUE(timed.owns_lock());
    }
    EXPECT_FALSE(a.locked());
}

TEST(Lock, ExcludesUnderContention) {
    threading::Lock lock;
    constexpr int workers = 4;
    constexpr int rounds = 20000;
    long counter = 0;          // guarded by lock: ThreadSanitizer checks the ordering
    std::atomic<int> inside{0};
    std::atomic<int> overlaps{0};
    const auto critical_section = [&] {
        if (inside.fetch_add(1, std::memory_order_relaxed) != 0) overlaps.fetch_add(1, std::memory_order_relaxed);
        ++counter;
        inside.fetch_sub(1, std::memory_order_relaxed);
    };
    threading::Event go;
    std::vector<threading::Thread> threads;
    for (int w = 0; w < workers; ++w) {
        // Every way in: lock_guard, acquire(), timed acquire, try_lock in a loop.
        threads.emplace_back([&, w] {
            go.wait();
            for (int i = 0; i < rounds; ++i) {
                switch (w % 4) {
                    case 0: {
                        std::lock_guard guard(lock);
                        critical_section();
                        break;
                    }
                    case 1:
                        lock.acquire();
                        critical_section();
                        lock.release();
                        break;
                    case 2:
                        while (!lock.acquire(true, 10)) {
                        }
                        critical_section();
                        lock.release();
                        break;
                    default:
                        while (!lock.try_lock()) std::this_thread::yield();
                        critical_section();
                        lock.unlock();
                        break;
                }
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

TEST(Lock, ManyWaitersAllGetTheirTurn) {
    threading::Lock lock;
    lock.acquire();
    constexpr int waiters = 8;
    int turns = 0;
    std::vector<threading::Thread> threads;
    for (int i = 0; i < waiters; ++i) {
        threads.emplace_back([&] {
            lock.acquire();
            ++turns;
            lock.release();
        });
        threads.back().start();
    }
    lock.release();  // each release wakes one sleeper, which wakes the next in turn
    for (auto& t : threads) t.join();
    EXPECT_EQ(turns, waiters);
    EXPECT_FALSE(lock.locked());
}

}  // namespace
