// asyncio::wait, ported from CPython's Lib/test/test_asyncio/test_tasks.py (test_wait*,
// test_yield_wait_does_not_shield_cancel): ALL_COMPLETED, FIRST_COMPLETED, FIRST_EXCEPTION,
// timeouts that cancel nothing, duplicates, futures already done, an empty set, and the
// waiting task's cancellation leaving the children alone.
// Python returns sets: the checks below never depend on the order inside done/pending.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "semantic/support.hpp"

namespace {

using semantic::value_after;

namespace asyncio = concurrence::asyncio;
using asyncio::CancelledError;
using semantic::run_once;
using semantic::nap;
using testing::UnorderedElementsAre;

using IntTasks = std::vector<asyncio::Task<int>>;



asyncio::Coro<int> fail_after(double delay, std::string msg) {
    if (delay > 0) co_await asyncio::sleep(delay);
    throw std::domain_error(msg);  // Python's ZeroDivisionError('err')
}

asyncio::Coro<std::string> text(std::string s) { co_return s; }

// ---- ALL_COMPLETED

asyncio::Coro<int> wait_all_main() {
    auto a = asyncio::create_task(nap(0.001));
    auto b = asyncio::create_task(nap(0.002));
    for (int round = 0; round < 2; ++round) {
        // The second round exercises the path where every task is already done.
        std::vector<asyncio::Task<>> fs{b, a};
        auto [done, pending] = co_await asyncio::wait(std::move(fs));
        EXPECT_THAT(done, UnorderedElementsAre(a, b));
        EXPECT_TRUE(pending.empty());
    }
    co_return 42;
}

TEST(Wait, Wait) {
    // test_tasks.py test_wait.
    EXPECT_EQ(asyncio::run(wait_all_main()), 42);
}

asyncio::Coro<> wait_duplicates_main() {
    auto c = asyncio::create_task(text("test"));
    auto d = asyncio::create_task(text("spam"));
    std::vector<asyncio::Task<std::string>> fs{c, c, d};
    auto [done, pending] = co_await asyncio::wait(std::move(fs));
    EXPECT_TRUE(pending.empty());
    EXPECT_EQ(done.size(), 2u);  // a set: c once
    std::set<std::string> results;
    for (auto& t : done) results.insert(t.result());
    EXPECT_EQ(results, (std::set<std::string>{"test", "spam"}));
}

TEST(Wait, WaitDuplicateCoroutines) {
    // test_tasks.py test_wait_duplicate_coroutines.
    asyncio::run(wait_duplicates_main());
}

asyncio::Coro<std::string> wait_empty_main() {
    try {
        IntTasks fs;
        co_await asyncio::wait(std::move(fs));
    } catch (const concurrence::ValueError& e) {
        co_return e.what();
    }
    co_return "no ValueError";
}

TEST(Wait, WaitErrors) {
    // test_tasks.py test_wait_errors / test_wait_invalid_args: an empty set is refused.
    EXPECT_EQ(asyncio::run(wait_empty_main()), "Set of Tasks/Futures is empty.");
}

asyncio::Coro<bool> wait_empty_lazily_main() {
    bool raised_at_call = false;
    asyncio::Coro<asyncio::WaitResult<asyncio::Task<int>>> w;
    try {
        w = asyncio::wait(IntTasks{});
    } catch (const concurrence::ValueError&) {
        raised_at_call = true;
    }
    EXPECT_FALSE(raised_at_call);
    if (raised_at_call) co_return false;
    bool raised_at_await = false;
    try {
        co_await std::move(w);
    } catch (const concurrence::ValueError&) {
        raised_at_await = true;
    }
    co_return raised_at_await;
}

TEST(Wait, WaitErrorsAreRaisedWhenAwaitedNotWhenCalled) {
    // test_tasks.py test_wait_errors, as written.
    EXPECT_TRUE(asyncio::run(wait_empty_lazily_main()));
}

asyncio::Coro<> wait_with_exception_main() {
    auto a = asyncio::create_task(value_after(0.001, 1));
    auto b = asyncio::create_task(fail_after(0.002, "really"));
    for (int round = 0; round < 2; ++round) {
        IntTasks fs{b, a};
        auto [done, pending] = co_await asyncio::wait(std::move(fs));
        EXPECT_EQ(done.size(), 2u);
        EXPECT_TRUE(pending.empty());
        int errors = 0;
        for (auto& t : done)
            if (t.exception()) ++errors;
        EXPECT_EQ(errors, 1);
    }
}

TEST(Wait, WaitWithException) {
    // test_tasks.py test_wait_with_exception: ALL_COMPLETED waits for a failure too, and
    // does not raise it.
    asyncio::run(wait_with_exception_main());
}

// ---- FIRST_COMPLETED

asyncio::Coro<> wait_first_completed_main() {
    auto a = asyncio::create_task(nap(10.0));
    auto b = asyncio::create_task(nap(0.001));
    std::vector<asyncio::Task<>> fs{b, a};
    auto [done, pending] = co_await asyncio::wait(std::move(fs), asyncio::FIRST_COMPLETED);
    EXPECT_THAT(done, UnorderedElementsAre(b));
    EXPECT_THAT(pending, UnorderedElementsAre(a));
    EXPECT_FALSE(a.done());
    EXPECT_TRUE(b.done());
    EXPECT_NO_THROW(b.result());
    a.cancel();
}

TEST(Wait, WaitFirstCompleted) {
    // test_tasks.py test_wait_first_completed.
    asyncio::run(wait_first_completed_main());
}

asyncio::Coro<> yield_once() { co_await asyncio::sleep(0); }
asyncio::Coro<> yield_twice() {
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
}

asyncio::Coro<> wait_really_done_main() {
    auto a = asyncio::create_task(yield_once());
    auto b = asyncio::create_task(yield_twice());
    std::vector<asyncio::Task<>> fs{b, a};
    auto [done, pending] = co_await asyncio::wait(std::move(fs), asyncio::FIRST_COMPLETED);
    // b finished between a's completion and the wakeup of wait(): it is reported done too.
    EXPECT_THAT(done, UnorderedElementsAre(a, b));
    EXPECT_TRUE(pending.empty());
    EXPECT_TRUE(a.done());
    EXPECT_TRUE(b.done());
}

TEST(Wait, WaitReallyDone) {
    // test_tasks.py test_wait_really_done.
    asyncio::run(wait_really_done_main());
}

// ---- FIRST_EXCEPTION

asyncio::Coro<> wait_first_exception_main() {
    auto a = asyncio::create_task(value_after(10.0, 1));
    auto b = asyncio::create_task(fail_after(0, "err"));  // fails in its first step
    co_await asyncio::sleep(0);
    EXPECT_TRUE(b.done());  // already failed when wait() is called
    IntTasks fs{b, a};
    auto [done, pending] = co_await asyncio::wait(std::move(fs), asyncio::FIRST_EXCEPTION);
    EXPECT_THAT(done, UnorderedElementsAre(b));
    EXPECT_THAT(pending, UnorderedElementsAre(a));
    EXPECT_FALSE(a.done());
    EXPECT_TRUE(semantic::holds<std::domain_error>(b.exception()));
    a.cancel();
}

TEST(Wait, WaitFirstException) {
    // test_tasks.py test_wait_first_exception: a task that already failed.
    asyncio::run(wait_first_exception_main());
}

asyncio::Coro<> wait_first_exception_in_wait_main() {
    auto a = asyncio::create_task(value_after(10.0, 1));
    auto b = asyncio::create_task(fail_after(0.001, "err"));
    IntTasks fs{b, a};
    auto [done, pending] = co_await asyncio::wait(std::move(fs), asyncio::FIRST_EXCEPTION);
    EXPECT_THAT(done, UnorderedElementsAre(b));
    EXPECT_THAT(pending, UnorderedElementsAre(a));
    EXPECT_FALSE(a.done());
    a.cancel();
}

TEST(Wait, WaitFirstExceptionInWait) {
    // test_tasks.py test_wait_first_exception_in_wait: the failure comes while waiting.
    asyncio::run(wait_first_exception_in_wait_main());
}

asyncio::Coro<> wait_first_exception_without_exception_main() {
    auto a = asyncio::create_task(value_after(0.001, 1));
    auto b = asyncio::create_task(value_after(0.005, 2));
    IntTasks fs{a, b};
    auto [done, pending] = co_await asyncio::wait(std::move(fs), asyncio::FIRST_EXCEPTION);
    // No exception: FIRST_EXCEPTION is ALL_COMPLETED.
    EXPECT_THAT(done, UnorderedElementsAre(a, b));
    EXPECT_TRUE(pending.empty());
}

TEST(Wait, WaitFirstExceptionWithoutAnExceptionWaitsForAll) {
    // tasks.py wait(): "If no future raises an exception then it is equivalent to
    // ALL_COMPLETED" (the documented rule behind test_wait_first_exception).
    asyncio::run(wait_first_exception_without_exception_main());
}

asyncio::Coro<> wait_first_exception_cancelled_main() {
    auto& loop = asyncio::get_running_loop();
    auto a = loop.create_future<int>();
    auto b = loop.create_future<int>();
    loop.call_soon([b]() mutable { b.cancel(); });
    std::vector<asyncio::Future<int>> fs{a, b};
    auto [done, pending] = co_await asyncio::wait(std::move(fs), 0.02, asyncio::FIRST_EXCEPTION);
    // A cancellation is not an exception for FIRST_EXCEPTION: wait() ran to its timeout.
    EXPECT_EQ(done.size(), 1u);
    EXPECT_EQ(pending.size(), 1u);
    EXPECT_TRUE(b.cancelled());
    EXPECT_FALSE(a.done());
}

TEST(Wait, WaitFirstExceptionDoesNotStopAtACancelledFuture) {
    // tasks.py _wait's _on_completion: `return_when == FIRST_EXCEPTION and not f.cancelled()
    // and f.exception() is not None`.
    asyncio::run(wait_first_exception_cancelled_main());
}

// ---- timeouts

asyncio::Coro<> wait_with_timeout_main() {
    auto a = asyncio::create_task(nap(0.001));
    auto b = asyncio::create_task(nap(10.0));
    std::vector<asyncio::Task<>> fs{b, a};
    auto [done, pending] = co_await asyncio::wait(std::move(fs), 0.05);
    EXPECT_THAT(done, UnorderedElementsAre(a));
    EXPECT_THAT(pending, UnorderedElementsAre(b));
    // The timeout cancels nothing.
    EXPECT_FALSE(b.done());
    EXPECT_FALSE(b.cancelled());
    EXPECT_EQ(b.cancelling(), 0);
    b.cancel();
}

TEST(Wait, WaitWithTimeout) {
    // test_tasks.py test_wait_with_timeout.
    asyncio::run(wait_with_timeout_main());
}

asyncio::Coro<> wait_timeout_first_completed_main() {
    auto& loop = asyncio::get_running_loop();
    auto a = loop.create_future<int>();
    auto b = loop.create_future<int>();
    std::vector<asyncio::Future<int>> fs{a, b};
    auto [done, pending] = co_await asyncio::wait(std::move(fs), 0.01, asyncio::FIRST_COMPLETED);
    EXPECT_TRUE(done.empty());
    EXPECT_EQ(pending.size(), 2u);
    EXPECT_FALSE(a.done());
    EXPECT_FALSE(b.done());
}

TEST(Wait, WaitTimeoutWithNothingDoneReturnsEverythingPending) {
    // test_tasks.py test_wait_with_timeout / test_wait_concurrent_complete, where the timeout
    // comes before any completion: (set(), {a, b}), nothing cancelled.
    asyncio::run(wait_timeout_first_completed_main());
}

// ---- futures already done

asyncio::Coro<> wait_done_futures_main() {
    auto& loop = asyncio::get_running_loop();
    auto a = loop.create_future<int>();
    auto b = loop.create_future<int>();
    auto c = loop.create_future<int>();
    a.set_result(1);
    b.set_exception(std::make_exception_ptr(std::runtime_error("b failed")));
    c.cancel();
    std::vector<asyncio::Future<int>> fs{a, b, c};
    auto [done, pending] = co_await asyncio::wait(std::move(fs));
    EXPECT_EQ(done.size(), 3u);
    EXPECT_TRUE(pending.empty());
    EXPECT_EQ(a.result(), 1);
    EXPECT_TRUE(b.exception());
    EXPECT_TRUE(c.cancelled());
}

TEST(Wait, WaitOnFuturesAlreadyDone) {
    // test_tasks.py test_wait, second round ("Doing it again should take no time and exercise
    // a different path"), with futures in the three done states.
    asyncio::run(wait_done_futures_main());
}

// ---- the waiting task cancelled

asyncio::Coro<> nowait_inner(asyncio::Future<void> waiter, int* proof) {
    co_await waiter;
    *proof += 1;
}

asyncio::Coro<> nowait_outer(asyncio::Future<void> waiter, int* proof, asyncio::Task<>* child) {
    *child = asyncio::create_task(nowait_inner(waiter, proof));
    std::vector<asyncio::Task<>> fs{*child};
    (void)co_await asyncio::wait(std::move(fs));
    *proof += 100;
}

TEST(Wait, YieldWaitDoesNotShieldCancel) {
    // test_tasks.py test_yield_wait_does_not_shield_cancel: cancelling outer() makes wait()
    // return early (with CancelledError) and leaves inner() running.
    asyncio::EventLoop loop;
    int proof = 0;
    auto waiter = loop.create_future();
    asyncio::Task<> child;
    auto f = loop.create_task(nowait_outer(waiter, &proof, &child));
    run_once(loop);
    EXPECT_TRUE(f.cancel());
    EXPECT_THROW(loop.run_until_complete(f), CancelledError);
    EXPECT_TRUE(f.cancelled());
    EXPECT_FALSE(child.done());
    EXPECT_FALSE(waiter.cancelled());
    waiter.set_result();
    run_once(loop);
    run_once(loop);
    EXPECT_EQ(proof, 1);
    EXPECT_TRUE(child.done());
    EXPECT_FALSE(child.cancelled());
}

}  // namespace
