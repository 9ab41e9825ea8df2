// futures::wait: FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED, with futures already done,
// cancelled (notified or not), failing, duplicated; timeouts; many futures completing at once;
// the waiter leaving the futures when it returns.
// Ports CPython's Lib/test/test_concurrent_futures/test_wait.py (WaitTests,
// ThreadPoolWaitTests).
#include "concurrence/futures/wait.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "concurrence/futures/thread_pool_executor.hpp"
#include "concurrence/threading/event.hpp"
#include "concurrence/threading/thread.hpp"
#include "futures_support.hpp"

namespace {

namespace futures = concurrence::futures;
namespace threading = concurrence::threading;
using namespace futures_test;
using namespace std::chrono_literals;
using testing::ElementsAre;
using testing::IsEmpty;
using testing::UnorderedElementsAre;

class Wait : public testing::Test {
protected:
    futures::ThreadPoolExecutor executor{5};
};

TEST_F(Wait, DuplicatesAreReturnedOnce) {
    // Python's test_20369.
    futures::Future<int> future = executor.submit(mul, 1, 2);
    auto [done, not_done] = futures::wait({future, future}, futures::ALL_COMPLETED);
    EXPECT_THAT(done, ElementsAre(future));
    EXPECT_THAT(not_done, IsEmpty());
}

TEST_F(Wait, FirstCompleted) {
    threading::Event event;
    futures::Future<int> cancelled = cancelled_future();
    futures::Future<int> future1 = executor.submit(mul, 21, 2);
    futures::Future<int> future2 = executor.submit([&] { return event.wait() ? 1 : 0; });
    auto [done, not_done] = futures::wait({cancelled, future1, future2}, futures::FIRST_COMPLETED);
    EXPECT_THAT(done, ElementsAre(future1));
    EXPECT_THAT(not_done, ElementsAre(cancelled, future2));  // a cancel nobody noticed is not done
    event.set();
    future2.result();
}

TEST_F(Wait, FirstCompletedSomeAlreadyCompleted) {
    threading::Event event;
    futures::Future<int> notified = cancelled_and_notified_future();
    futures::Future<int> successful = successful_future();
    futures::Future<int> future1 = executor.submit([&] { return event.wait() ? 1 : 0; });
    auto [finished, pending] = futures::wait({notified, successful, future1}, futures::FIRST_COMPLETED);
    EXPECT_THAT(finished, ElementsAre(notified, successful));
    EXPECT_THAT(pending, ElementsAre(future1));
    event.set();
    future1.result();
}

TEST_F(Wait, FirstException) {
    threading::Event event1, event2;
    futures::Future<int> future1 = executor.submit(mul, 2, 21);
    futures::Future<int> future2 = executor.submit([&]() -> int {
        event1.wait();
        throw concurrence::ValueError("this is an exception");
    });
    futures::Future<int> future3 = executor.submit([&] { return event2.wait() ? 1 : 0; });
    // future1 completes before future2 fails.
    threading::Thread t([&] {
        future1.result();
        event1.set();
    });
    t.start();
    auto [finished, pending] = futures::wait({future1, future2, future3}, futures::FIRST_EXCEPTION);
    EXPECT_THAT(finished, ElementsAre(future1, future2));
    EXPECT_THAT(pending, ElementsAre(future3));
    t.join();
    event2.set();
    future3.result();
}

TEST_F(Wait, FirstExceptionSomeAlreadyComplete) {
    threading::Event event;
    futures::Future<int> successful = successful_future();
    futures::Future<int> cancelled = cancelled_future();
    futures::Future<int> notified = cancelled_and_notified_future();
    futures::Future<int> future1 = executor.submit([]() -> int { throw concurrence::ValueError("divmod(21, 0)"); });
    futures::Future<int> future2 = executor.submit([&] { return event.wait() ? 1 : 0; });
    auto [finished, pending] =
        futures::wait({successful, cancelled, notified, future1, future2}, futures::FIRST_EXCEPTION);
    EXPECT_THAT(finished, ElementsAre(successful, notified, future1));
    EXPECT_THAT(pending, ElementsAre(cancelled, future2));
    event.set();
    future2.result();
}

TEST_F(Wait, FirstExceptionOneAlreadyFailed) {
    threading::Event event;
    futures::Future<int> failed = exception_future();
    futures::Future<int> future1 = executor.submit([&] { return event.wait() ? 1 : 0; });
    auto [finished, pending] = futures::wait({failed, future1}, futures::FIRST_EXCEPTION);
    EXPECT_THAT(finished, ElementsAre(failed));
    EXPECT_THAT(pending, ElementsAre(future1));
    event.set();
    future1.result();
}

TEST_F(Wait, AllCompleted) {
    futures::Future<int> successful = successful_future();
    futures::Future<int> notified = cancelled_and_notified_future();
    futures::Future<int> failed = exception_future();
    futures::Future<int> future1 = executor.submit([]() -> int { throw concurrence::ValueError("divmod(2, 0)"); });
    futures::Future<int> future2 = executor.submit(mul, 2, 21);
    auto [finished, pending] = futures::wait({successful, notified, failed, future1, future2});
    EXPECT_THAT(finished, ElementsAre(successful, notified, failed, future1, future2));
    EXPECT_THAT(pending, IsEmpty());
}

TEST_F(Wait, Timeout) {
    threading::Event event;
    futures::Future<int> notified = cancelled_and_notified_future();
    futures::Future<int> failed = exception_future();
    futures::Future<int> successful = successful_future();
    futures::Future<int> future = executor.submit([&] { return event.wait() ? 1 : 0; });
    const auto start = std::chrono::steady_clock::now();
    auto [finished, pending] = futures::wait({notified, failed, successful, future}, 0.05, futures::ALL_COMPLETED);
    EXPECT_GE(std::chrono::steady_clock::now() - start, 50ms);
    EXPECT_THAT(finished, ElementsAre(notified, failed, successful));
    EXPECT_THAT(pending, ElementsAre(future));
    event.set();
    future.result();
}

TEST_F(Wait, ZeroTimeoutOnlyLooks) {
    threading::Event event;
    futures::Future<int> future = executor.submit([&] { return event.wait() ? 1 : 0; });
    auto [finished, pending] = futures::wait({future, successful_future()}, 0, futures::FIRST_COMPLETED);
    EXPECT_EQ(finished.size(), 1u);
    EXPECT_THAT(pending, ElementsAre(future));
    event.set();
    future.result();  // before `event` goes away
}

TEST_F(Wait, PendingCallsRace) {
    // Python's test_pending_calls_race (issue #14406): many futures completing at once.
    threading::Event event;
    std::vector<futures::Future<void>> fs;
    for (int i = 0; i < 100; ++i) fs.push_back(executor.submit([&] { event.wait(); }));
    event.set();
    auto [finished, pending] = futures::wait(fs, futures::ALL_COMPLETED);
    EXPECT_EQ(finished.size(), 100u);
    EXPECT_THAT(pending, IsEmpty());
}

TEST_F(Wait, ACancelNoticedLaterCompletesTheWait) {
    futures::Future<int> f = cancelled_future();
    threading::Thread notifier([f]() mutable {
        std::this_thread::sleep_for(10ms);
        f.set_running_or_notify_cancel();
    });
    notifier.start();
    auto [finished, pending] = futures::wait({f}, 30);
    EXPECT_THAT(finished, ElementsAre(f));
    notifier.join();
}

TEST(WaitNoExecutor, EmptyListReturnsAtOnce) {
    const std::vector<futures::Future<int>> none;
    for (futures::ReturnWhen rw : {futures::FIRST_COMPLETED, futures::FIRST_EXCEPTION, futures::ALL_COMPLETED}) {
        auto [done, not_done] = futures::wait(none, rw);
        EXPECT_THAT(done, IsEmpty());
        EXPECT_THAT(not_done, IsEmpty());
    }
}

TEST(WaitNoExecutor, FuturesCompletedAfterATimedOutWaitAreLeftAlone) {
    // The waiter is gone when wait() returns: completing the futures later touches nothing of it.
    std::vector<futures::Future<int>> fs(20);
    auto [done, not_done] = futures::wait(fs, 0.001);
    EXPECT_THAT(done, IsEmpty());
    EXPECT_EQ(not_done.size(), 20u);
    for (int i = 0; i < 20; ++i) fs[i].set_result(i);
    auto [done2, not_done2] = futures::wait(fs, 0);
    EXPECT_EQ(done2.size(), 20u);
}

TEST(WaitNoExecutor, ManyWaitersOnTheSameFutures) {
    std::vector<futures::Future<int>> fs(10);
    std::vector<threading::Thread> waiters;
    std::atomic<int> ok{0};
    for (int w = 0; w < 4; ++w) {
        waiters.emplace_back([&, w] {
            auto [done, not_done] = futures::wait(fs, w % 2 ? futures::FIRST_COMPLETED : futures::ALL_COMPLETED);
            if (!done.empty()) ok.fetch_add(1);
        });
        waiters.back().start();
    }
    for (int i = 0; i < 10; ++i) fs[i].set_result(i);
    for (auto& t : waiters) t.join();
    EXPECT_EQ(ok.load(), 4);
}

TEST(WaitNoExecutor, InvalidReturnWhen) {
    std::vector<futures::Future<int>> fs(1);
    EXPECT_THROW(futures::wait(fs, 0, static_cast<futures::ReturnWhen>(42)), concurrence::ValueError);
}

// Past threading::TIMEOUT_MAX: OverflowError, as Python's Condition/Event.wait raise it.
// result() and exception() wait only for an unfinished future; wait() checks at once.
TEST(TimeoutMax, ResultExceptionAndWaitRaiseOverflowErrorPastIt) {
    const double too_long = threading::TIMEOUT_MAX * 2;
    auto done = successful_future();
    EXPECT_EQ(done.result(too_long), 42);
    auto pending = pending_future();
    EXPECT_THROW((void)pending.result(too_long), concurrence::OverflowError);
    EXPECT_THROW((void)pending.exception(too_long), concurrence::OverflowError);
    EXPECT_THROW((void)futures::wait({pending}, too_long), concurrence::OverflowError);
    pending.set_result(1);
    EXPECT_EQ(pending.result(threading::TIMEOUT_MAX), 1);
}

}  // namespace
