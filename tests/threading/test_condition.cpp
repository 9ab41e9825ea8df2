// threading::Condition: its lock, the un-acquired errors, notify(n) and notify_all in FIFO
// order, wait timeouts, wait_for, waiting on a Lock and on an RLock held several times.
// Ports CPython's Lib/test/lock_tests.py ConditionTests (test_acquire, test_unacquired_wait,
// test_unacquired_notify, test_notify, test_timeout, test_waitfor, test_waitfor_timeout).
#include "concurrence/threading/condition.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "concurrence/threading/event.hpp"
#include "concurrence/threading/lock.hpp"
#include "concurrence/threading/rlock.hpp"
#include "concurrence/threading/thread.hpp"
#include "threading/threading_support.hpp"

namespace {

using threading_test::eventually;

namespace threading = concurrence::threading;
using concurrence::RuntimeError;
using testing::ElementsAre;
using testing::UnorderedElementsAre;
using testing::StrEq;
using testing::ThrowsMessage;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Polls until condition() holds; false after 30 s (a hang, not a slow machine).

// Reads under the condition's lock.
template <class F>
auto locked(threading::Condition& cond, F f) {
    std::lock_guard guard(cond);
    return f();
}

const auto cannot_wait = ThrowsMessage<RuntimeError>(StrEq("cannot wait on un-acquired lock"));
const auto cannot_notify = ThrowsMessage<RuntimeError>(StrEq("cannot notify on un-acquired lock"));

TEST(Condition, DefaultLockIsReentrantAndAGivenLockIsUsed) {  // test_acquire
    threading::Condition cond;
    EXPECT_TRUE(cond.acquire());
    EXPECT_TRUE(cond.acquire());  // an RLock by default
    cond.release();
    cond.release();
    EXPECT_THAT([&] { cond.release(); }, ThrowsMessage<RuntimeError>(StrEq("cannot release un-acquired lock")));

    threading::Lock lock;
    threading::Condition over_lock(lock);
    over_lock.acquire();
    EXPECT_FALSE(lock.acquire(false));
    over_lock.release();
    EXPECT_TRUE(lock.acquire(false));
    EXPECT_FALSE(over_lock.acquire(false));
    lock.release();
    {
        std::lock_guard guard(over_lock);
        EXPECT_FALSE(lock.acquire(false));
    }
    EXPECT_FALSE(lock.locked());
    EXPECT_THAT([&] { over_lock.release(); }, ThrowsMessage<RuntimeError>(StrEq("release unlocked lock")));
}

TEST(Condition, SharesAGivenRLock) {
    threading::RLock lock;
    threading::Condition a(lock);
    threading::Condition b(lock);
    a.acquire();
    EXPECT_TRUE(lock.is_owned());
    EXPECT_TRUE(b.acquire(false));  // the same RLock: reentrant
    EXPECT_EQ(lock.recursion_count(), 2u);
    b.notify();  // b's lock is held: no error
    b.release();
    a.release();
    EXPECT_FALSE(lock.locked());
    bool acquired_there = true;
    lock.acquire();
    threading::Thread other([&] { acquired_there = a.acquire(true, 0.01); });
    other.start();
    other.join();
    EXPECT_FALSE(acquired_there);
    lock.release();
}

TEST(Condition, WaitWithoutTheLockThrows) {  // test_unacquired_wait
    threading::Condition cond;
    EXPECT_THAT([&] { cond.wait(); }, cannot_wait);
    EXPECT_THAT([&] { cond.wait(0.01); }, cannot_wait);
    EXPECT_THAT([&] { cond.wait_for([] { return false; }, 0.01); }, cannot_wait);
    threading::Lock lock;
    threading::Condition over_lock(lock);
    EXPECT_THAT([&] { over_lock.wait(); }, cannot_wait);
    EXPECT_FALSE(lock.locked());
}

TEST(Condition, NotifyWithoutTheLockThrows) {  // test_unacquired_notify
    threading::Condition cond;
    EXPECT_THAT([&] { cond.notify(); }, cannot_notify);
    EXPECT_THAT([&] { cond.notify(3); }, cannot_notify);
    EXPECT_THAT([&] { cond.notify_all(); }, cannot_notify);
    threading::Lock lock;
    threading::Condition over_lock(lock);
    EXPECT_THAT([&] { over_lock.notify(); }, cannot_notify);
    EXPECT_THAT([&] { over_lock.notify_all(); }, cannot_notify);
}

TEST(Condition, WaitAndNotifyInAThreadThatDoesNotOwnTheRLockThrow) {
    threading::RLock lock;
    threading::Condition cond(lock);
    threading::Event held;
    threading::Event finish;
    threading::Thread owner([&] {
        std::lock_guard guard(cond);
        held.set();
        finish.wait();
    });
    owner.start();
    ASSERT_TRUE(held.wait(30s));
    EXPECT_THAT([&] { cond.wait(0.01); }, cannot_wait);
    EXPECT_THAT([&] { cond.notify(); }, cannot_notify);
    finish.set();
    owner.join();
}

TEST(Condition, NotifyNWakesNWaitersInTheOrderTheyCame) {  // test_notify (_check_notify)
    threading::Condition cond;
    constexpr int n = 5;
    // All guarded by cond.
    int first_waiting = 0;
    int second_waiting = 0;
    int phase = 0;
    std::vector<int> woken_first;
    std::vector<int> woken_second;
    std::vector<std::pair<bool, int>> results;  // (wait's result, phase when woken)
    std::vector<threading::Thread> threads;
    for (int i = 0; i < n; ++i) {
        threads.emplace_back([&, i] {
            std::unique_lock guard(cond);
            ++first_waiting;
            bool result = cond.wait();
            results.emplace_back(result, phase);
            woken_first.push_back(i);
            ++second_waiting;
            result = cond.wait();
            results.emplace_back(result, phase);
            woken_second.push_back(i);
        });
        threads.back().start();
        // Holding the lock and seeing the count means thread i let go of it in wait(): it waits,
        // after threads 0..i-1.
        ASSERT_TRUE(eventually([&] { return locked(cond, [&] { return first_waiting == i + 1; }); }));
    }
    std::this_thread::sleep_for(10ms);
    EXPECT_TRUE(locked(cond, [&] { return results.empty(); }));

    {
        std::lock_guard guard(cond);
        cond.notify(0);  // nobody
        cond.notify(2);
        std::this_thread::sleep_for(10ms);
        phase = 1;  // the woken threads must still wait for the lock
    }
    ASSERT_TRUE(eventually([&] { return locked(cond, [&] { return second_waiting == 2; }); }));
    std::this_thread::sleep_for(10ms);
    {
        std::lock_guard guard(cond);
        // The two longest waiting, and no more (in the order they got the lock back).
        EXPECT_THAT(woken_first, UnorderedElementsAre(0, 1));
        EXPECT_TRUE(woken_second.empty());
        // Waiting now, oldest first: 2, 3, 4 (first wait), then 0 and 1 (second wait) in the
        // order they went back to waiting, which is woken_first's.
        cond.notify(4);
        phase = 2;
    }
    ASSERT_TRUE(eventually([&] { return locked(cond, [&] { return second_waiting == n && woken_second.size() == 1; }); }));
    std::this_thread::sleep_for(10ms);
    {
        std::lock_guard guard(cond);
        std::vector<int> later = {woken_first.begin() + 2, woken_first.end()};
        EXPECT_THAT(later, UnorderedElementsAre(2, 3, 4));
        EXPECT_THAT(woken_second, ElementsAre(woken_first[0]));
        cond.notify_all();
        phase = 3;
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(woken_second.size(), std::size_t{n});
    ASSERT_EQ(results.size(), std::size_t{2 * n});
    int per_phase[4] = {0, 0, 0, 0};
    for (const auto& [result, woken_in] : results) {
        EXPECT_TRUE(result);
        ASSERT_GE(woken_in, 1);
        ASSERT_LE(woken_in, 3);
        ++per_phase[woken_in];
    }
    EXPECT_EQ(per_phase[1], 2);
    EXPECT_EQ(per_phase[2], 4);
    EXPECT_EQ(per_phase[3], 4);
}

TEST(Condition, NotifyWithNoWaitersIsANoOp) {
    threading::Condition cond;
    std::lock_guard guard(cond);
    cond.notify();
    cond.notify(10);
    cond.notify_all();
    EXPECT_FALSE(cond.wait(0.001));  // no notification was kept for a later waiter
}

TEST(Condition, WaitTimesOutWithTheLockRetaken) {  // test_timeout
    threading::RLock lock;
    threading::Condition cond(lock);
    constexpr int n = 3;
    struct Result {
        bool result = true;
        bool owned_after = false;
        Clock::duration elapsed{};
    };
    std::vector<Result> results(n);
    std::vector<threading::Thread> threads;
    for (int i = 0; i < n; ++i) {
        threads.emplace_back([&, i] {
            std::lock_guard guard(cond);
            const auto start = Clock::now();
            results[static_cast<std::size_t>(i)].result = cond.wait(0.05);
            results[static_cast<std::size_t>(i)].elapsed = Clock::now() - start;
            results[static_cast<std::size_t>(i)].owned_after = lock.is_owned();
        });
        threads.back().start();
    }
    for (auto& t : threads) t.join();
    for (const auto& r : results) {
        EXPECT_FALSE(r.result);
        EXPECT_TRUE(r.owned_after);
        EXPECT_GE(r.elapsed, 50ms);
        EXPECT_LT(r.elapsed, 30s);
    }
    EXPECT_FALSE(lock.locked());
}

TEST(Condition, ANonPositiveTimeoutOnlyLetsGoOfTheLock) {
    threading::Lock lock;
    threading::Condition cond(lock);
    std::lock_guard guard(cond);
    const auto start = Clock::now();
    EXPECT_FALSE(cond.wait(0));
    EXPECT_FALSE(cond.wait(-1));
    EXPECT_FALSE(cond.wait(0ms));
    EXPECT_LT(Clock::now() - start, 30s);
    EXPECT_TRUE(lock.locked());
}

TEST(Condition, WaitWithoutTimeoutReturnsTrueWhenNotified) {
    threading::Condition cond;
    bool ready = false;  // guarded by cond
    std::optional<bool> result;
    threading::Thread waiter([&] {
        std::lock_guard guard(cond);
        ready = true;
        result = cond.wait();
    });
    waiter.start();
    ASSERT_TRUE(eventually([&] { return locked(cond, [&] { return ready; }); }));
    std::this_thread::sleep_for(10ms);
    EXPECT_FALSE(locked(cond, [&] { return result.has_value(); }));  // still asleep
    {
        std::lock_guard guard(cond);
        cond.notify();
    }
    waiter.join();
    ASSERT_TRUE(result.has_value());
    EXPECT_TRUE(*result);
}

TEST(Condition, WaitLetsGoOfAPlainLockAndTakesItBack) {
    threading::Lock lock;
    threading::Condition cond(lock);
    bool waiting = false;  // guarded by lock
    bool still_locked_after = false;
    threading::Thread waiter([&] {
        std::lock_guard guard(cond);
        waiting = true;
        cond.wait();
        still_locked_after = lock.locked();
    });
    waiter.start();
    // Acquiring the lock itself succeeds only because wait() released it.
    ASSERT_TRUE(eventually([&] {
        std::lock_guard guard(lock);
        return waiting;
    }));
    {
        std::lock_guard guard(lock);
        cond.notify();
    }
    waiter.join();
    EXPECT_TRUE(still_locked_after);
    EXPECT_FALSE(lock.locked());
}

TEST(Condition, WaitRestoresAnRLockHeldSeveralTimes) {
    threading::RLock lock;
    threading::Condition cond(lock);
    lock.acquire();
    lock.acquire();
    cond.acquire();  // three levels
    bool acquired_by_notifier = false;
    threading::Thread notifier([&] {
        // Gets the lock only once wait() has let go of all three levels.
        std::lock_guard guard(cond);
        acquired_by_notifier = true;
        cond.notify();
    });
    notifier.start();
    EXPECT_TRUE(cond.wait(60));
    EXPECT_TRUE(acquired_by_notifier);
    EXPECT_TRUE(lock.is_owned());
    EXPECT_EQ(lock.recursion_count(), 3u);
    notifier.join();
    lock.release();
    lock.release();
    EXPECT_TRUE(lock.locked());
    lock.release();
    EXPECT_FALSE(lock.locked());
    EXPECT_THAT([&] { lock.release(); }, ThrowsMessage<RuntimeError>(StrEq("cannot release un-acquired lock")));
}

TEST(Condition, WaitRestoresItsOwnRLockHeldSeveralTimes) {
    threading::Condition cond;
    cond.acquire();
    cond.acquire();
    bool notified = false;  // guarded by cond
    threading::Thread notifier([&] {
        std::lock_guard guard(cond);  // only once wait() has let go of both levels
        notified = true;
        cond.notify();
    });
    notifier.start();
    EXPECT_TRUE(cond.wait_for([&] { return notified; }, 60));
    notifier.join();
    // Exactly two levels back: two releases work, a third throws, another thread can take it.
    cond.release();
    cond.release();
    EXPECT_THAT([&] { cond.release(); }, ThrowsMessage<RuntimeError>(StrEq("cannot release un-acquired lock")));
    bool free_there = false;
    threading::Thread other([&] {
        free_there = cond.acquire(false);
        if (free_there) cond.release();
    });
    other.start();
    other.join();
    EXPECT_TRUE(free_there);
}

TEST(Condition, WaitForReturnsOnceThePredicateHolds) {  // test_waitfor
    threading::Condition cond;
    int state = 0;  // guarded by cond
    std::optional<bool> result;
    int state_seen = -1;
    int calls = 0;
    threading::Thread waiter([&] {
        std::lock_guard guard(cond);
        result = cond.wait_for([&] {
            ++calls;
            return state == 4;
        });
        state_seen = state;
    });
    waiter.start();
    for (int i = 0; i < 4; ++i) {
        std::this_thread::sleep_for(5ms);
        std::lock_guard guard(cond);
        ++state;
        cond.notify();
    }
    waiter.join();
    ASSERT_TRUE(result.has_value());
    EXPECT_TRUE(*result);
    EXPECT_EQ(state_seen, 4);
    EXPECT_GE(calls, 1);
    EXPECT_LE(calls, 5);  // checked once per notification at most, never spinning
}

TEST(Condition, WaitForTimesOutWithThePredicatesValue) {  // test_waitfor_timeout
    threading::Condition cond;
    int state = 0;  // guarded by cond
    std::optional<bool> result;
    Clock::duration elapsed{};
    threading::Event started;
    threading::Thread waiter([&] {
        std::lock_guard guard(cond);
        started.set();
        const auto start = Clock::now();
        result = cond.wait_for([&] { return state == 4; }, 0.1);
        elapsed = Clock::now() - start;
    });
    waiter.start();
    ASSERT_TRUE(started.wait(30s));
    for (int i = 0; i < 3; ++i) {  // state == 4 is never reached
        std::this_thread::sleep_for(5ms);
        std::lock_guard guard(cond);
        ++state;
        cond.notify();
    }
    waiter.join();
    ASSERT_TRUE(result.has_value());
    EXPECT_FALSE(*result);
    EXPECT_GE(elapsed, 100ms);
    EXPECT_LT(elapsed, 30s);
}

TEST(Condition, WaitForReturnsWhatThePredicateReturns) {
    threading::Condition cond;
    std::lock_guard guard(cond);
    EXPECT_EQ(cond.wait_for([] { return 7; }), 7);  // true at once: no wait
    const int* none = nullptr;
    EXPECT_EQ(cond.wait_for([&] { return none; }, 0.01), nullptr);
    EXPECT_EQ(cond.wait_for([] { return 0; }, 0), 0);
}

TEST(Condition, WaitForTimeoutCountsFromTheCallAcrossWakeUps) {
    threading::Condition cond;
    std::atomic<bool> done{false};
    std::optional<bool> result;
    Clock::duration elapsed{};
    threading::Thread waiter([&] {
        std::lock_guard guard(cond);
        const auto start = Clock::now();
        result = cond.wait_for([] { return false; }, 0.1);
        elapsed = Clock::now() - start;
        done = true;
    });
    // Wakes the waiter every few milliseconds: a timeout restarted at each wake-up would never
    // pass (the notifier gives up after 10 s).
    threading::Thread notifier([&] {
        const auto give_up = Clock::now() + 10s;
        while (!done.load() && Clock::now() < give_up) {
            {
                std::lock_guard guard(cond);
                cond.notify_all();
            }
            std::this_thread::sleep_for(2ms);
        }
    });
    waiter.start();
    notifier.start();
    waiter.join();
    notifier.join();
    ASSERT_TRUE(result.has_value());
    EXPECT_FALSE(*result);
    EXPECT_GE(elapsed, 100ms);
    EXPECT_LT(elapsed, 5s);
}

TEST(Condition, ProducersAndConsumersLoseNoNotification) {
    threading::Condition cond;
    std::deque<int> items;  // guarded by cond
    constexpr int producers = 2;
    constexpr int consumers = 3;
    constexpr int per_producer = 500;
    long sum = 0;  // guarded by cond
    int received = 0;
    std::vector<threading::Thread> threads;
    for (int c = 0; c < consumers; ++c) {
        threads.emplace_back([&] {
            std::unique_lock guard(cond);
            for (;;) {
                cond.wait_for([&] { return !items.empty(); });
                const int item = items.front();
                items.pop_front();
                if (item < 0) return;  // one stop mark per consumer
                sum += item;
                ++received;
            }
        });
        threads.back().start();
    }
    std::vector<threading::Thread> senders;
    for (int p = 0; p < producers; ++p) {
        senders.emplace_back([&] {
            for (int i = 1; i <= per_producer; ++i) {
                std::lock_guard guard(cond);
                items.push_back(i);
                cond.notify();
            }
        });
        senders.back().start();
    }
    for (auto& t : senders) t.join();
    {
        std::lock_guard guard(cond);
        for (int c = 0; c < consumers; ++c) items.push_back(-1);
        cond.notify(consumers);
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(received, producers * per_producer);
    EXPECT_EQ(sum, long{producers} * per_producer * (per_producer + 1) / 2);
    EXPECT_TRUE(items.empty());
}

}  // namespace
