// asyncio::Barrier: the semantics of CPython's Lib/test/test_asyncio/test_locks.py
// BarrierTests (3.11+), ported to C++. Each test names the CPython test it ports; tests
// marked "extra" check a documented behaviour that CPython tests only indirectly.
//
// Python's `async with barrier as i:` is `std::size_t i = co_await barrier.wait();` here
// (Barrier's aexit does nothing); `except` clauses that await set a flag and await after the
// handler (C++ has no co_await in a handler).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <numeric>
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
using testing::HasSubstr;
using testing::Not;

constexpr std::size_t N = 5;  // CPython's self.N

// CPython's RGX_REPR (barrier part), in the library's repr shape:
// "<asyncio::Barrier at 0x... [filling, waiters:2/5]>".
bool barrier_repr_matches(const std::string& repr) { return sync_test::repr_matches(repr, "asyncio::Barrier", "filling|draining|resetting|broken", R"((, waiters:\d+/\d+)?)"); }

std::vector<std::size_t> iota_vector(std::size_t n) {
    std::vector<std::size_t> v(n);
    std::iota(v.begin(), v.end(), std::size_t{0});
    return v;
}

// CPython's make_tasks / gather_tasks: n tasks running coro(), all awaited.
template <class F>
std::vector<asyncio::Task<>> make_tasks(std::size_t n, F& coro) {
    std::vector<asyncio::Task<>> tasks;
    for (std::size_t i = 0; i < n; ++i) tasks.push_back(asyncio::create_task(coro()));
    return tasks;
}

template <class F>
asyncio::Coro<> gather_tasks(std::size_t n, F& coro) {
    auto tasks = make_tasks(n, coro);
    co_await asyncio::gather(tasks);
}

// test_barrier (the `await barrier` TypeError has no C++ analogue)
TEST(BarrierTests, NewBarrierIsFilling) {
    asyncio::Barrier barrier(N);
    EXPECT_THAT(barrier.repr(), HasSubstr("filling"));
    EXPECT_EQ(barrier.parties(), N);
    EXPECT_EQ(barrier.n_waiting(), 0u);
    EXPECT_FALSE(barrier.broken());
}

// test_repr
TEST(BarrierTests, Repr) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Barrier barrier(N);
        EXPECT_TRUE(barrier_repr_matches(barrier.repr())) << barrier.repr();
        EXPECT_THAT(barrier.repr(), HasSubstr("filling"));

        std::vector<asyncio::Task<std::size_t>> waiters;
        const std::size_t incr = 2;
        for (std::size_t i = 0; i < incr; ++i) waiters.push_back(asyncio::create_task(barrier.wait()));
        co_await asyncio::sleep(0);

        EXPECT_TRUE(barrier_repr_matches(barrier.repr())) << barrier.repr();
        EXPECT_THAT(barrier.repr(), HasSubstr("waiters:2/5"));
        EXPECT_THAT(barrier.repr(), HasSubstr("filling"));

        // create missing waiters
        const std::size_t missing = barrier.parties() - barrier.n_waiting();
        EXPECT_EQ(missing, 3u);
        for (std::size_t i = 0; i < missing; ++i) waiters.push_back(asyncio::create_task(barrier.wait()));
        co_await asyncio::sleep(0);

        EXPECT_TRUE(barrier_repr_matches(barrier.repr())) << barrier.repr();
        EXPECT_THAT(barrier.repr(), HasSubstr("draining"));

        // add a part of waiters
        for (std::size_t i = 0; i < incr; ++i) waiters.push_back(asyncio::create_task(barrier.wait()));
        co_await asyncio::sleep(0);
        // and reset
        co_await barrier.reset();

        EXPECT_TRUE(barrier_repr_matches(barrier.repr())) << barrier.repr();
        EXPECT_THAT(barrier.repr(), HasSubstr("resetting"));

        // add a part of waiters again
        for (std::size_t i = 0; i < incr; ++i) waiters.push_back(asyncio::create_task(barrier.wait()));
        co_await asyncio::sleep(0);
        // and abort
        co_await barrier.abort();

        EXPECT_TRUE(barrier_repr_matches(barrier.repr())) << barrier.repr();
        EXPECT_THAT(barrier.repr(), HasSubstr("broken"));
        EXPECT_TRUE(barrier.broken());

        // suppress unhandled exceptions
        co_await asyncio::gather(asyncio::return_exceptions, waiters);
    };
    asyncio::run(main());
}

// test_barrier_parties
TEST(BarrierTests, PartiesMustBePositive) {
    for (std::int64_t parties : {0, -4}) {
        try {
            asyncio::Barrier barrier(parties);
            ADD_FAILURE() << "no ValueError for " << parties;
        } catch (const concurrence::ValueError& e) {
            EXPECT_STREQ(e.what(), "parties must be >= 1");
        }
    }
    asyncio::Barrier barrier(N);
    EXPECT_EQ(barrier.parties(), N);
}

// test_context_manager
TEST(BarrierTests, ContextManager) {
    auto main = []() -> asyncio::Coro<> {
        const std::size_t n = 3;
        asyncio::Barrier barrier(n);
        std::vector<std::size_t> results;
        int bodies = 0;

        auto coro = [&]() -> asyncio::Coro<> {
            std::size_t i = co_await barrier.wait();  // async with barrier as i:
            results.push_back(i);
            // async_with(barrier, body) works too: aenter is wait(), aexit does nothing.
            co_await asyncio::async_with(barrier, [&]() -> asyncio::Coro<> {
                ++bodies;
                co_return;
            });
        };
        co_await gather_tasks(n, coro);

        std::sort(results.begin(), results.end());
        EXPECT_EQ(results, iota_vector(n));
        EXPECT_EQ(bodies, 3);
        EXPECT_EQ(barrier.n_waiting(), 0u);
        EXPECT_FALSE(barrier.broken());
    };
    asyncio::run(main());
}

// test_filling_one_task
TEST(BarrierTests, FillingOneTask) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Barrier barrier(1);
        std::size_t i = co_await barrier.wait();
        EXPECT_EQ(i, 0u);
        EXPECT_EQ(barrier.n_waiting(), 0u);
        EXPECT_FALSE(barrier.broken());
    };
    asyncio::run(main());
}

// test_filling_one_task_twice
TEST(BarrierTests, FillingOneTaskTwice) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Barrier barrier(1);

        auto t1 = asyncio::create_task(barrier.wait());
        co_await asyncio::sleep(0);
        EXPECT_EQ(barrier.n_waiting(), 0u);

        auto t2 = asyncio::create_task(barrier.wait());
        co_await asyncio::sleep(0);

        EXPECT_TRUE(t1.done());
        EXPECT_TRUE(t2.done());
        if (!t1.done() || !t2.done()) co_return;
        EXPECT_EQ(t1.result(), t2.result());
        EXPECT_EQ(t1.result(), 0u);

        EXPECT_EQ(barrier.n_waiting(), 0u);
        EXPECT_FALSE(barrier.broken());
    };
    asyncio::run(main());
}

// test_filling_task_by_task
TEST(BarrierTests, FillingTaskByTask) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Barrier barrier(3);

        auto t1 = asyncio::create_task(barrier.wait());
        co_await asyncio::sleep(0);
        EXPECT_EQ(barrier.n_waiting(), 1u);
        EXPECT_THAT(barrier.repr(), HasSubstr("filling"));

        auto t2 = asyncio::create_task(barrier.wait());
        co_await asyncio::sleep(0);
        EXPECT_EQ(barrier.n_waiting(), 2u);
        EXPECT_THAT(barrier.repr(), HasSubstr("filling"));

        auto t3 = asyncio::create_task(barrier.wait());
        co_await asyncio::sleep(0);

        std::vector<asyncio::Task<std::size_t>> all{t1, t2, t3};
        auto [done, pending] = co_await asyncio::wait(all);
        EXPECT_EQ(done.size(), 3u);
        EXPECT_TRUE(pending.empty());

        EXPECT_EQ(barrier.n_waiting(), 0u);
        EXPECT_FALSE(barrier.broken());
    };
    asyncio::run(main());
}

// extra: wait() returns the arrival index, 0 .. parties-1.
TEST(BarrierTests, WaitReturnsArrivalIndexes) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Barrier barrier(3);
        auto t0 = asyncio::create_task(barrier.wait());
        auto t1 = asyncio::create_task(barrier.wait());
        auto t2 = asyncio::create_task(barrier.wait());
        auto [a, b, c] = co_await asyncio::gather(t0, t1, t2);
        EXPECT_EQ(a, 0u);
        EXPECT_EQ(b, 1u);
        EXPECT_EQ(c, 2u);
    };
    asyncio::run(main());
}

// test_filling_tasks_wait_twice
TEST(BarrierTests, FillingTasksWaitTwice) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Barrier barrier(N);
        std::vector<bool> results;

        auto coro = [&]() -> asyncio::Coro<> {
            co_await barrier.wait();
            results.push_back(true);
            co_await barrier.wait();
            results.push_back(false);
        };
        co_await gather_tasks(N, coro);

        EXPECT_EQ(results.size(), N * 2);
        EXPECT_EQ(std::count(results.begin(), results.end(), true), std::ptrdiff_t(N));
        EXPECT_EQ(std::count(results.begin(), results.end(), false), std::ptrdiff_t(N));
        // Nobody passes the second wait before all have passed the first.
        EXPECT_TRUE(std::all_of(results.begin(), results.begin() + N, [](bool b) { return b; }));

        EXPECT_EQ(barrier.n_waiting(), 0u);
        EXPECT_FALSE(barrier.broken());
    };
    asyncio::run(main());
}

// test_filling_tasks_check_return_value
TEST(BarrierTests, FillingTasksCheckReturnValue) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Barrier barrier(N);
        std::size_t results1 = 0, results2 = 0;

        auto coro = [&]() -> asyncio::Coro<std::size_t> {
            co_await barrier.wait();
            ++results1;
            std::size_t i = co_await barrier.wait();
            ++results2;
            co_return i;
        };
        std::vector<asyncio::Task<std::size_t>> tasks;
        for (std::size_t k = 0; k < N; ++k) tasks.push_back(asyncio::create_task(coro()));
        std::vector<std::size_t> res = co_await asyncio::gather(tasks);

        EXPECT_EQ(results1, N);
        EXPECT_EQ(results2, N);
        std::sort(res.begin(), res.end());
        EXPECT_EQ(res, iota_vector(N));

        EXPECT_EQ(barrier.n_waiting(), 0u);
        EXPECT_FALSE(barrier.broken());
    };
    asyncio::run(main());
}

// test_draining_state
TEST(BarrierTests, DrainingState) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Barrier barrier(N);
        std::vector<bool> results;

        auto coro = [&]() -> asyncio::Coro<> {
            co_await barrier.wait();
            // barrier state change to filling for the last task release
            results.push_back(barrier.repr().find("draining") != std::string::npos);
            // n_waiting counts only the filling phase.
            EXPECT_EQ(barrier.n_waiting(), 0u);
        };
        co_await gather_tasks(N, coro);

        EXPECT_EQ(results.size(), N);
        if (results.size() != N) co_return;
        EXPECT_FALSE(results.back());
        EXPECT_TRUE(std::all_of(results.begin(), results.end() - 1, [](bool b) { return b; }));

        EXPECT_EQ(barrier.n_waiting(), 0u);
        EXPECT_FALSE(barrier.broken());
    };
    asyncio::run(main());
}

// test_blocking_tasks_while_draining
TEST(BarrierTests, BlockingTasksWhileDraining) {
    auto main = []() -> asyncio::Coro<> {
        const std::size_t rewait = 2;
        asyncio::Barrier barrier(N);
        asyncio::Barrier barrier_nowaiting(N - rewait);
        std::size_t rewait_n = rewait;

        auto coro = [&]() -> asyncio::Coro<> {
            // first time waiting
            co_await barrier.wait();

            // after waiting once for all tasks
            if (rewait_n > 0) {
                --rewait_n;
                // wait again only for rewait tasks
                co_await barrier.wait();
            } else {
                // wait for end of draining state
                co_await barrier_nowaiting.wait();
                // wait for other waiting tasks
                co_await barrier.wait();
            }
        };
        // a success means that barrier_nowaiting was waited for exactly N-rewait=3 times
        co_await asyncio::wait_for(gather_tasks(N, coro), 10.0);  // only a guard against a hang
        EXPECT_FALSE(barrier.broken());
        EXPECT_EQ(barrier.n_waiting(), 0u);
        EXPECT_EQ(barrier_nowaiting.n_waiting(), 0u);
    };
    asyncio::run(main());
}

// test_filling_tasks_cancel_one
TEST(BarrierTests, FillingTasksCancelOne) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Barrier barrier(3);
        int results = 0;

        auto coro = [&]() -> asyncio::Coro<> {
            co_await barrier.wait();
            ++results;
        };

        auto t1 = asyncio::create_task(coro());
        co_await asyncio::sleep(0);
        EXPECT_EQ(barrier.n_waiting(), 1u);

        auto t2 = asyncio::create_task(coro());
        co_await asyncio::sleep(0);
        EXPECT_EQ(barrier.n_waiting(), 2u);

        t1.cancel();
        co_await asyncio::sleep(0);
        EXPECT_EQ(barrier.n_waiting(), 1u);
        std::exception_ptr e = co_await error_of(t1);
        EXPECT_TRUE(holds<asyncio::CancelledError>(e));
        EXPECT_TRUE(t1.cancelled());

        auto t3 = asyncio::create_task(coro());
        co_await asyncio::sleep(0);
        EXPECT_EQ(barrier.n_waiting(), 2u);

        auto t4 = asyncio::create_task(coro());
        co_await asyncio::gather(t2, t3, t4);

        EXPECT_EQ(results, 3);
        EXPECT_EQ(barrier.n_waiting(), 0u);
        EXPECT_FALSE(barrier.broken());
    };
    asyncio::run(main());
}

// extra: a waiter cancelled once the barrier has filled (released but not yet run) is
// cancelled; the others still pass, and the barrier is ready for the next round.
TEST(BarrierTests, CancelWaiterWhileDrainingKeepsBarrierUsable) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Barrier barrier(3);
        auto t1 = asyncio::create_task(barrier.wait());
        auto t2 = asyncio::create_task(barrier.wait());
        co_await asyncio::sleep(0);
        auto t3 = asyncio::create_task(barrier.wait());
        co_await asyncio::sleep(0);  // t3 filled it: draining
        EXPECT_THAT(barrier.repr(), HasSubstr("draining"));
        EXPECT_TRUE(t3.done());
        t1.cancel();
        auto [r1, r2] = co_await asyncio::gather(asyncio::return_exceptions, t1, t2);
        EXPECT_TRUE(r1.holds<asyncio::CancelledError>());
        EXPECT_TRUE(r2.has_value());
        EXPECT_FALSE(barrier.broken());
        EXPECT_THAT(barrier.repr(), HasSubstr("filling, waiters:0/3"));

        // Next round works.
        auto a = asyncio::create_task(barrier.wait());
        auto b = asyncio::create_task(barrier.wait());
        auto c = asyncio::create_task(barrier.wait());
        auto [x, y, z] = co_await asyncio::gather(a, b, c);
        EXPECT_EQ(x + y + z, 3u);
    };
    asyncio::run(main());
}

// test_reset_barrier
TEST(BarrierTests, ResetBarrier) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Barrier barrier(1);

        auto t = asyncio::create_task(barrier.reset());
        co_await asyncio::sleep(0);
        EXPECT_TRUE(t.done());

        EXPECT_EQ(barrier.n_waiting(), 0u);
        EXPECT_FALSE(barrier.broken());
        EXPECT_THAT(barrier.repr(), HasSubstr("filling"));
    };
    asyncio::run(main());
}

// test_reset_barrier_while_tasks_waiting
TEST(BarrierTests, ResetBarrierWhileTasksWaiting) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Barrier barrier(N);
        std::vector<std::string> results;

        auto coro = [&]() -> asyncio::Coro<> {
            try {
                co_await barrier.wait();
            } catch (const asyncio::BrokenBarrierError& e) {
                results.push_back(e.what());
            }
        };

        // N-1 tasks waiting on barrier with N parties
        auto tasks = make_tasks(N - 1, coro);
        co_await asyncio::sleep(0);
        EXPECT_EQ(barrier.n_waiting(), N - 1);

        // reset the barrier
        auto reset = asyncio::create_task(barrier.reset());
        co_await asyncio::gather(tasks);
        co_await reset;

        EXPECT_EQ(results, std::vector<std::string>(N - 1, "Abort or reset of barrier"));
        EXPECT_EQ(barrier.n_waiting(), 0u);
        EXPECT_THAT(barrier.repr(), Not(HasSubstr("resetting")));
        EXPECT_FALSE(barrier.broken());
    };
    asyncio::run(main());
}

// test_reset_barrier_when_tasks_half_draining
TEST(BarrierTests, ResetBarrierWhenTasksHalfDraining) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Barrier barrier(N);
        std::vector<std::string> results1;
        const std::size_t rest_of_tasks = N / 2;
        std::size_t exited = 0;  // Python reads barrier._count: N - exited tasks are still inside

        auto coro = [&]() -> asyncio::Coro<> {
            bool passed = false;
            try {
                co_await barrier.wait();
                passed = true;
            } catch (const asyncio::BrokenBarrierError& e) {
                // catch here waiting tasks
                results1.push_back(e.what());
            }
            if (passed) {
                // here drained task outside the barrier
                ++exited;
                if (N - exited == rest_of_tasks) co_await barrier.reset();  // tasks outside the barrier
            }
        };
        co_await gather_tasks(N, coro);

        EXPECT_EQ(results1, std::vector<std::string>(rest_of_tasks, "Abort or reset of barrier"));
        EXPECT_EQ(barrier.n_waiting(), 0u);
        EXPECT_THAT(barrier.repr(), Not(HasSubstr("resetting")));
        EXPECT_FALSE(barrier.broken());
    };
    asyncio::run(main());
}

// test_reset_barrier_when_tasks_half_draining_half_blocking
TEST(BarrierTests, ResetBarrierWhenTasksHalfDrainingHalfBlocking) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Barrier barrier(N);
        int results1 = 0, results2 = 0;
        const std::size_t blocking_tasks = N / 2;
        std::size_t count = 0;

        auto coro = [&]() -> asyncio::Coro<> {
            bool broke = false;
            try {
                co_await barrier.wait();
            } catch (const asyncio::BrokenBarrierError&) {
                broke = true;
            }
            if (broke) {
                // here catch still waiting tasks
                ++results1;
                // so now waiting again to reach nb_parties
                co_await barrier.wait();
            } else {
                ++count;
                if (count > blocking_tasks) {
                    // reset now: raise asyncio.BrokenBarrierError for waiting tasks
                    co_await barrier.reset();
                    // so now waiting again to reach nb_parties
                    co_await barrier.wait();
                } else {
                    try {
                        co_await barrier.wait();
                    } catch (const asyncio::BrokenBarrierError&) {
                        // here no catch - blocked tasks go to wait
                        ++results2;
                    }
                }
            }
        };
        co_await gather_tasks(N, coro);

        EXPECT_EQ(results1, int(blocking_tasks));
        EXPECT_EQ(results2, 0);
        EXPECT_EQ(barrier.n_waiting(), 0u);
        EXPECT_THAT(barrier.repr(), Not(HasSubstr("resetting")));
        EXPECT_FALSE(barrier.broken());
    };
    asyncio::run(main());
}

// test_reset_barrier_while_tasks_waiting_and_waiting_again
TEST(BarrierTests, ResetBarrierWhileTasksWaitingAndWaitingAgain) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Barrier barrier(N);
        std::size_t results1 = 0, results2 = 0;

        auto coro1 = [&]() -> asyncio::Coro<> {
            try {
                co_await barrier.wait();
            } catch (const asyncio::BrokenBarrierError&) {
                ++results1;
            }
            // finally:
            co_await barrier.wait();
            ++results2;
        };
        auto coro2 = [&]() -> asyncio::Coro<> {
            co_await barrier.wait();
            ++results2;
        };

        auto tasks = make_tasks(N - 1, coro1);

        // reset barrier, N-1 waiting tasks raise an BrokenBarrierError
        auto reset = asyncio::create_task(barrier.reset());
        co_await asyncio::sleep(0);

        // complete waiting tasks in the `finally`
        auto last = asyncio::create_task(coro2());

        co_await asyncio::gather(tasks);
        co_await reset;
        co_await last;

        EXPECT_FALSE(barrier.broken());
        EXPECT_EQ(results1, N - 1);
        EXPECT_EQ(results2, N);
        EXPECT_EQ(barrier.n_waiting(), 0u);
    };
    asyncio::run(main());
}

// test_reset_barrier_while_tasks_draining
TEST(BarrierTests, ResetBarrierWhileTasksDraining) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Barrier barrier(N);
        std::size_t results1 = 0, results2 = 0, results3 = 0;
        std::size_t count = 0;

        auto coro = [&]() -> asyncio::Coro<> {
            co_await barrier.wait();
            ++count;
            if (count == N) {
                // last task exited from barrier
                co_await barrier.reset();
                // wait here to reach the `parties`
                co_await barrier.wait();
            } else {
                try {
                    // second waiting
                    co_await barrier.wait();
                    // N-1 tasks here
                    ++results1;
                } catch (const std::exception&) {
                    // never goes here
                    ++results2;
                }
            }
            // Now, pass the barrier again: last wait, must be completed
            co_await barrier.wait();
            ++results3;
        };
        co_await gather_tasks(N, coro);

        EXPECT_FALSE(barrier.broken());
        EXPECT_EQ(results1, N - 1);
        EXPECT_EQ(results2, 0u);
        EXPECT_EQ(results3, N);
        EXPECT_EQ(barrier.n_waiting(), 0u);
    };
    asyncio::run(main());
}

// test_abort_barrier
TEST(BarrierTests, AbortBarrier) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Barrier barrier(1);

        auto t = asyncio::create_task(barrier.abort());
        co_await asyncio::sleep(0);
        EXPECT_TRUE(t.done());

        EXPECT_EQ(barrier.n_waiting(), 0u);
        EXPECT_TRUE(barrier.broken());
        EXPECT_THAT(barrier.repr(), testing::EndsWith("[broken]>"));
    };
    asyncio::run(main());
}

// extra: waiting on a broken barrier throws BrokenBarrierError("Barrier aborted"), whoever
// calls; reset() repairs it.
TEST(BarrierTests, WaitOnBrokenBarrierThenReset) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Barrier barrier(2);
        co_await barrier.abort();
        for (int k = 0; k < 2; ++k) {
            std::exception_ptr e = co_await error_of(barrier.wait());
            EXPECT_TRUE(holds<asyncio::BrokenBarrierError>(e));
            EXPECT_TRUE(holds<concurrence::RuntimeError>(e));  // BrokenBarrierError is a RuntimeError
            EXPECT_EQ(what_of(e), "Barrier aborted");
        }
        EXPECT_TRUE(barrier.broken());

        co_await barrier.reset();
        EXPECT_FALSE(barrier.broken());
        EXPECT_THAT(barrier.repr(), HasSubstr("filling, waiters:0/2"));
        auto a = asyncio::create_task(barrier.wait());
        auto b = asyncio::create_task(barrier.wait());
        auto [x, y] = co_await asyncio::gather(a, b);
        EXPECT_EQ(x, 0u);
        EXPECT_EQ(y, 1u);
    };
    asyncio::run(main());
}

// extra: abort() breaks the current waiters with "Abort or reset of barrier".
TEST(BarrierTests, AbortWhileTasksWaiting) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Barrier barrier(N);
        std::vector<asyncio::Task<std::size_t>> waiters;
        for (std::size_t i = 0; i < N - 2; ++i) waiters.push_back(asyncio::create_task(barrier.wait()));
        co_await asyncio::sleep(0);
        EXPECT_EQ(barrier.n_waiting(), N - 2);

        co_await barrier.abort();
        auto outcomes = co_await asyncio::gather(asyncio::return_exceptions, waiters);
        for (auto& o : outcomes) {
            EXPECT_TRUE(o.holds<asyncio::BrokenBarrierError>());
            EXPECT_EQ(what_of(o.exception()), "Abort or reset of barrier");
        }
        EXPECT_TRUE(barrier.broken());
        EXPECT_EQ(barrier.n_waiting(), 0u);
    };
    asyncio::run(main());
}

// test_abort_barrier_when_tasks_half_draining_half_blocking
TEST(BarrierTests, AbortBarrierWhenTasksHalfDrainingHalfBlocking) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Barrier barrier(N);
        std::vector<std::string> results1, results2;
        const std::size_t blocking_tasks = N / 2;
        std::size_t count = 0;

        auto coro = [&]() -> asyncio::Coro<> {
            bool passed = false;
            try {
                co_await barrier.wait();
                passed = true;
            } catch (const asyncio::BrokenBarrierError& e) {
                // here catch tasks waiting to drain
                results1.push_back(e.what());
            }
            if (!passed) co_return;
            ++count;
            if (count > blocking_tasks) {
                // abort now: raise asyncio.BrokenBarrierError for all tasks
                co_await barrier.abort();
            } else {
                try {
                    co_await barrier.wait();
                } catch (const asyncio::BrokenBarrierError& e) {
                    // here catch blocked tasks (already drained)
                    results2.push_back(e.what());
                }
            }
        };
        co_await gather_tasks(N, coro);

        EXPECT_TRUE(barrier.broken());
        // Still inside the barrier when it broke:
        EXPECT_EQ(results1, std::vector<std::string>(blocking_tasks, "Abort or reset of barrier"));
        // Blocked at the entrance while it drained:
        EXPECT_EQ(results2, std::vector<std::string>(N - blocking_tasks - 1, "Barrier aborted"));
        EXPECT_EQ(barrier.n_waiting(), 0u);
        EXPECT_THAT(barrier.repr(), Not(HasSubstr("resetting")));
    };
    asyncio::run(main());
}

// test_abort_barrier_when_exception
TEST(BarrierTests, AbortBarrierWhenException) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Barrier barrier(N);
        std::size_t results1 = 0, results2 = 0;

        auto coro = [&]() -> asyncio::Coro<> {
            bool failed = false;
            try {
                std::size_t i = co_await barrier.wait();  // async with barrier as i:
                if (i == N / 2) throw concurrence::RuntimeError("boom");
                co_await barrier.wait();  // async with barrier:
                ++results1;
            } catch (const asyncio::BrokenBarrierError&) {
                ++results2;
            } catch (const concurrence::RuntimeError&) {
                failed = true;
            }
            if (failed) co_await barrier.abort();
        };
        co_await gather_tasks(N, coro);

        EXPECT_TRUE(barrier.broken());
        EXPECT_EQ(results1, 0u);
        EXPECT_EQ(results2, N - 1);
        EXPECT_EQ(barrier.n_waiting(), 0u);
    };
    asyncio::run(main());
}

// test_abort_barrier_when_exception_then_resetting
TEST(BarrierTests, AbortBarrierWhenExceptionThenResetting) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Barrier barrier1(N);
        asyncio::Barrier barrier2(N);
        std::size_t results1 = 0, results2 = 0, results3 = 0;

        auto coro = [&]() -> asyncio::Coro<> {
            bool failed = false;
            try {
                std::size_t i = co_await barrier1.wait();
                if (i == N / 2) throw concurrence::RuntimeError("boom");
                co_await barrier1.wait();
                ++results1;
            } catch (const asyncio::BrokenBarrierError&) {
                ++results2;
            } catch (const concurrence::RuntimeError&) {
                failed = true;
            }
            if (failed) co_await barrier1.abort();

            // Synchronize and reset the barrier. Must synchronize first so that everyone has
            // left it when we reset, and after so that no one enters it before the reset.
            std::size_t i = co_await barrier2.wait();
            if (i == N / 2) co_await barrier1.reset();
            co_await barrier2.wait();
            co_await barrier1.wait();
            ++results3;
        };
        co_await gather_tasks(N, coro);

        EXPECT_FALSE(barrier1.broken());
        EXPECT_EQ(results1, 0u);
        EXPECT_EQ(results2, N - 1);
        EXPECT_EQ(results3, N);
        EXPECT_EQ(barrier1.n_waiting(), 0u);
    };
    asyncio::run(main());
}

// extra (threading's test_barrier, asyncio flavour): one barrier reused for several rounds;
// no task starts round r+1 before all have finished round r, and each round hands out the
// indexes 0 .. parties-1 once.
TEST(BarrierTests, ReusedForSeveralRounds) {
    auto main = []() -> asyncio::Coro<> {
        const std::size_t parties = 4, rounds = 10;
        asyncio::Barrier barrier(parties);
        std::vector<std::vector<std::size_t>> indexes(rounds);
        std::vector<std::size_t> arrived(rounds, 0);
        bool overtaken = false;

        auto worker = [&]() -> asyncio::Coro<> {
            for (std::size_t r = 0; r < rounds; ++r) {
                ++arrived[r];
                if (r > 0 && arrived[r - 1] != parties) overtaken = true;
                indexes[r].push_back(co_await barrier.wait());
                co_await asyncio::sleep(0);
            }
        };
        co_await gather_tasks(parties, worker);

        EXPECT_FALSE(overtaken);
        for (auto& round : indexes) {
            std::sort(round.begin(), round.end());
            EXPECT_EQ(round, iota_vector(parties));
        }
        EXPECT_EQ(barrier.n_waiting(), 0u);
        EXPECT_FALSE(barrier.broken());
        EXPECT_THAT(barrier.repr(), HasSubstr("filling, waiters:0/4"));
    };
    asyncio::run(main());
}

}  // namespace
