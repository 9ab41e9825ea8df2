// First end-to-end checks of every task-control API (issue 3); the detailed ports of
// CPython's test_tasks / test_taskgroups / test_timeouts / test_waitfor are beside it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "semantic/support.hpp"

namespace {

using namespace std::chrono_literals;
using namespace semantic;
using testing::ElementsAre;

asyncio::Coro<int> fail_with_value_error_after(double delay, std::string msg) {
    co_await asyncio::sleep(delay);
    throw concurrence::ValueError(msg);
}

TEST(TaskControlSmoke, GatherReturnExceptions) {
    auto r = asyncio::run([]() -> asyncio::Coro<std::tuple<asyncio::Outcome<int>, asyncio::Outcome<int>>> {
        co_return co_await asyncio::gather(asyncio::return_exceptions, value_after(0, 1), fail_with_value_error_after(0, "x"));
    }());
    EXPECT_EQ(std::get<0>(r).value(), 1);
    EXPECT_TRUE(std::get<1>(r).holds<concurrence::ValueError>());
}

TEST(TaskControlSmoke, ShieldKeepsInnerRunning) {
    int got = asyncio::run([]() -> asyncio::Coro<int> {
        auto inner = asyncio::create_task(value_after(0.01, 7));
        auto outer = asyncio::create_task([](asyncio::Task<int> t) -> asyncio::Coro<int> {
            co_return co_await asyncio::shield(t);
        }(inner));
        co_await asyncio::sleep(0);
        outer.cancel();
        try {
            co_await outer;
        } catch (const asyncio::CancelledError&) {
        }
        co_return co_await inner;
    }());
    EXPECT_EQ(got, 7);
}

TEST(TaskControlSmoke, TimeoutBecomesTimeoutError) {
    bool timed_out = false;
    asyncio::run([&]() -> asyncio::Coro<> {
        try {
            co_await asyncio::async_with(asyncio::timeout(0.01), [&](asyncio::Timeout& cm) -> asyncio::Coro<> {
                EXPECT_TRUE(cm.when().has_value());
                co_await asyncio::sleep(10);
            });
        } catch (const concurrence::TimeoutError&) {
            timed_out = true;
        }
        EXPECT_EQ(asyncio::current_task().cancelling(), 0);
    }());
    EXPECT_TRUE(timed_out);
}

TEST(TaskControlSmoke, WaitForReturnsOrTimesOut) {
    asyncio::run([]() -> asyncio::Coro<> {
        EXPECT_EQ(co_await asyncio::wait_for(value_after(0, 3), 10), 3);
        EXPECT_EQ(co_await asyncio::wait_for(value_after(0, 4), std::nullopt), 4);
        bool timed_out = false;
        try {
            co_await asyncio::wait_for(value_after(10, 5), 0.01);
        } catch (const concurrence::TimeoutError&) {
            timed_out = true;
        }
        EXPECT_TRUE(timed_out);
    }());
}

TEST(TaskControlSmoke, TaskGroupCollectsErrors) {
    int errors = 0;
    asyncio::run([&]() -> asyncio::Coro<> {
        try {
            co_await asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& tg) -> asyncio::Coro<> {
                tg.create_task(fail_with_value_error_after(0.001, "a"));
                tg.create_task(fail_with_value_error_after(0.001, "b"));
                tg.create_task(value_after(10, 1));
                co_await asyncio::sleep(10);
            });
        } catch (const asyncio::ExceptionGroup& eg) {
            errors = static_cast<int>(eg.exceptions().size());
        }
        EXPECT_EQ(asyncio::current_task().cancelling(), 0);
    }());
    EXPECT_EQ(errors, 2);
}

TEST(TaskControlSmoke, WaitFirstCompleted) {
    asyncio::run([]() -> asyncio::Coro<> {
        std::vector<asyncio::Task<int>> ts{asyncio::create_task(value_after(0, 1)), asyncio::create_task(value_after(10, 2))};
        auto [done, pending] = co_await asyncio::wait(ts, asyncio::FIRST_COMPLETED);
        EXPECT_EQ(done.size(), 1u);
        EXPECT_EQ(pending.size(), 1u);
        EXPECT_EQ(done[0].result(), 1);
        pending[0].cancel();
    }());
}

TEST(TaskControlSmoke, AsCompletedInCompletionOrder) {
    std::vector<int> order;
    asyncio::run([&]() -> asyncio::Coro<> {
        std::vector<asyncio::Coro<int>> cs;
        cs.push_back(value_after(0.02, 2));
        cs.push_back(value_after(0.01, 1));
        cs.push_back(value_after(0, 0));
        auto ac = asyncio::as_completed(std::move(cs));
        while (auto t = co_await ac.next()) order.push_back(t->result());
    }());
    EXPECT_THAT(order, ElementsAre(0, 1, 2));
}

TEST(TaskControlSmoke, AsCompletedRangeForm) {
    std::vector<int> order;
    asyncio::run([&]() -> asyncio::Coro<> {
        std::vector<asyncio::Coro<int>> cs;
        cs.push_back(value_after(0.01, 1));
        cs.push_back(value_after(0, 0));
        for (auto next : asyncio::as_completed(std::move(cs))) order.push_back(co_await next);
    }());
    EXPECT_THAT(order, ElementsAre(0, 1));
}

TEST(TaskControlSmoke, TryFinallyAndOnCancel) {
    Log log;
    asyncio::run([&]() -> asyncio::Coro<> {
        auto t = asyncio::create_task(asyncio::on_cancel(value_after(10, 1), [&]() -> asyncio::Coro<> {
            co_await asyncio::sleep(0);
            log.push_back("cleanup");
        }));
        co_await asyncio::sleep(0);
        t.cancel();
        try {
            co_await t;
        } catch (const asyncio::CancelledError&) {
            log.push_back("cancelled");
        }
        int v = co_await asyncio::try_finally(value_after(0, 2), [&]() -> asyncio::Coro<> {
            log.push_back("finally");
            co_return;
        });
        EXPECT_EQ(v, 2);
    }());
    EXPECT_THAT(log, ElementsAre("cleanup", "cancelled", "finally"));
}

TEST(TaskControlSmoke, EagerTaskRunsAtCreation) {
    Log log;
    asyncio::run([&]() -> asyncio::Coro<> {
        asyncio::get_running_loop().set_task_factory(asyncio::eager_task_factory);
        auto t = asyncio::create_task([](Log& l) -> asyncio::Coro<int> {
            l.push_back("eager step");
            co_return 5;
        }(log));
        log.push_back("after create");
        EXPECT_TRUE(t.done());
        EXPECT_EQ(co_await t, 5);
    }());
    EXPECT_THAT(log, ElementsAre("eager step", "after create"));
}

}  // namespace
