// asyncio::Lock: the semantics of CPython's Lib/test/test_asyncio/test_locks.py LockTests
// (3.13: strict FIFO, a cancelled waiter passes its wake-up on), ported to C++. Each test
// names the CPython test it ports; tests marked "extra" check a documented behaviour that
// CPython tests only indirectly.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include "semantic/support.hpp"
#include "sync/sync_support.hpp"

namespace {

namespace asyncio = concurrence::asyncio;
using semantic::error_of;
using semantic::holds;
using semantic::what_of;
using testing::EndsWith;
using testing::HasSubstr;
using testing::Not;

// CPython's RGX_REPR, in the library's shape: "<asyncio::Lock at 0x... [locked, waiters:1]>".
bool lock_repr_matches(const std::string& repr) { return sync_test::repr_matches(repr, "asyncio::Lock", "locked|unlocked"); }

// A task's body for `asyncio.create_task(lock.acquire())`.
asyncio::Coro<bool> acquire_of(asyncio::Lock& lock) { co_return co_await lock.acquire(); }

// test_repr (Python appends mock waiters; here real ones)
TEST(LockTests, Repr) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Lock lock;
        EXPECT_THAT(lock.repr(), EndsWith("[unlocked]>"));
        EXPECT_TRUE(lock_repr_matches(lock.repr())) << lock.repr();

        co_await lock.acquire();
        EXPECT_THAT(lock.repr(), EndsWith("[locked]>"));
        EXPECT_TRUE(lock_repr_matches(lock.repr())) << lock.repr();

        auto t1 = asyncio::create_task(acquire_of(lock));
        co_await asyncio::sleep(0);
        EXPECT_THAT(lock.repr(), EndsWith("[locked, waiters:1]>"));
        EXPECT_TRUE(lock_repr_matches(lock.repr())) << lock.repr();
        auto t2 = asyncio::create_task(acquire_of(lock));
        co_await asyncio::sleep(0);
        EXPECT_THAT(lock.repr(), EndsWith("[locked, waiters:2]>"));
        EXPECT_TRUE(lock_repr_matches(lock.repr())) << lock.repr();

        // A woken waiter stays counted until it runs (Python keeps its done future in _waiters).
        lock.release();
        EXPECT_THAT(lock.repr(), EndsWith("[unlocked, waiters:2]>"));
        co_await t1;
        EXPECT_THAT(lock.repr(), EndsWith("[locked, waiters:1]>"));
        lock.release();
        co_await t2;
        EXPECT_THAT(lock.repr(), EndsWith("[locked]>"));
        lock.release();
        EXPECT_THAT(lock.repr(), EndsWith("[unlocked]>"));
    };
    asyncio::run(main());
}

// test_lock (the `await lock` TypeError has no C++ analogue: acquire yields true)
TEST(LockTests, AcquireYieldsTrue) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Lock lock;
        EXPECT_FALSE(lock.locked());
        EXPECT_TRUE(co_await lock.acquire());
        EXPECT_TRUE(lock.locked());
        lock.release();
        EXPECT_FALSE(lock.locked());
    };
    asyncio::run(main());
}

// test_acquire
TEST(LockTests, AcquireIsFifo) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Lock lock;
        std::vector<int> result;

        EXPECT_TRUE(co_await lock.acquire());

        auto c = [&](int n) -> asyncio::Coro<bool> {
            if (co_await lock.acquire()) result.push_back(n);
            co_return true;
        };
        auto t1 = asyncio::create_task(c(1));
        auto t2 = asyncio::create_task(c(2));

        co_await asyncio::sleep(0);
        EXPECT_EQ(result, (std::vector<int>{}));

        lock.release();
        co_await asyncio::sleep(0);
        EXPECT_EQ(result, (std::vector<int>{1}));

        co_await asyncio::sleep(0);
        EXPECT_EQ(result, (std::vector<int>{1}));

        auto t3 = asyncio::create_task(c(3));

        lock.release();
        co_await asyncio::sleep(0);
        EXPECT_EQ(result, (std::vector<int>{1, 2}));

        lock.release();
        co_await asyncio::sleep(0);
        EXPECT_EQ(result, (std::vector<int>{1, 2, 3}));

        EXPECT_TRUE(t1.done() && t1.result());
        EXPECT_TRUE(t2.done() && t2.result());
        EXPECT_TRUE(t3.done() && t3.result());
        lock.release();
    };
    asyncio::run(main());
}

// extra: strict FIFO. A lock released to a waiter that has not run yet is not free for a
// newcomer: its acquire() queues behind the woken waiter (Python 3.13's fast path only skips
// the queue when every waiter is cancelled).
TEST(LockTests, NewcomerDoesNotJumpAWokenWaiter) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Lock lock;
        semantic::Log log;
        co_await lock.acquire();
        auto waiter = [&](std::string name) -> asyncio::Coro<> {
            co_await lock.acquire();
            log.push_back(name);
            co_await asyncio::sleep(0);
            lock.release();
        };
        auto tb = asyncio::create_task(waiter("b"));
        co_await asyncio::sleep(0);
        lock.release();
        EXPECT_FALSE(lock.locked());
        // The lock is free, yet b was promised it: we queue behind b.
        co_await lock.acquire();
        log.push_back("main");
        EXPECT_TRUE(tb.done());
        EXPECT_EQ(log, (semantic::Log{"b", "main"}));
        lock.release();
        co_await tb;
    };
    asyncio::run(main());
}

// extra: FIFO with many tasks, each taking the lock twice.
TEST(LockTests, ManyTasksTakeTurnsInArrivalOrder) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Lock lock;
        std::vector<int> order;
        auto worker = [&](int n) -> asyncio::Coro<> {
            for (int round = 0; round < 2; ++round) {
                auto held = co_await lock.scoped();
                order.push_back(n);
                co_await asyncio::sleep(0);
            }
        };
        std::vector<asyncio::Task<>> tasks;
        for (int i = 0; i < 10; ++i) tasks.push_back(asyncio::create_task(worker(i)));
        for (auto& t : tasks) co_await t;
        std::vector<int> expected;
        for (int round = 0; round < 2; ++round)
            for (int i = 0; i < 10; ++i) expected.push_back(i);
        EXPECT_EQ(order, expected);
        EXPECT_FALSE(lock.locked());
    };
    asyncio::run(main());
}

// test_acquire_cancel
TEST(LockTests, AcquireCancel) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Lock lock;
        EXPECT_TRUE(co_await lock.acquire());

        auto task = asyncio::create_task(acquire_of(lock));
        asyncio::get_running_loop().call_soon([&task] { task.cancel(); });
        std::exception_ptr e = co_await error_of(task);
        EXPECT_TRUE(holds<asyncio::CancelledError>(e));
        EXPECT_TRUE(task.cancelled());
        // No waiter left behind (Python: assertFalse(lock._waiters)).
        EXPECT_THAT(lock.repr(), EndsWith("[locked]>"));
        lock.release();
        EXPECT_FALSE(lock.locked());
        EXPECT_THAT(lock.repr(), EndsWith("[unlocked]>"));
    };
    asyncio::run(main());
}

// test_cancel_race: A holds the lock, B and C wait; B is cancelled while A releases. The
// release must skip B and go to C.
TEST(LockTests, CancelRace) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Lock lock;
        auto fa = asyncio::get_running_loop().create_future<int>();
        auto lockit = [&](bool block) -> asyncio::Coro<> {
            co_await lock.acquire();
            try {
                if (block) co_await fa;
            } catch (...) {
                lock.release();
                throw;
            }
            lock.release();
        };
        auto ta = asyncio::create_task(lockit(true));
        co_await asyncio::sleep(0);
        EXPECT_TRUE(lock.locked());
        auto tb = asyncio::create_task(lockit(false));
        co_await asyncio::sleep(0);
        EXPECT_THAT(lock.repr(), HasSubstr("waiters:1"));
        auto tc = asyncio::create_task(lockit(false));
        co_await asyncio::sleep(0);
        EXPECT_THAT(lock.repr(), HasSubstr("waiters:2"));

        // Create the race.
        fa.set_result(0);
        tb.cancel();
        // The cancelled waiter left at once (Python marks its future cancelled).
        EXPECT_THAT(lock.repr(), HasSubstr("waiters:1"));
        co_await asyncio::sleep(0);
        EXPECT_FALSE(lock.locked());
        EXPECT_TRUE(ta.done());
        EXPECT_TRUE(tb.cancelled());
        std::exception_ptr lost = co_await error_of(asyncio::wait_for(tc, 1.0));
        EXPECT_FALSE(lost) << "C never got the lock";
        EXPECT_FALSE(lock.locked());
        EXPECT_THAT(lock.repr(), EndsWith("[unlocked]>"));
    };
    asyncio::run(main());
}

// test_cancel_release_race (bpo-32734): 3 waiters; cancel the first, then release: exactly
// one task takes the lock.
TEST(LockTests, CancelReleaseRace) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Lock lock;
        int lock_count = 0;
        int call_count = 0;
        auto lockit = [&]() -> asyncio::Coro<> {
            ++call_count;
            co_await lock.acquire();
            ++lock_count;
        };

        co_await lock.acquire();
        auto t1 = asyncio::create_task(lockit());
        auto t2 = asyncio::create_task(lockit());
        auto t3 = asyncio::create_task(lockit());
        co_await asyncio::sleep(0);  // start them

        asyncio::get_running_loop().call_soon([&] {
            t1.cancel();
            lock.release();
        });
        std::exception_ptr e = co_await error_of(t1);
        EXPECT_TRUE(holds<asyncio::CancelledError>(e));

        EXPECT_EQ(lock_count, 1);  // only one lock was taken
        EXPECT_EQ(call_count, 3);  // while 3 calls were made
        EXPECT_TRUE(t1.cancelled());
        EXPECT_TRUE(t2.done());
        EXPECT_FALSE(t3.done());
        EXPECT_TRUE(lock.locked());

        // Cleanup the task stuck in acquire().
        t3.cancel();
        co_await asyncio::sleep(0);
        EXPECT_TRUE(t3.cancelled());
        EXPECT_EQ(lock_count, 1);
        EXPECT_THAT(lock.repr(), EndsWith("[locked]>"));
    };
    asyncio::run(main());
}

// test_finished_waiter_cancelled: a second waiter arrives, the first is cancelled and the
// lock released in the same iteration; the second must not be left waiting.
TEST(LockTests, FinishedWaiterCancelled) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Lock lock;
        co_await lock.acquire();
        EXPECT_TRUE(lock.locked());

        auto tb = asyncio::create_task(acquire_of(lock));
        co_await asyncio::sleep(0);
        EXPECT_THAT(lock.repr(), HasSubstr("waiters:1"));

        auto tc = asyncio::create_task(acquire_of(lock));
        tb.cancel();
        lock.release();
        co_await asyncio::sleep(0);

        EXPECT_TRUE(lock.locked());
        EXPECT_TRUE(tb.cancelled());
        std::exception_ptr lost = co_await error_of(asyncio::wait_for(tc, 1.0));
        EXPECT_FALSE(lost) << "the second waiter was not woken up";
        if (!lost) lock.release();
    };
    asyncio::run(main());
}

// extra (Python 3.13's acquire: `if not self._locked: self._wake_up_first()`): a waiter
// cancelled after release() woke it does not take the lock, and passes the wake-up on.
TEST(LockTests, WokenWaiterCancelledPassesTheWakeUpOn) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Lock lock;
        co_await lock.acquire();
        auto tb = asyncio::create_task(acquire_of(lock));
        auto tc = asyncio::create_task(acquire_of(lock));
        auto td = asyncio::create_task(acquire_of(lock));
        co_await asyncio::sleep(0);
        EXPECT_THAT(lock.repr(), HasSubstr("waiters:3"));

        lock.release();  // wakes b
        tb.cancel();     // ... which has not run yet
        std::exception_ptr e = co_await error_of(tb);
        EXPECT_TRUE(holds<asyncio::CancelledError>(e));
        // c got the wake-up (bounded: a lost wake-up fails instead of hanging).
        std::exception_ptr lost = co_await error_of(asyncio::wait_for(tc, 1.0));
        EXPECT_FALSE(lost) << "the wake-up was lost: c never got the lock";
        if (lost) {
            td.cancel();
            (void)co_await error_of(td);
            co_return;
        }
        EXPECT_TRUE(lock.locked());
        EXPECT_FALSE(td.done());  // and only c
        EXPECT_THAT(lock.repr(), EndsWith("[locked, waiters:1]>"));

        lock.release();
        EXPECT_TRUE(co_await td);
        lock.release();
        EXPECT_THAT(lock.repr(), EndsWith("[unlocked]>"));
    };
    asyncio::run(main());
}

// extra: a waiter cancelled while queued leaves no trace: it neither steals nor loses the
// wake-up of the waiters around it.
TEST(LockTests, QueuedWaiterCancelledLeavesNoTrace) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Lock lock;
        std::vector<int> order;
        auto c = [&](int n) -> asyncio::Coro<> {
            co_await lock.acquire();
            order.push_back(n);
        };
        co_await lock.acquire();
        auto t1 = asyncio::create_task(c(1));
        auto t2 = asyncio::create_task(c(2));
        auto t3 = asyncio::create_task(c(3));
        co_await asyncio::sleep(0);

        t2.cancel();
        co_await asyncio::sleep(0);
        EXPECT_TRUE(t2.cancelled());
        EXPECT_TRUE(lock.locked());
        EXPECT_THAT(lock.repr(), EndsWith("[locked, waiters:2]>"));
        EXPECT_EQ(order, (std::vector<int>{}));

        lock.release();
        co_await asyncio::sleep(0);
        EXPECT_EQ(order, (std::vector<int>{1}));
        lock.release();
        co_await asyncio::sleep(0);
        EXPECT_EQ(order, (std::vector<int>{1, 3}));
        EXPECT_TRUE(t3.done());
        lock.release();
        EXPECT_FALSE(lock.locked());
    };
    asyncio::run(main());
}

// extra: the head waiter cancelled while the lock is free (its wake-up already gone to it)
// and a newcomer arriving in the same iteration: the lock is taken exactly once.
TEST(LockTests, WokenWaiterCancelledAndNewcomer) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Lock lock;
        int takes = 0;
        auto c = [&]() -> asyncio::Coro<> {
            co_await lock.acquire();
            ++takes;
        };
        co_await lock.acquire();
        auto tb = asyncio::create_task(c());
        co_await asyncio::sleep(0);
        lock.release();  // b is woken
        tb.cancel();
        auto tn = asyncio::create_task(c());  // the newcomer
        co_await asyncio::sleep(0);
        co_await asyncio::sleep(0);
        EXPECT_TRUE(tb.cancelled());
        EXPECT_TRUE(tn.done());
        EXPECT_EQ(takes, 1);
        EXPECT_TRUE(lock.locked());
        EXPECT_THAT(lock.repr(), EndsWith("[locked]>"));
        lock.release();
    };
    asyncio::run(main());
}

// extra: a timed-out acquire (asyncio.wait_for(lock.acquire(), t)) leaves no waiter.
TEST(LockTests, TimedOutAcquireLeavesNoWaiter) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Lock lock;
        co_await lock.acquire();
        std::exception_ptr e = co_await error_of(asyncio::wait_for(lock.acquire(), 0.01));
        EXPECT_TRUE(holds<concurrence::TimeoutError>(e));
        EXPECT_THAT(lock.repr(), EndsWith("[locked]>"));
        lock.release();
        EXPECT_FALSE(lock.locked());
        EXPECT_TRUE(co_await asyncio::wait_for(lock.acquire(), 1.0));
        EXPECT_TRUE(lock.locked());
        lock.release();
    };
    asyncio::run(main());
}

// test_release_not_acquired
TEST(LockTests, ReleaseNotAcquired) {
    asyncio::Lock lock;
    try {
        lock.release();
        ADD_FAILURE() << "no RuntimeError";
    } catch (const concurrence::RuntimeError& e) {
        EXPECT_STREQ(e.what(), "Lock is not acquired.");
    }
    // Inside a loop too, and twice in a row after one acquire.
    auto main = []() -> asyncio::Coro<> {
        asyncio::Lock lock2;
        co_await lock2.acquire();
        lock2.release();
        EXPECT_THROW(lock2.release(), concurrence::RuntimeError);
        EXPECT_FALSE(lock2.locked());
    };
    asyncio::run(main());
}

// test_release_no_waiters
TEST(LockTests, ReleaseNoWaiters) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Lock lock;
        co_await lock.acquire();
        EXPECT_TRUE(lock.locked());
        lock.release();
        EXPECT_FALSE(lock.locked());
    };
    asyncio::run(main());
}

// test_context_manager
TEST(LockTests, ContextManager) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Lock lock;
        EXPECT_FALSE(lock.locked());
        {
            auto held = co_await lock.scoped();
            EXPECT_TRUE(held.owns());
            EXPECT_TRUE(lock.locked());
        }
        EXPECT_FALSE(lock.locked());

        // Held::release() ends the hold early; the destructor then does nothing.
        {
            auto held = co_await lock.scoped();
            held.release();
            EXPECT_FALSE(held.owns());
            EXPECT_FALSE(lock.locked());
        }
        EXPECT_FALSE(lock.locked());

        // async_with(lock, body): Python's `async with lock:` spelled as a call.
        co_await asyncio::async_with(lock, [&]() -> asyncio::Coro<> {
            EXPECT_TRUE(lock.locked());
            co_return;
        });
        EXPECT_FALSE(lock.locked());
    };
    asyncio::run(main());
}

// extra: `async with lock:` releases when the block raises.
TEST(LockTests, ScopedReleasedOnException) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Lock lock;
        auto body = [&]() -> asyncio::Coro<> {
            auto held = co_await lock.scoped();
            co_await asyncio::sleep(0);
            throw std::runtime_error("boom");
        };
        std::exception_ptr e = co_await error_of(body());
        EXPECT_EQ(what_of(e), "boom");
        EXPECT_FALSE(lock.locked());
        // The lock is usable afterwards.
        EXPECT_TRUE(co_await lock.acquire());
        lock.release();
    };
    asyncio::run(main());
}

// extra: `async with lock:` releases when the task is cancelled inside the block, and the
// next waiter gets the lock.
TEST(LockTests, ScopedReleasedOnCancellation) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Lock lock;
        auto fut = asyncio::get_running_loop().create_future<int>();
        bool entered = false;
        auto holder = [&]() -> asyncio::Coro<> {
            auto held = co_await lock.scoped();
            entered = true;
            co_await fut;  // never set
        };
        auto th = asyncio::create_task(holder());
        co_await asyncio::sleep(0);
        EXPECT_TRUE(entered);
        EXPECT_TRUE(lock.locked());
        auto tw = asyncio::create_task(acquire_of(lock));
        co_await asyncio::sleep(0);
        EXPECT_FALSE(tw.done());

        th.cancel();
        std::exception_ptr e = co_await error_of(th);
        EXPECT_TRUE(holds<asyncio::CancelledError>(e));
        EXPECT_TRUE(th.cancelled());
        EXPECT_TRUE(co_await tw);  // the waiter got the released lock
        EXPECT_TRUE(lock.locked());
        lock.release();
    };
    asyncio::run(main());
}

// extra: a scoped() cancelled while queued holds nothing (no release happens for it), and
// the lock passes on to the next waiter as usual.
TEST(LockTests, ScopedCancelledWhileAcquiringHoldsNothing) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Lock lock;
        bool entered = false;
        auto scoped_user = [&]() -> asyncio::Coro<> {
            auto held = co_await lock.scoped();
            entered = true;
        };
        co_await lock.acquire();
        auto ts = asyncio::create_task(scoped_user());
        auto tw = asyncio::create_task(acquire_of(lock));
        co_await asyncio::sleep(0);
        ts.cancel();
        std::exception_ptr e = co_await error_of(ts);
        EXPECT_TRUE(holds<asyncio::CancelledError>(e));
        EXPECT_FALSE(entered);
        EXPECT_TRUE(lock.locked());  // still ours: the cancelled scoped() released nothing
        lock.release();
        EXPECT_TRUE(co_await tw);
        EXPECT_TRUE(lock.locked());
        lock.release();
        EXPECT_THAT(lock.repr(), EndsWith("[unlocked]>"));
    };
    asyncio::run(main());
}

// Python's _LoopBoundMixin (test_ambiguous_loops's lock half): a lock used in one loop
// cannot be used from another.
TEST(LockTests, BoundToTheFirstLoop) {
    asyncio::Lock lock;
    auto first = [&]() -> asyncio::Coro<> {
        co_await lock.acquire();
        lock.release();
    };
    asyncio::run(first());
    auto second = [&]() -> asyncio::Coro<> {
        std::exception_ptr e = co_await error_of(lock.acquire());
        EXPECT_TRUE(holds<concurrence::RuntimeError>(e));
        EXPECT_THAT(what_of(e), HasSubstr("is bound to a different event loop"));
        EXPECT_THAT(what_of(e), HasSubstr("<asyncio::Lock at 0x"));
    };
    asyncio::run(second());
}

// A task still waiting on a Lock when the Lock is destroyed, then cancelled. Python: the task
// is simply cancelled (it holds a reference to the lock). Here the destroyed lock orphaned its
// waiter: the cancellation touches nothing (ASan checks it).
TEST(LockTests, WaiterCancelledAfterTheLockIsDestroyed) {
    auto main = []() -> asyncio::Coro<> {
        auto lock = std::make_unique<asyncio::Lock>();
        co_await lock->acquire();
        auto t = asyncio::create_task(acquire_of(*lock));
        co_await asyncio::sleep(0);
        lock.reset();
        t.cancel();
        std::exception_ptr e = co_await error_of(t);
        EXPECT_TRUE(holds<asyncio::CancelledError>(e));
        EXPECT_TRUE(t.cancelled());
    };
    asyncio::run(main());
}

// The everyday form of the one above: main() returns while a task waits on main's local
// Lock; asyncio::run cancels the leftover task at shutdown, cleanly.
TEST(LockTests, RunCancelsAWaiterOfAFinishedMainsLock) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Lock lock;
        co_await lock.acquire();
        asyncio::create_task(acquire_of(lock));
        co_await asyncio::sleep(0);
    };
    asyncio::run(main());
}

}  // namespace
