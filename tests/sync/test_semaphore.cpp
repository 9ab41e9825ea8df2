// asyncio::Semaphore and asyncio::BoundedSemaphore: the semantics of CPython's
// Lib/test/test_asyncio/test_locks.py SemaphoreTests (3.12, with the FIFO / no-starvation
// fix), ported to C++. Each test names the CPython test it ports; tests marked "extra"
// check a documented behaviour that CPython tests only indirectly.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <regex>
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

// CPython's RGX_REPR, in the library's repr shape: "<asyncio::Semaphore at 0x... [locked, waiters:1]>".
bool semaphore_repr_matches(const std::string& repr) { return sync_test::repr_matches(repr, "asyncio::Semaphore|asyncio::BoundedSemaphore", "locked|unlocked", R"((, value:\d+)?(, waiters:\d+)?)"); }

// A task's body for `asyncio.create_task(sem.acquire())`.
asyncio::Coro<bool> acquire_of(asyncio::Semaphore& sem) { co_return co_await sem.acquire(); }

// test_initial_value_zero
TEST(SemaphoreTests, InitialValueZeroIsLocked) {
    asyncio::Semaphore sem(0);
    EXPECT_TRUE(sem.locked());
    EXPECT_THAT(sem.repr(), EndsWith("[locked]>"));
}

// test_repr
TEST(SemaphoreTests, Repr) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Semaphore sem;
        EXPECT_THAT(sem.repr(), EndsWith("[unlocked, value:1]>"));
        EXPECT_TRUE(semaphore_repr_matches(sem.repr())) << sem.repr();
        EXPECT_THAT(sem.repr(), testing::StartsWith("<asyncio::Semaphore at "));

        co_await sem.acquire();
        EXPECT_THAT(sem.repr(), EndsWith("[locked]>"));
        EXPECT_THAT(sem.repr(), Not(HasSubstr("waiters")));
        EXPECT_TRUE(semaphore_repr_matches(sem.repr())) << sem.repr();

        // Python appends mock waiters; here real ones.
        auto t1 = asyncio::create_task(acquire_of(sem));
        co_await asyncio::sleep(0);
        EXPECT_THAT(sem.repr(), HasSubstr("waiters:1"));
        EXPECT_TRUE(semaphore_repr_matches(sem.repr())) << sem.repr();

        auto t2 = asyncio::create_task(acquire_of(sem));
        co_await asyncio::sleep(0);
        EXPECT_THAT(sem.repr(), HasSubstr("waiters:2"));
        EXPECT_TRUE(semaphore_repr_matches(sem.repr())) << sem.repr();

        sem.release();
        sem.release();
        co_await t1;
        co_await t2;
        EXPECT_THAT(sem.repr(), EndsWith("[locked]>"));
    };
    asyncio::run(main());
}

// test_semaphore: the default value is 1 (Python's `await sem` TypeError has no C++ analogue).
TEST(SemaphoreTests, DefaultValueIsOne) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Semaphore sem;
        EXPECT_FALSE(sem.locked());
        EXPECT_THAT(sem.repr(), HasSubstr("value:1"));
        EXPECT_TRUE(co_await sem.acquire());
        EXPECT_TRUE(sem.locked());
        sem.release();
        EXPECT_FALSE(sem.locked());
        EXPECT_THAT(sem.repr(), HasSubstr("value:1"));
    };
    asyncio::run(main());
}

// test_semaphore_value
TEST(SemaphoreTests, NegativeInitialValueIsValueError) {
    try {
        asyncio::Semaphore sem(-1);
        ADD_FAILURE() << "no ValueError";
    } catch (const concurrence::ValueError& e) {
        EXPECT_STREQ(e.what(), "Semaphore initial value must be >= 0");
    }
    EXPECT_THROW(asyncio::BoundedSemaphore(-1), concurrence::ValueError);
}

// test_acquire
TEST(SemaphoreTests, Acquire) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Semaphore sem(3);
        std::vector<int> result;

        EXPECT_TRUE(co_await sem.acquire());
        EXPECT_TRUE(co_await sem.acquire());
        EXPECT_FALSE(sem.locked());

        auto c = [&](int n) -> asyncio::Coro<bool> {
            co_await sem.acquire();
            result.push_back(n);
            co_return true;
        };
        auto t1 = asyncio::create_task(c(1));
        auto t2 = asyncio::create_task(c(2));
        auto t3 = asyncio::create_task(c(3));

        co_await asyncio::sleep(0);
        EXPECT_EQ(result, (std::vector<int>{1}));
        EXPECT_TRUE(sem.locked());
        EXPECT_THAT(sem.repr(), EndsWith("[locked, waiters:2]>"));  // value 0, 2 waiters

        auto t4 = asyncio::create_task(c(4));

        sem.release();
        sem.release();
        // Each unit went straight to a waiter: the value stays 0.
        EXPECT_THAT(sem.repr(), EndsWith("[locked, waiters:2]>"));

        co_await asyncio::sleep(0);
        EXPECT_EQ(result.size(), 3u);
        EXPECT_TRUE(sem.locked());
        EXPECT_THAT(sem.repr(), EndsWith("[locked, waiters:1]>"));

        EXPECT_TRUE(t1.done());
        EXPECT_TRUE(t1.done() && t1.result());
        // Python checks that 2 of t2, t3, t4 won; with 3.12's FIFO fix they are t2 and t3.
        int done = int(t2.done()) + int(t3.done()) + int(t4.done());
        EXPECT_EQ(done, 2);
        EXPECT_TRUE(t2.done());
        EXPECT_TRUE(t3.done());
        EXPECT_FALSE(t4.done());
        EXPECT_EQ(result, (std::vector<int>{1, 2, 3}));

        // cleanup locked semaphore
        sem.release();
        co_await asyncio::gather(t2, t3, t4);
        EXPECT_EQ(result, (std::vector<int>{1, 2, 3, 4}));
    };
    asyncio::run(main());
}

// test_acquire_cancel
TEST(SemaphoreTests, AcquireCancel) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Semaphore sem;
        co_await sem.acquire();

        auto acquire = asyncio::create_task(acquire_of(sem));
        asyncio::get_running_loop().call_soon([&acquire] { acquire.cancel(); });
        std::exception_ptr e = co_await error_of(acquire);
        EXPECT_TRUE(holds<asyncio::CancelledError>(e));
        EXPECT_TRUE(acquire.cancelled());
        EXPECT_THAT(sem.repr(), Not(HasSubstr("waiters")));

        // The cancelled waiter took nothing.
        sem.release();
        EXPECT_FALSE(sem.locked());
        EXPECT_THAT(sem.repr(), EndsWith("[unlocked, value:1]>"));
    };
    asyncio::run(main());
}

// test_acquire_cancel_before_awoken
TEST(SemaphoreTests, AcquireCancelBeforeAwoken) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Semaphore sem(0);

        auto t1 = asyncio::create_task(acquire_of(sem));
        auto t2 = asyncio::create_task(acquire_of(sem));
        auto t3 = asyncio::create_task(acquire_of(sem));
        auto t4 = asyncio::create_task(acquire_of(sem));

        co_await asyncio::sleep(0);

        t1.cancel();
        t2.cancel();
        sem.release();

        co_await asyncio::sleep(0);
        co_await asyncio::sleep(0);
        EXPECT_EQ(int(t3.done()) + int(t4.done()), 1);
        EXPECT_TRUE(t3.done());
        EXPECT_FALSE(t4.done());
        EXPECT_TRUE(t1.cancelled());
        EXPECT_TRUE(t2.cancelled());
        EXPECT_FALSE(t3.cancelled());

        t3.cancel();  // done already: no effect
        t4.cancel();
        co_await asyncio::sleep(0);
        EXPECT_FALSE(t3.cancelled());
        EXPECT_TRUE(t4.cancelled());
        // t3 holds the only unit; nobody waits.
        EXPECT_THAT(sem.repr(), EndsWith("[locked]>"));
    };
    asyncio::run(main());
}

// extra (the case 3.12's fix handles in acquire()'s except clause): a waiter cancelled after
// release() handed it the unit, but before it ran, gives the unit to the next waiter.
TEST(SemaphoreTests, AcquireCancelAfterAwokenPassesUnitOn) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Semaphore sem(0);
        auto t1 = asyncio::create_task(acquire_of(sem));
        auto t2 = asyncio::create_task(acquire_of(sem));
        auto t3 = asyncio::create_task(acquire_of(sem));
        co_await asyncio::sleep(0);

        sem.release();  // t1's unit
        t1.cancel();    // before t1 has run

        co_await asyncio::sleep(0);
        co_await asyncio::sleep(0);
        EXPECT_TRUE(t1.cancelled());
        EXPECT_TRUE(t2.done());
        EXPECT_FALSE(t2.cancelled());
        EXPECT_FALSE(t3.done());
        EXPECT_THAT(sem.repr(), EndsWith("[locked, waiters:1]>"));

        sem.release();
        co_await t3;
        EXPECT_THAT(sem.repr(), EndsWith("[locked]>"));
        sem.release();
        sem.release();
        EXPECT_THAT(sem.repr(), EndsWith("[unlocked, value:2]>"));
    };
    asyncio::run(main());
}

// test_acquire_hang
TEST(SemaphoreTests, AcquireHang) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Semaphore sem(0);

        auto t1 = asyncio::create_task(acquire_of(sem));
        auto t2 = asyncio::create_task(acquire_of(sem));
        co_await asyncio::sleep(0);

        t1.cancel();
        sem.release();
        co_await asyncio::sleep(0);
        co_await asyncio::sleep(0);
        EXPECT_TRUE(sem.locked());
        EXPECT_TRUE(t2.done());
        EXPECT_TRUE(t1.cancelled());
    };
    asyncio::run(main());
}

// test_acquire_no_hang
TEST(SemaphoreTests, AcquireNoHang) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Semaphore sem(1);
        asyncio::Task<> t2;

        auto c1 = [&]() -> asyncio::Coro<> {
            {
                auto held = co_await sem.scoped();
                co_await asyncio::sleep(0);
            }
            t2.cancel();  // t2 was handed the unit but has not run
        };
        auto c2 = [&]() -> asyncio::Coro<> {
            auto held = co_await sem.scoped();
            ADD_FAILURE() << "c2 entered the semaphore after being cancelled";
        };

        auto t1 = asyncio::create_task(c1());
        t2 = asyncio::create_task(c2());

        auto [r1, r2] = co_await asyncio::gather(asyncio::return_exceptions, t1, t2);
        EXPECT_TRUE(r1.has_value());
        EXPECT_TRUE(r2.holds<asyncio::CancelledError>());

        // The unit came back: no hang.
        EXPECT_TRUE(co_await asyncio::wait_for(sem.acquire(), 1.0));
    };
    asyncio::run(main());
}

// test_release_not_acquired
TEST(SemaphoreTests, BoundedReleaseNotAcquiredIsValueError) {
    asyncio::BoundedSemaphore sem;
    try {
        sem.release();
        ADD_FAILURE() << "no ValueError";
    } catch (const concurrence::ValueError& e) {
        EXPECT_STREQ(e.what(), "BoundedSemaphore released too many times");
    }
    EXPECT_FALSE(sem.locked());
    EXPECT_THAT(sem.repr(), EndsWith("[unlocked, value:1]>"));
}

// test_release_no_waiters
TEST(SemaphoreTests, ReleaseNoWaiters) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Semaphore sem;
        co_await sem.acquire();
        EXPECT_TRUE(sem.locked());

        sem.release();
        EXPECT_FALSE(sem.locked());
    };
    asyncio::run(main());
}

// test_acquire_fifo_order
TEST(SemaphoreTests, AcquireFifoOrder) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Semaphore sem(1);
        std::vector<std::string> result;

        auto coro = [&](std::string tag) -> asyncio::Coro<> {
            co_await sem.acquire();
            result.push_back(tag + "_1");
            co_await asyncio::sleep(0.01);
            sem.release();

            co_await sem.acquire();
            result.push_back(tag + "_2");
            co_await asyncio::sleep(0.01);
            sem.release();
        };

        co_await asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& tg) -> asyncio::Coro<> {
            tg.create_task(coro("c1"));
            tg.create_task(coro("c2"));
            tg.create_task(coro("c3"));
            co_return;
        });

        EXPECT_EQ(result, (std::vector<std::string>{"c1_1", "c2_1", "c3_1", "c1_2", "c2_2", "c3_2"}));
    };
    asyncio::run(main());
}

// test_acquire_fifo_order_2
TEST(SemaphoreTests, AcquireFifoOrder2) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Semaphore sem(1);
        std::vector<int> result;

        auto c1 = [&]() -> asyncio::Coro<bool> {
            co_await sem.acquire();
            result.push_back(1);
            co_return true;
        };
        auto c2 = [&]() -> asyncio::Coro<bool> {
            co_await sem.acquire();
            result.push_back(2);
            sem.release();
            co_await sem.acquire();
            result.push_back(4);
            co_return true;
        };
        auto c3 = [&]() -> asyncio::Coro<bool> {
            co_await sem.acquire();
            result.push_back(3);
            co_return true;
        };

        auto t1 = asyncio::create_task(c1());
        auto t2 = asyncio::create_task(c2());
        auto t3 = asyncio::create_task(c3());

        co_await asyncio::sleep(0);

        sem.release();
        sem.release();

        co_await asyncio::gather(t1, t2, t3);
        EXPECT_EQ(result, (std::vector<int>{1, 2, 3, 4}));
    };
    asyncio::run(main());
}

// test_acquire_fifo_order_3
TEST(SemaphoreTests, AcquireFifoOrder3) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Semaphore sem(0);
        std::vector<int> result;

        auto c = [&](int n) -> asyncio::Coro<bool> {
            co_await sem.acquire();
            result.push_back(n);
            co_return true;
        };

        auto t1 = asyncio::create_task(c(1));
        auto t2 = asyncio::create_task(c(2));
        auto t3 = asyncio::create_task(c(3));

        co_await asyncio::sleep(0);
        t1.cancel();
        co_await asyncio::sleep(0);

        sem.release();
        sem.release();

        auto [r1, r2, r3] = co_await asyncio::gather(asyncio::return_exceptions, t1, t2, t3);
        EXPECT_TRUE(r1.holds<asyncio::CancelledError>());
        EXPECT_TRUE(r2.has_value());
        EXPECT_TRUE(r3.has_value());
        EXPECT_EQ(result, (std::vector<int>{2, 3}));
    };
    asyncio::run(main());
}

// extra (no starvation): after release() handed the unit to a waiter, the releasing task
// cannot take it back by acquiring again at once; it queues behind.
TEST(SemaphoreTests, ReleaserCannotBargeAheadOfWokenWaiter) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Semaphore sem(1);
        std::vector<std::string> log;
        co_await sem.acquire();

        auto waiter = [&]() -> asyncio::Coro<> {
            co_await sem.acquire();
            log.push_back("waiter");
            sem.release();
        };
        auto t = asyncio::create_task(waiter());
        co_await asyncio::sleep(0);

        sem.release();
        EXPECT_TRUE(sem.locked());  // the unit is the waiter's already
        co_await sem.acquire();
        log.push_back("main");
        EXPECT_EQ(log, (std::vector<std::string>{"waiter", "main"}));
        EXPECT_TRUE(t.done());
        sem.release();
        EXPECT_FALSE(sem.locked());
    };
    asyncio::run(main());
}

// extra (test_lock_by_with_statement / test_context_manager shape for Semaphore): scoped()
// releases on every exit path, including an exception.
TEST(SemaphoreTests, ScopedReleasesOnException) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Semaphore sem(1);
        asyncio::BoundedSemaphore bounded(1);
        try {
            auto held = co_await sem.scoped();
            auto held2 = co_await bounded.scoped();
            EXPECT_TRUE(sem.locked());
            EXPECT_TRUE(bounded.locked());
            throw concurrence::ValueError("boom");
        } catch (const concurrence::ValueError& e) {
            EXPECT_STREQ(e.what(), "boom");
        }
        EXPECT_FALSE(sem.locked());
        EXPECT_FALSE(bounded.locked());
        // async_with works too (aenter/aexit).
        co_await asyncio::async_with(sem, [&]() -> asyncio::Coro<> {
            EXPECT_TRUE(sem.locked());
            co_return;
        });
        EXPECT_FALSE(sem.locked());
    };
    asyncio::run(main());
}

// extra (BoundedSemaphore): releases up to the initial value are fine, one more is ValueError
// and leaves the value unchanged.
TEST(SemaphoreTests, BoundedReleaseAboveInitialValue) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::BoundedSemaphore sem(2);
        EXPECT_THAT(sem.repr(), testing::StartsWith("<asyncio::BoundedSemaphore at "));
        EXPECT_TRUE(semaphore_repr_matches(sem.repr())) << sem.repr();
        co_await sem.acquire();
        co_await sem.acquire();
        EXPECT_TRUE(sem.locked());
        sem.release();
        sem.release();
        EXPECT_THAT(sem.repr(), EndsWith("[unlocked, value:2]>"));
        try {
            sem.release();
            ADD_FAILURE() << "no ValueError";
        } catch (const concurrence::ValueError& e) {
            EXPECT_STREQ(e.what(), "BoundedSemaphore released too many times");
        }
        EXPECT_THAT(sem.repr(), EndsWith("[unlocked, value:2]>"));
    };
    asyncio::run(main());
}

// extra: a release() handing the unit to a waiter counts as below the bound.
TEST(SemaphoreTests, BoundedReleaseToWaiter) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::BoundedSemaphore sem(1);
        co_await sem.acquire();
        auto t = asyncio::create_task(acquire_of(sem));
        co_await asyncio::sleep(0);
        sem.release();
        EXPECT_TRUE(co_await t);
        sem.release();
        EXPECT_THROW(sem.release(), concurrence::ValueError);
        EXPECT_THAT(sem.repr(), EndsWith("[unlocked, value:1]>"));
    };
    asyncio::run(main());
}

// extra (test_timeout_in_block shape): wait_for on acquire() times out without leaving a
// waiter or taking a unit.
TEST(SemaphoreTests, WaitForAcquireTimesOutCleanly) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Semaphore sem(0);
        std::exception_ptr e = co_await error_of(asyncio::wait_for(sem.acquire(), 0.01));
        EXPECT_TRUE(holds<concurrence::TimeoutError>(e)) << what_of(e);
        EXPECT_THAT(sem.repr(), EndsWith("[locked]>"));
        sem.release();
        EXPECT_THAT(sem.repr(), EndsWith("[unlocked, value:1]>"));
        EXPECT_TRUE(co_await sem.acquire());
    };
    asyncio::run(main());
}

// extra: Semaphore(n) lets exactly n tasks in at a time.
TEST(SemaphoreTests, AtMostValueHoldersAtOnce) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Semaphore sem(3);
        int inside = 0, most = 0, finished = 0;
        auto worker = [&]() -> asyncio::Coro<> {
            auto held = co_await sem.scoped();
            ++inside;
            most = std::max(most, inside);
            co_await asyncio::sleep(0);
            co_await asyncio::sleep(0);
            --inside;
            ++finished;
        };
        std::vector<asyncio::Task<>> tasks;
        for (int i = 0; i < 10; ++i) tasks.push_back(asyncio::create_task(worker()));
        co_await asyncio::gather(tasks);
        EXPECT_EQ(most, 3);
        EXPECT_EQ(finished, 10);
        EXPECT_THAT(sem.repr(), EndsWith("[unlocked, value:3]>"));
    };
    asyncio::run(main());
}

}  // namespace
