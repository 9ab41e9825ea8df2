// futures::ThreadPoolExecutor::shutdown and the destructor: submit after shutdown, wait true and
// false, cancel_futures (and the waiters it now notifies), repeated and concurrent shutdowns,
// workers ending, results computed before a shutdown, the destructor waiting for tasks.
// Ports CPython's Lib/test/test_concurrent_futures/test_shutdown.py (ExecutorShutdownTest and
// ThreadPoolShutdownTest, without the ones that run a subprocess) and the gh-109934 fix.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "concurrence/futures.hpp"
#include "concurrence/threading/event.hpp"
#include "concurrence/threading/thread.hpp"
#include "futures_support.hpp"

namespace {

namespace futures = concurrence::futures;
namespace threading = concurrence::threading;
using namespace futures_test;
using namespace std::chrono_literals;
using testing::StrEq;
using testing::ThrowsMessage;

std::size_t live_threads_named(const std::string& prefix) {
    std::size_t n = 0;
    for (const threading::Thread& t : threading::enumerate())
        if (t.name().rfind(prefix, 0) == 0) ++n;
    return n;
}

std::vector<int> range(int from, int to) {
    std::vector<int> out;
    for (int i = from; i < to; ++i) out.push_back(i);
    return out;
}

TEST(Shutdown, SubmitAfterShutdownThrows) {
    futures::ThreadPoolExecutor pool(5);
    pool.shutdown();
    EXPECT_THAT([&] { pool.submit(mul, 2, 5); },
                ThrowsMessage<concurrence::RuntimeError>(StrEq("cannot schedule new futures after shutdown")));
    pool.shutdown();  // again: nothing happens
}

TEST(Shutdown, QueuedTasksStillRun) {
    // Python's test_hang_issue12364.
    futures::ThreadPoolExecutor pool(5);
    std::vector<futures::Future<void>> fs;
    for (int i = 0; i < 30; ++i) fs.push_back(pool.submit([] { std::this_thread::sleep_for(1ms); }));
    pool.shutdown();
    for (auto& f : fs) {
        EXPECT_TRUE(f.done());
        f.result();
    }
}

TEST(Shutdown, CancelFuturesCancelsWhatIsQueued) {
    futures::ThreadPoolExecutor pool(2);
    threading::Event started, release;
    std::vector<futures::Future<void>> fs;
    for (int i = 0; i < 50; ++i)
        fs.push_back(pool.submit([&] {
            started.set();
            release.wait();
        }));
    ASSERT_TRUE(started.wait(30));
    pool.shutdown(false, true);
    release.set();
    pool.shutdown(true);
    std::size_t cancelled = 0;
    for (auto& f : fs) {
        if (f.cancelled()) {
            ++cancelled;
        } else {
            EXPECT_TRUE(f.done());
            EXPECT_EQ(f.exception(), nullptr);
        }
    }
    EXPECT_GE(cancelled, 48u);  // at most the two running ones finished
    EXPECT_LT(cancelled, 50u);  // one at least had started
}

TEST(Shutdown, CancelFuturesNotifiesWaiters) {
    // CPython gh-109934 (its fix is pending there): wait() and as_completed() see the futures
    // that shutdown(cancel_futures=True) cancelled as done, instead of hanging on them.
    threading::Event release;  // before the pool: its tasks use it until the pool is gone
    futures::ThreadPoolExecutor pool(1);
    futures::Future<void> running = pool.submit([&] { release.wait(); });
    std::vector<futures::Future<void>> queued;
    for (int i = 0; i < 3; ++i) queued.push_back(pool.submit([] {}));
    threading::Thread waiter([&] {
        auto [done, not_done] = futures::wait(queued, 30, futures::ALL_COMPLETED);
        EXPECT_EQ(done.size(), 3u);
        EXPECT_TRUE(not_done.empty());
    });
    waiter.start();
    std::this_thread::sleep_for(5ms);
    pool.shutdown(false, true);
    waiter.join();
    std::size_t yielded = 0;
    for (futures::Future<void> f : futures::as_completed(queued, 30)) {
        EXPECT_TRUE(f.cancelled());
        ++yielded;
    }
    EXPECT_EQ(yielded, 3u);
    release.set();
}

TEST(Shutdown, WaitDoesNotHangOnATaskCancelledJustBefore) {
    // Python's test_hang_gh94440.
    futures::ThreadPoolExecutor pool(1);
    EXPECT_EQ(pool.submit([] { return 0; }).result(), 0);
    pool.submit([] { return 0; }).cancel();
    pool.shutdown(true);
}

TEST(Shutdown, WorkersEnd) {
    // Python's test_threads_terminate.
    futures::ThreadPoolExecutor pool({.max_workers = 5, .thread_name_prefix = "TerminatePool"});
    threading::Event release;
    for (int i = 0; i < 3; ++i) pool.submit([&] { release.wait(); });
    EXPECT_EQ(live_threads_named("TerminatePool_"), 3u);
    release.set();
    pool.shutdown();
    EXPECT_EQ(live_threads_named("TerminatePool_"), 0u);
}

TEST(Shutdown, TheDestructorShutsDownAndWaits) {
    // Python's test_context_manager_shutdown: `with ThreadPoolExecutor() as e:` is a scope.
    std::vector<int> results;
    {
        futures::ThreadPoolExecutor e({.max_workers = 5, .thread_name_prefix = "ScopePool"});
        for (int r : e.map([](int v) { return std::abs(v); }, range(-5, 5))) results.push_back(r);
    }
    EXPECT_EQ(results, (std::vector<int>{5, 4, 3, 2, 1, 0, 1, 2, 3, 4}));
    EXPECT_EQ(live_threads_named("ScopePool_"), 0u);
}

TEST(Shutdown, ResultsOutliveTheExecutor) {
    // Python's test_del_shutdown: the results were computed before the executor went away.
    auto executor = std::make_unique<futures::ThreadPoolExecutor>(5);
    auto res = executor->map([](int v) { return std::abs(v); }, range(-5, 5));
    executor.reset();
    std::vector<int> results;
    for (int r : res) results.push_back(r);
    EXPECT_EQ(results, (std::vector<int>{5, 4, 3, 2, 1, 0, 1, 2, 3, 4}));
}

TEST(Shutdown, NoWaitStillComputesEverything) {
    // Python's test_shutdown_no_wait.
    futures::ThreadPoolExecutor executor({.max_workers = 5, .thread_name_prefix = "NoWaitPool"});
    auto res = executor.map([](int v) { return std::abs(v); }, range(-5, 5));
    executor.shutdown(false);
    std::vector<int> results;
    for (int r : res) results.push_back(r);
    EXPECT_EQ(results, (std::vector<int>{5, 4, 3, 2, 1, 0, 1, 2, 3, 4}));
    EXPECT_TRUE(eventually([] { return live_threads_named("NoWaitPool_") == 0; }));
}

TEST(Shutdown, NoWaitReturnsWhileATaskRuns) {
    futures::ThreadPoolExecutor pool(2);
    threading::Event release;
    futures::Future<int> f = pool.submit([&] {
        release.wait();
        return 5;
    });
    pool.shutdown(false);
    EXPECT_FALSE(f.done());
    release.set();
    EXPECT_EQ(f.result(30), 5);
}

TEST(Shutdown, TheDestructorWaitsForRunningTasks) {
    std::atomic<bool> finished{false};
    {
        futures::ThreadPoolExecutor pool(1);
        pool.submit([&] {
            std::this_thread::sleep_for(20ms);
            finished = true;
        });
    }
    EXPECT_TRUE(finished.load());
}

TEST(Shutdown, ConcurrentShutdownsAllWait) {
    futures::ThreadPoolExecutor pool(2);
    threading::Event release;
    std::atomic<bool> finished{false};
    pool.submit([&] {
        release.wait();
        std::this_thread::sleep_for(5ms);
        finished = true;
    });
    std::vector<threading::Thread> closers;
    std::atomic<int> saw_finished{0};
    for (int i = 0; i < 3; ++i) {
        closers.emplace_back([&] {
            pool.shutdown(true);
            if (finished.load()) saw_finished.fetch_add(1);
        });
        closers.back().start();
    }
    release.set();
    for (auto& c : closers) c.join();
    EXPECT_EQ(saw_finished.load(), 3);
}

TEST(Shutdown, SubmitRacingShutdownEitherRunsOrThrows) {
    for (int round = 0; round < 20; ++round) {
        futures::ThreadPoolExecutor pool(2);
        std::vector<futures::Future<int>> accepted;
        threading::Thread submitter([&] {
            for (int i = 0; i < 200; ++i) {
                try {
                    accepted.push_back(pool.submit([i] { return i; }));
                } catch (const concurrence::RuntimeError&) {
                    return;
                }
            }
        });
        submitter.start();
        pool.shutdown(true, round % 2 == 1);
        submitter.join();
        for (auto& f : accepted) {
            ASSERT_TRUE(f.done());  // none is left pending forever
            if (!f.cancelled()) f.result();
        }
    }
}

}  // namespace
