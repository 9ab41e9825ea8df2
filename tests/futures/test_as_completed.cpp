// futures::as_completed: futures yielded as they complete (done ones first), each once, the
// timeout and its message, no reference kept to a yielded future, next(), leaving early.
// Ports CPython's Lib/test/test_concurrent_futures/test_as_completed.py (AsCompletedTests).
#include "concurrence/futures/as_completed.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
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
using testing::StrEq;
using testing::ThrowsMessage;
using testing::UnorderedElementsAre;
using testing::UnorderedElementsAreArray;

TEST(AsCompleted, NoTimeout) {
    futures::ThreadPoolExecutor executor(5);
    futures::Future<int> notified = cancelled_and_notified_future();
    futures::Future<int> failed = exception_future();
    futures::Future<int> successful = successful_future();
    futures::Future<int> future1 = executor.submit(mul, 2, 21);
    futures::Future<int> future2 = executor.submit(mul, 7, 6);
    std::vector<futures::Future<int>> completed;
    for (futures::Future<int> f : futures::as_completed({notified, failed, successful, future1, future2}))
        completed.push_back(f);
    EXPECT_THAT(completed, UnorderedElementsAre(notified, failed, successful, future1, future2));
}

TEST(AsCompleted, FutureTimesOut) {
    futures::ThreadPoolExecutor executor(5);
    const std::vector<futures::Future<int>> already_completed{cancelled_and_notified_future(), exception_future(),
                                                              successful_future()};
    for (double timeout : {0.0, 0.05}) {
        threading::Event release;
        futures::Future<int> future = executor.submit([&] { return release.wait() ? 1 : 0; });
        std::vector<futures::Future<int>> fs = already_completed;
        fs.push_back(future);
        std::vector<futures::Future<int>> completed;
        const auto start = std::chrono::steady_clock::now();
        try {
            for (futures::Future<int> f : futures::as_completed(fs, timeout)) completed.push_back(f);
            ADD_FAILURE() << "expected TimeoutError";
        } catch (const futures::TimeoutError&) {
        }
        EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::duration<double>(timeout));
        // The already-done futures came first; `future` never did.
        EXPECT_THAT(completed, ElementsAre(already_completed[0], already_completed[1], already_completed[2]));
        release.set();
        future.result();
    }
}

TEST(AsCompleted, DuplicatesAreYieldedOnce) {
    futures::ThreadPoolExecutor executor(5);
    futures::Future<void> future1 = executor.submit([] { std::this_thread::sleep_for(10ms); });
    std::vector<futures::Future<void>> completed;
    for (futures::Future<void> f : futures::as_completed({future1, future1, future1})) completed.push_back(f);
    EXPECT_THAT(completed, ElementsAre(future1));
}

TEST(AsCompleted, TimeoutMessage) {
    std::vector<futures::Future<int>> fs{cancelled_and_notified_future(), pending_future(), running_future(),
                                         successful_future()};
    EXPECT_THAT(
        [&] {
            for (futures::Future<int> f : futures::as_completed(fs, 0)) (void)f;
        },
        ThrowsMessage<futures::TimeoutError>(StrEq("2 (of 4) futures unfinished")));
}

TEST(AsCompleted, YieldsInCompletionOrder) {
    std::vector<futures::Future<int>> fs(4);
    std::vector<int> order{2, 0, 3, 1};
    fs[order[0]].set_result(order[0]);
    std::vector<int> seen;
    std::size_t next = 1;
    for (futures::Future<int> f : futures::as_completed(fs)) {
        seen.push_back(f.result());
        if (next < order.size()) {
            // Completed from another thread while the loop waits.
            threading::Thread t([g = fs[order[next]], v = order[next]]() mutable { g.set_result(v); });
            t.start();
            t.join();
            ++next;
        }
    }
    EXPECT_EQ(seen, order);
}

TEST(AsCompleted, ACancelledFutureIsYieldedOnceNoticed) {
    futures::Future<int> f = cancelled_future();
    futures::Future<int> g;
    threading::Thread t([f, g]() mutable {
        std::this_thread::sleep_for(5ms);
        f.set_running_or_notify_cancel();
        g.set_result(1);
    });
    t.start();
    std::vector<futures::Future<int>> completed;
    for (futures::Future<int> x : futures::as_completed({f, g}, 30)) completed.push_back(x);
    t.join();
    EXPECT_THAT(completed, ElementsAre(f, g));
}

TEST(AsCompleted, KeepsNoReferenceToAYieldedFuture) {
    // Python's test_free_reference_yielded_future: once yielded and dropped by the caller, a
    // future is gone (its value with it).
    std::vector<futures::Future<std::shared_ptr<int>>> fs(8);
    std::vector<std::weak_ptr<int>> values;
    for (auto& f : fs) {
        auto v = std::make_shared<int>(0);
        values.push_back(v);
        f.set_result(std::move(v));
    }
    auto completed = futures::as_completed(std::move(fs));
    std::size_t n = 0;
    while (std::optional<futures::Future<std::shared_ptr<int>>> f = completed.next()) {
        const std::weak_ptr<int> watch = f->result();
        f.reset();
        EXPECT_TRUE(watch.expired()) << n;
        ++n;
    }
    EXPECT_EQ(n, 8u);
}

TEST(AsCompleted, NextReturnsNulloptAtTheEnd) {
    auto completed = futures::as_completed({successful_future()});
    EXPECT_TRUE(completed.next());
    EXPECT_FALSE(completed.next());
    EXPECT_FALSE(completed.next());
    auto none = futures::as_completed(std::vector<futures::Future<int>>{});
    EXPECT_FALSE(none.next());
    int n = 0;
    for (futures::Future<int> f : futures::as_completed(std::vector<futures::Future<int>>{})) {
        (void)f;
        ++n;
    }
    EXPECT_EQ(n, 0);
}

TEST(AsCompleted, LeavingEarlyLeavesTheFuturesAlone) {
    std::vector<futures::Future<int>> fs(5);
    fs[0].set_result(0);
    {
        auto completed = futures::as_completed(fs);
        for (futures::Future<int> f : completed) {
            EXPECT_EQ(f.result(), 0);
            break;
        }
    }
    // The waiter is gone: completing the others touches nothing of it.
    for (int i = 1; i < 5; ++i) fs[i].set_result(i);
    std::vector<futures::Future<int>> all;
    for (futures::Future<int> f : futures::as_completed(fs)) all.push_back(f);
    EXPECT_THAT(all, UnorderedElementsAreArray(fs));
}

TEST(AsCompleted, ManyFuturesFromAPool) {
    futures::ThreadPoolExecutor executor(4);
    std::vector<futures::Future<int>> fs;
    for (int i = 0; i < 200; ++i) fs.push_back(executor.submit([i] { return i; }));
    long sum = 0;
    for (futures::Future<int> f : futures::as_completed(fs, 30)) sum += f.result();
    EXPECT_EQ(sum, 199L * 200 / 2);
}

}  // namespace
