// asyncio::Event: the semantics of CPython's Lib/test/test_asyncio/test_locks.py EventTests,
// ported to C++. Each test names the CPython test it ports; tests marked "extra" check a
// documented behaviour that CPython tests only indirectly.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

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

// CPython's RGX_REPR, in the library's shape: "<asyncio::Event at 0x... [unset, waiters:1]>".
bool event_repr_matches(const std::string& repr) { return sync_test::repr_matches(repr, "asyncio::Event", "set|unset"); }

asyncio::Coro<bool> wait_of(asyncio::Event& ev) { co_return co_await ev.wait(); }

// test_repr (Python appends a mock waiter; here a real one)
TEST(EventTests, Repr) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Event ev;
        EXPECT_THAT(ev.repr(), EndsWith("[unset]>"));
        EXPECT_TRUE(event_repr_matches(ev.repr())) << ev.repr();

        ev.set();
        EXPECT_THAT(ev.repr(), EndsWith("[set]>"));
        EXPECT_TRUE(event_repr_matches(ev.repr())) << ev.repr();

        ev.clear();
        auto t = asyncio::create_task(wait_of(ev));
        co_await asyncio::sleep(0);
        EXPECT_THAT(ev.repr(), HasSubstr("waiters:1"));
        EXPECT_THAT(ev.repr(), EndsWith("[unset, waiters:1]>"));
        EXPECT_TRUE(event_repr_matches(ev.repr())) << ev.repr();
        ev.set();
        EXPECT_TRUE(co_await t);
        EXPECT_THAT(ev.repr(), EndsWith("[set]>"));
    };
    asyncio::run(main());
}

// test_wait: the waiter created after set() but before the others ran returns first.
TEST(EventTests, Wait) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Event ev;
        EXPECT_FALSE(ev.is_set());
        std::vector<int> result;
        auto c = [&](int n) -> asyncio::Coro<> {
            if (co_await ev.wait()) result.push_back(n);
        };
        auto t1 = asyncio::create_task(c(1));
        auto t2 = asyncio::create_task(c(2));

        co_await asyncio::sleep(0);
        EXPECT_EQ(result, (std::vector<int>{}));

        auto t3 = asyncio::create_task(c(3));

        ev.set();
        co_await asyncio::sleep(0);
        EXPECT_EQ(result, (std::vector<int>{3, 1, 2}));

        EXPECT_TRUE(t1.done());
        EXPECT_TRUE(t2.done());
        EXPECT_TRUE(t3.done());
        EXPECT_FALSE(t1.exception());
        EXPECT_FALSE(t2.exception());
        EXPECT_FALSE(t3.exception());
    };
    asyncio::run(main());
}

// test_wait_on_set
TEST(EventTests, WaitOnSet) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Event ev;
        ev.set();
        EXPECT_TRUE(co_await ev.wait());
        EXPECT_TRUE(ev.is_set());  // waiting does not consume the flag
        EXPECT_TRUE(co_await ev.wait());
    };
    asyncio::run(main());
}

// test_wait_cancel
TEST(EventTests, WaitCancel) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Event ev;
        auto wait = asyncio::create_task(wait_of(ev));
        asyncio::get_running_loop().call_soon([&wait] { wait.cancel(); });
        std::exception_ptr e = co_await error_of(wait);
        EXPECT_TRUE(holds<asyncio::CancelledError>(e));
        EXPECT_TRUE(wait.cancelled());
        EXPECT_THAT(ev.repr(), EndsWith("[unset]>"));  // Python: assertFalse(ev._waiters)
    };
    asyncio::run(main());
}

// test_clear
TEST(EventTests, Clear) {
    asyncio::Event ev;
    EXPECT_FALSE(ev.is_set());
    ev.set();
    EXPECT_TRUE(ev.is_set());
    ev.clear();
    EXPECT_FALSE(ev.is_set());
    ev.clear();  // clearing an unset event is a no-op
    EXPECT_FALSE(ev.is_set());
}

// test_clear_with_waiters: set() then clear() before the waiter ran: it still returns true.
// (Python also checks len(ev._waiters) == 1 until the waiter runs; here set() unlinks the
// waiters at once, which only the repr could tell.)
TEST(EventTests, ClearWithWaiters) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Event ev;
        std::vector<int> result;
        auto c1 = [&]() -> asyncio::Coro<bool> {
            if (co_await ev.wait()) result.push_back(1);
            co_return true;
        };
        auto t = asyncio::create_task(c1());
        co_await asyncio::sleep(0);
        EXPECT_EQ(result, (std::vector<int>{}));

        ev.set();
        ev.clear();
        EXPECT_FALSE(ev.is_set());

        ev.set();
        ev.set();

        co_await asyncio::sleep(0);
        EXPECT_EQ(result, (std::vector<int>{1}));
        EXPECT_THAT(ev.repr(), Not(HasSubstr("waiters")));
        EXPECT_TRUE(t.done() && t.result());
    };
    asyncio::run(main());
}

// extra: set() then clear() with no second set(): the waiters woken by set() still return.
TEST(EventTests, SetThenClearStillWakesTheWaiters) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Event ev;
        auto t1 = asyncio::create_task(wait_of(ev));
        auto t2 = asyncio::create_task(wait_of(ev));
        co_await asyncio::sleep(0);
        ev.set();
        ev.clear();
        co_await asyncio::sleep(0);
        EXPECT_TRUE(t1.done() && t1.result());
        EXPECT_TRUE(t2.done() && t2.result());
        EXPECT_FALSE(ev.is_set());
        // A new waiter waits for the next set().
        auto t3 = asyncio::create_task(wait_of(ev));
        co_await asyncio::sleep(0);
        EXPECT_FALSE(t3.done());
        ev.set();
        EXPECT_TRUE(co_await t3);
    };
    asyncio::run(main());
}

// extra: set() wakes every waiter, in the order they came.
TEST(EventTests, ManyWaitersWakeInOrder) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Event ev;
        std::vector<int> order;
        auto c = [&](int n) -> asyncio::Coro<> {
            co_await ev.wait();
            order.push_back(n);
        };
        std::vector<asyncio::Task<>> tasks;
        for (int i = 0; i < 100; ++i) tasks.push_back(asyncio::create_task(c(i)));
        co_await asyncio::sleep(0);
        EXPECT_THAT(ev.repr(), EndsWith("[unset, waiters:100]>"));
        EXPECT_TRUE(order.empty());
        ev.set();
        EXPECT_THAT(ev.repr(), EndsWith("[set]>"));
        co_await asyncio::sleep(0);
        std::vector<int> expected;
        for (int i = 0; i < 100; ++i) expected.push_back(i);
        EXPECT_EQ(order, expected);
        for (auto& t : tasks) EXPECT_TRUE(t.done());
    };
    asyncio::run(main());
}

// extra: cancelling some of many waiters leaves the others waiting, and set() wakes exactly
// those.
TEST(EventTests, CancelSomeOfManyWaiters) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Event ev;
        std::vector<int> order;
        auto c = [&](int n) -> asyncio::Coro<> {
            co_await ev.wait();
            order.push_back(n);
        };
        std::vector<asyncio::Task<>> tasks;
        for (int i = 0; i < 6; ++i) tasks.push_back(asyncio::create_task(c(i)));
        co_await asyncio::sleep(0);
        tasks[0].cancel();
        tasks[3].cancel();
        tasks[5].cancel();
        co_await asyncio::sleep(0);
        EXPECT_THAT(ev.repr(), EndsWith("[unset, waiters:3]>"));
        ev.set();
        co_await asyncio::sleep(0);
        EXPECT_EQ(order, (std::vector<int>{1, 2, 4}));
        for (int i : {0, 3, 5}) EXPECT_TRUE(tasks[i].cancelled()) << i;
        for (int i : {1, 2, 4}) EXPECT_TRUE(tasks[i].done() && !tasks[i].cancelled()) << i;
    };
    asyncio::run(main());
}

// extra: a waiter cancelled after set() woke it, before it ran: the cancellation wins (Python:
// the task's _must_cancel throws CancelledError at `await fut`), and the other waiters are
// not affected.
TEST(EventTests, WaiterCancelledAfterSet) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Event ev;
        auto t1 = asyncio::create_task(wait_of(ev));
        auto t2 = asyncio::create_task(wait_of(ev));
        co_await asyncio::sleep(0);
        ev.set();
        t1.cancel();
        std::exception_ptr e = co_await error_of(t1);
        EXPECT_TRUE(holds<asyncio::CancelledError>(e));
        EXPECT_TRUE(t1.cancelled());
        EXPECT_TRUE(co_await t2);
        EXPECT_TRUE(ev.is_set());
    };
    asyncio::run(main());
}

// extra: cancel(msg) reaches the waiter with its message.
TEST(EventTests, WaitCancelledWithMessage) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Event ev;
        std::string seen;
        auto c = [&]() -> asyncio::Coro<> {
            try {
                co_await ev.wait();
            } catch (const asyncio::CancelledError& e) {
                seen = e.what();
                throw;
            }
        };
        auto t = asyncio::create_task(c());
        co_await asyncio::sleep(0);
        t.cancel("stop waiting");
        std::exception_ptr e = co_await error_of(t);
        EXPECT_TRUE(holds<asyncio::CancelledError>(e));
        EXPECT_EQ(seen, "stop waiting");
        EXPECT_THAT(ev.repr(), EndsWith("[unset]>"));
    };
    asyncio::run(main());
}

// extra: asyncio.wait_for(ev.wait(), t) times out and leaves no waiter; a later set() works.
TEST(EventTests, TimedOutWaitLeavesNoWaiter) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Event ev;
        std::exception_ptr e = co_await error_of(asyncio::wait_for(ev.wait(), 0.01));
        EXPECT_TRUE(holds<concurrence::TimeoutError>(e));
        EXPECT_THAT(ev.repr(), EndsWith("[unset]>"));
        auto t = asyncio::create_task(wait_of(ev));
        co_await asyncio::sleep(0);
        ev.set();
        EXPECT_TRUE(co_await asyncio::wait_for(t, 1.0));
    };
    asyncio::run(main());
}

// extra: an event reused for several rounds of set / clear / wait.
TEST(EventTests, ReusedAcrossRounds) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Event ev;
        int woken = 0;
        auto c = [&]() -> asyncio::Coro<> {
            co_await ev.wait();
            ++woken;
        };
        for (int round = 1; round <= 3; ++round) {
            ev.clear();
            auto a = asyncio::create_task(c());
            auto b = asyncio::create_task(c());
            co_await asyncio::sleep(0);
            EXPECT_EQ(woken, 2 * (round - 1));
            ev.set();
            co_await a;
            co_await b;
            EXPECT_EQ(woken, 2 * round);
        }
    };
    asyncio::run(main());
}

// extra: Python's _LoopBoundMixin: an event waited on in one loop cannot be waited on from
// another.
TEST(EventTests, BoundToTheFirstLoop) {
    asyncio::Event ev;
    auto first = [&]() -> asyncio::Coro<> {
        ev.set();
        co_await ev.wait();
    };
    asyncio::run(first());
    auto second = [&]() -> asyncio::Coro<> {
        std::exception_ptr e = co_await error_of(ev.wait());
        EXPECT_THAT(what_of(e), HasSubstr("is bound to a different event loop"));
        co_return;
    };
    asyncio::run(second());
}

// main() returns while a task waits on main's local Event; asyncio::run cancels the leftover
// task at shutdown. Python: the task is cancelled cleanly. Here too: the destroyed event
// orphaned its waiter, and the cancellation touches nothing (ASan checks it).
TEST(EventTests, RunCancelsAWaiterOfAFinishedMainsEvent) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Event ev;
        asyncio::create_task(wait_of(ev));
        co_await asyncio::sleep(0);
    };
    asyncio::run(main());
}

}  // namespace
