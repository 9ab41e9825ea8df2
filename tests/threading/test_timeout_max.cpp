// threading::TIMEOUT_MAX: a longer timeout throws OverflowError "timeout value is too large",
// where Python raises it: at once for Lock/RLock.acquire and Thread.join, and only when the call
// would wait for Condition, Event, Semaphore and Barrier (theirs go through Condition.wait).
// TIMEOUT_MAX itself is accepted everywhere.
#include "concurrence/threading/timeout_max.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <limits>

#include "concurrence/threading/barrier.hpp"
#include "concurrence/threading/condition.hpp"
#include "concurrence/threading/event.hpp"
#include "concurrence/threading/lock.hpp"
#include "concurrence/threading/rlock.hpp"
#include "concurrence/threading/semaphore.hpp"
#include "concurrence/threading/thread.hpp"

namespace {

namespace threading = concurrence::threading;
using concurrence::OverflowError;
using testing::StrEq;
using testing::ThrowsMessage;

constexpr double too_long = threading::TIMEOUT_MAX * 2;
constexpr auto too_large = "timeout value is too large";

TEST(TimeoutMax, IsAboutSeventyThreeYearsAndFitsADelay) {
    EXPECT_GT(threading::TIMEOUT_MAX, 73.0 * 365 * 24 * 3600);
    EXPECT_LT(threading::TIMEOUT_MAX, 74.0 * 365 * 24 * 3600);
    EXPECT_LT(concurrence::Delay(threading::TIMEOUT_MAX).nanoseconds(), concurrence::Delay::max_ns);
}

TEST(TimeoutMax, LockAcceptsTimeoutMaxAndRejectsMoreEvenWhenFree) {
    threading::Lock lock;
    EXPECT_THAT([&] { (void)lock.acquire(true, too_long); }, ThrowsMessage<OverflowError>(StrEq(too_large)));
    EXPECT_THAT([&] { (void)lock.acquire(true, std::chrono::hours::max()); },
                ThrowsMessage<OverflowError>(StrEq(too_large)));
    EXPECT_FALSE(lock.locked());
    EXPECT_TRUE(lock.acquire(true, threading::TIMEOUT_MAX));
    lock.release();
    // Python checks the value after the sign: a huge negative timeout is a ValueError.
    EXPECT_THROW((void)lock.acquire(true, -too_long), concurrence::ValueError);
}

TEST(TimeoutMax, RLockRejectsMore) {
    threading::RLock lock;
    EXPECT_THAT([&] { (void)lock.acquire(true, too_long); }, ThrowsMessage<OverflowError>(StrEq(too_large)));
    EXPECT_TRUE(lock.acquire(true, threading::TIMEOUT_MAX));
    lock.release();
}

TEST(TimeoutMax, ConditionWaitRejectsMoreAndKeepsTheLockHeld) {
    threading::RLock lock;
    threading::Condition cond(lock);
    cond.acquire();
    EXPECT_THAT([&] { (void)cond.wait(too_long); }, ThrowsMessage<OverflowError>(StrEq(too_large)));
    EXPECT_TRUE(lock.is_owned());
    // wait_for only waits when the predicate is false.
    EXPECT_TRUE(cond.wait_for([] { return true; }, too_long));
    EXPECT_THAT([&] { (void)cond.wait_for([] { return false; }, too_long); },
                ThrowsMessage<OverflowError>(StrEq(too_large)));
    EXPECT_TRUE(lock.is_owned());
    cond.release();
}

TEST(TimeoutMax, EventWaitRejectsMoreOnlyWhenItWouldWait) {
    threading::Event event;
    EXPECT_THAT([&] { (void)event.wait(too_long); }, ThrowsMessage<OverflowError>(StrEq(too_large)));
    event.set();
    EXPECT_TRUE(event.wait(too_long));
}

TEST(TimeoutMax, SemaphoreAcquireRejectsMoreOnlyWhenItWouldWait) {
    threading::Semaphore sem(1);
    EXPECT_TRUE(sem.acquire(true, too_long));
    EXPECT_THAT([&] { (void)sem.acquire(true, too_long); }, ThrowsMessage<OverflowError>(StrEq(too_large)));
    sem.release();
    EXPECT_TRUE(sem.acquire(false));  // the failed acquire took nothing
}

TEST(TimeoutMax, BarrierWaitRejectsMoreWithoutBreakingTheBarrier) {
    threading::Barrier single(1);
    EXPECT_EQ(single.wait(too_long), 0u);  // the last arrival never waits
    threading::Barrier pair(2);
    EXPECT_THAT([&] { (void)pair.wait(too_long); }, ThrowsMessage<OverflowError>(StrEq(too_large)));
    EXPECT_FALSE(pair.broken());
    EXPECT_EQ(pair.n_waiting(), 0u);
}

TEST(TimeoutMax, ThreadJoinRejectsMore) {
    threading::Event go;
    threading::Thread t([&go] { go.wait(); });
    t.start();
    EXPECT_THAT([&] { t.join(too_long); }, ThrowsMessage<OverflowError>(StrEq(too_large)));
    EXPECT_TRUE(t.is_alive());
    go.set();
    t.join(threading::TIMEOUT_MAX);
    EXPECT_FALSE(t.is_alive());
}

// The C++ Lockable names keep C++'s meaning: duration::max() is "for ever", not an error.
TEST(TimeoutMax, TryLockForDurationMaxWaitsWithoutATimeout) {
    threading::Lock lock;
    EXPECT_TRUE(lock.try_lock_for(std::chrono::hours::max()));
    EXPECT_FALSE(lock.try_lock_for(std::chrono::hours::zero()));
    lock.unlock();
    threading::RLock rlock;
    EXPECT_TRUE(rlock.try_lock_until(std::chrono::steady_clock::time_point::max()));
    rlock.unlock();
    threading::Semaphore sem(1);
    EXPECT_TRUE(sem.try_lock_for(std::chrono::nanoseconds::max()));
    EXPECT_FALSE(sem.try_lock_for(std::chrono::milliseconds(1)));
    sem.unlock();
}

}  // namespace
