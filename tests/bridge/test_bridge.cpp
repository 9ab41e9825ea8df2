// The bridges between the event loop and threads: asyncio::to_thread, loop.run_in_executor
// (default and given executors), asyncio::run_coroutine_threadsafe, asyncio::wrap_future, and
// the default executor's lifecycle (made on first use, joined by asyncio::run, refused after
// shutdown_default_executor). Ports the semantics of CPython's test_asyncio/test_threads.py
// (to_thread), test_base_events.py (run_in_executor, shutdown_default_executor) and
// test_tasks.py's RunCoroutineThreadsafeTests, and test_futures.py's wrap_future tests.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <concurrence/asyncio.hpp>
#include <concurrence/futures.hpp>
#include <concurrence/threading.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace asyncio = concurrence::asyncio;
namespace futures = concurrence::futures;
namespace threading = concurrence::threading;
using namespace std::chrono_literals;

namespace {

unsigned long loop_thread_ident() { return threading::get_ident(); }

int add(int a, int b) { return a + b; }

// ---- to_thread

TEST(ToThread, RunsTheFunctionInAnotherThreadAndReturnsItsValue) {
    const unsigned long main_ident = loop_thread_ident();
    unsigned long worker_ident = 0;
    std::string worker_name;
    const int result = asyncio::run([&]() -> asyncio::Coro<int> {
        co_return co_await asyncio::to_thread([&](int a, int b) {
            worker_ident = threading::get_ident();
            worker_name = threading::current_thread().name();
            return add(a, b);
        }, 40, 2);
    }());
    EXPECT_EQ(result, 42);
    EXPECT_NE(worker_ident, 0u);
    EXPECT_NE(worker_ident, main_ident);
    // Python's default executor: ThreadPoolExecutor(thread_name_prefix='asyncio').
    EXPECT_THAT(worker_name, testing::StartsWith("asyncio_"));
}

TEST(ToThread, AnExceptionInTheFunctionReachesTheAwaiter) {
    EXPECT_THROW(asyncio::run([]() -> asyncio::Coro<> {
                     co_await asyncio::to_thread([] { throw std::invalid_argument("bad"); });
                 }()),
                 std::invalid_argument);
}

TEST(ToThread, VoidFunctionsAndMoveOnlyArguments) {
    std::atomic<int> seen{0};
    asyncio::run([&]() -> asyncio::Coro<> {
        auto p = std::make_unique<int>(7);
        co_await asyncio::to_thread([&seen](std::unique_ptr<int> v) { seen = *v; }, std::move(p));
    }());
    EXPECT_EQ(seen.load(), 7);
}

TEST(ToThread, IsLazyUntilAwaited) {
    std::atomic<bool> ran{false};
    asyncio::run([&]() -> asyncio::Coro<> {
        auto never_awaited = asyncio::to_thread([&] { ran = true; });
        never_awaited.close();
        co_await asyncio::sleep(0);
    }());
    EXPECT_FALSE(ran.load());
}

TEST(ToThread, ManyCallsGatheredAllComplete) {
    const long total = asyncio::run([]() -> asyncio::Coro<long> {
        std::vector<asyncio::Coro<int>> calls;
        for (int i = 0; i < 200; ++i) calls.push_back(asyncio::to_thread([i] { return i; }));
        std::vector<int> results = co_await asyncio::gather(std::move(calls));
        long sum = 0;
        for (int r : results) sum += r;
        co_return sum;
    }());
    EXPECT_EQ(total, 199L * 200 / 2);
}

TEST(ToThread, WithoutARunningLoopIsRuntimeError) {
    auto coro = asyncio::to_thread([] {});
    asyncio::EventLoop loop;
    // Made outside any loop: it looks for the running loop only when it runs.
    EXPECT_NO_THROW(loop.run_until_complete(std::move(coro)));
}

// ---- run_in_executor

TEST(RunInExecutor, WithAGivenExecutorUsesItsThreads) {
    futures::ThreadPoolExecutor pool({.max_workers = 1, .thread_name_prefix = "mine"});
    std::string name = asyncio::run([&]() -> asyncio::Coro<std::string> {
        auto& loop = asyncio::get_running_loop();
        co_return co_await loop.run_in_executor(pool, [] { return threading::current_thread().name(); });
    }());
    EXPECT_EQ(name, "mine_0");
}

TEST(RunInExecutor, CancellingTheAwaiterBeforeTheCallStartsCancelsTheCall) {
    futures::ThreadPoolExecutor pool(1);
    threading::Event release_worker;
    std::atomic<bool> second_ran{false};
    asyncio::run([&]() -> asyncio::Coro<> {
        auto& loop = asyncio::get_running_loop();
        auto blocker = loop.run_in_executor(pool, [&] { release_worker.wait(); });
        auto second = loop.run_in_executor(pool, [&] { second_ran = true; });
        auto waiter = asyncio::create_task([](asyncio::Future<void> f) -> asyncio::Coro<> { co_await f; }(second));
        co_await asyncio::sleep(0);
        waiter.cancel();
        EXPECT_THROW(co_await waiter, asyncio::CancelledError);
        EXPECT_TRUE(second.cancelled());
        release_worker.set();
        co_await blocker;
    }());
    pool.shutdown(true);
    EXPECT_FALSE(second_ran.load());
}

TEST(RunInExecutor, CancellingTheAwaiterWhileTheCallRunsLetsItFinish) {
    futures::ThreadPoolExecutor pool(1);
    threading::Event started;
    threading::Event release_worker;
    std::atomic<bool> finished{false};
    asyncio::run([&]() -> asyncio::Coro<> {
        auto& loop = asyncio::get_running_loop();
        auto call = loop.run_in_executor(pool, [&] {
            started.set();
            release_worker.wait();
            finished = true;
            return 1;
        });
        auto waiter = asyncio::create_task([](asyncio::Future<int> f) -> asyncio::Coro<int> { co_return co_await f; }(call));
        co_await asyncio::to_thread([&] { started.wait(); });
        waiter.cancel();
        EXPECT_THROW(co_await waiter, asyncio::CancelledError);
        release_worker.set();
    }());
    pool.shutdown(true);
    EXPECT_TRUE(finished.load());  // a running call cannot be stopped; it ran to its end
}

TEST(RunInExecutor, AfterShutdownDefaultExecutorIsRuntimeError) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto& loop = asyncio::get_running_loop();
        co_await loop.run_in_executor(nullptr, [] {});
        co_await loop.shutdown_default_executor();
        try {
            (void)loop.run_in_executor(nullptr, [] {});
            ADD_FAILURE() << "no RuntimeError";
        } catch (const concurrence::RuntimeError& e) {
            EXPECT_STREQ(e.what(), "Executor shutdown has been called");
        }
        // A given executor still works.
        futures::ThreadPoolExecutor pool(1);
        EXPECT_EQ(co_await loop.run_in_executor(pool, [] { return 3; }), 3);
    }());
}

TEST(RunInExecutor, ShutdownDefaultExecutorWithoutOneIsANoOpThatStillRefusesLaterCalls) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto& loop = asyncio::get_running_loop();
        co_await loop.shutdown_default_executor();
        EXPECT_THROW((void)loop.run_in_executor(nullptr, [] {}), concurrence::RuntimeError);
    }());
}

TEST(RunInExecutor, AsyncioRunJoinsTheDefaultExecutorsThreads) {
    std::atomic<bool> done{false};
    asyncio::run([&]() -> asyncio::Coro<> {
        // Not awaited to the end: the call is still running when the main coroutine returns.
        auto& loop = asyncio::get_running_loop();
        auto call = loop.run_in_executor(nullptr, [&] {
            std::this_thread::sleep_for(50ms);
            done = true;
        });
        (void)call;
        co_return;
    }());
    EXPECT_TRUE(done.load());
    for (auto& t : threading::enumerate()) EXPECT_THAT(t.name(), testing::Not(testing::StartsWith("asyncio_")));
}

TEST(RunInExecutor, SetDefaultExecutorIsUsedForNone) {
    auto pool = std::make_shared<futures::ThreadPoolExecutor>(
        futures::ThreadPoolExecutor::Options{.max_workers = 1, .thread_name_prefix = "custom"});
    std::string name = asyncio::run([&]() -> asyncio::Coro<std::string> {
        auto& loop = asyncio::get_running_loop();
        loop.set_default_executor(pool);
        co_return co_await loop.run_in_executor(nullptr, [] { return threading::current_thread().name(); });
    }());
    EXPECT_EQ(name, "custom_0");
    // asyncio::run shut it down.
    EXPECT_THROW((void)pool->submit([] {}), concurrence::RuntimeError);
}

TEST(RunInExecutor, ShutdownDefaultExecutorTimeoutWarnsAndReturns) {
    threading::Event release_worker;
    testing::internal::CaptureStderr();
    asyncio::run([&]() -> asyncio::Coro<> {
        auto& loop = asyncio::get_running_loop();
        auto call = loop.run_in_executor(nullptr, [&] { release_worker.wait(); });
        (void)call;
        co_await loop.shutdown_default_executor(0.05);
        release_worker.set();
    }());
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_THAT(err, testing::HasSubstr("The executor did not finishing joining its threads within 0.05 seconds"));
}

// ---- run_coroutine_threadsafe

asyncio::Coro<int> slow_double(int v) {
    co_await asyncio::sleep(0.001);
    co_return v * 2;
}

// Runs `body(loop)` in a thread while the loop runs until `stop` is set by the body's end.
template <class Body>
void with_loop_in_this_thread(Body body) {
    asyncio::run([&]() -> asyncio::Coro<> {
        auto& loop = asyncio::get_running_loop();
        std::atomic<bool> finished{false};
        threading::Thread other([&] {
            body(loop);
            finished = true;
        });
        other.start();
        while (!finished) co_await asyncio::sleep(0.001);
        other.join();
    }());
}

TEST(RunCoroutineThreadsafe, TheResultReachesTheOtherThread) {
    int got = 0;
    with_loop_in_this_thread([&](asyncio::EventLoop& loop) {
        futures::Future<int> f = asyncio::run_coroutine_threadsafe(slow_double(21), loop);
        got = f.result(10);
    });
    EXPECT_EQ(got, 42);
}

TEST(RunCoroutineThreadsafe, AnExceptionReachesTheOtherThread) {
    bool thrown = false;
    with_loop_in_this_thread([&](asyncio::EventLoop& loop) {
        auto f = asyncio::run_coroutine_threadsafe([]() -> asyncio::Coro<> {
            co_await asyncio::sleep(0);
            throw std::out_of_range("nope");
        }(), loop);
        try {
            f.result(10);
        } catch (const std::out_of_range&) {
            thrown = true;
        }
    });
    EXPECT_TRUE(thrown);
}

// Coroutine functions, not capturing lambdas: the coroutine outlives the full expression that
// makes it, and a lambda's captures would dangle.
asyncio::Coro<int> sleep_until_cancelled(threading::Event& started, std::atomic<bool>& saw_cancel) {
    started.set();
    try {
        co_await asyncio::sleep(3600);
    } catch (const asyncio::CancelledError&) {
        saw_cancel = true;
        throw;
    }
    co_return 0;
}

asyncio::Coro<int> five_after(threading::Event& go) {
    co_await asyncio::to_thread([&go] { go.wait(); });
    co_return 5;
}

TEST(RunCoroutineThreadsafe, CancellingTheFutureCancelsTheTask) {
    std::atomic<bool> task_saw_cancel{false};
    bool future_cancelled = false;
    with_loop_in_this_thread([&](asyncio::EventLoop& loop) {
        threading::Event task_started;
        auto f = asyncio::run_coroutine_threadsafe(sleep_until_cancelled(task_started, task_saw_cancel), loop);
        task_started.wait();
        EXPECT_TRUE(f.cancel());
        future_cancelled = f.cancelled();
        EXPECT_THROW(f.result(10), futures::CancelledError);
    });
    EXPECT_TRUE(future_cancelled);
    EXPECT_TRUE(task_saw_cancel.load());
}

TEST(RunCoroutineThreadsafe, ATaskCancelledOnTheLoopCancelsTheFuture) {
    bool cancelled = false;
    with_loop_in_this_thread([&](asyncio::EventLoop& loop) {
        auto f = asyncio::run_coroutine_threadsafe([]() -> asyncio::Coro<> {
            asyncio::current_task().cancel();
            co_await asyncio::sleep(0);
        }(), loop);
        EXPECT_THROW(f.result(10), futures::CancelledError);
        cancelled = f.cancelled();
    });
    EXPECT_TRUE(cancelled);
}

TEST(RunCoroutineThreadsafe, AClosedLoopIsRuntimeError) {
    asyncio::EventLoop loop;
    loop.close();
    EXPECT_THROW((void)asyncio::run_coroutine_threadsafe(slow_double(1), loop), concurrence::RuntimeError);
}

TEST(RunCoroutineThreadsafe, ResultWithTimeoutWhileTheTaskSleeps) {
    bool timed_out = false;
    with_loop_in_this_thread([&](asyncio::EventLoop& loop) {
        threading::Event go;
        auto f = asyncio::run_coroutine_threadsafe(five_after(go), loop);
        try {
            f.result(0.01);
        } catch (const futures::TimeoutError&) {
            timed_out = true;
        }
        go.set();
        EXPECT_EQ(f.result(10), 5);
    });
    EXPECT_TRUE(timed_out);
}

// ---- wrap_future

TEST(WrapFuture, AFutureCompletedByAThreadIsAwaitable) {
    const int v = asyncio::run([]() -> asyncio::Coro<int> {
        futures::Future<int> f;
        threading::Thread setter([f]() mutable {
            std::this_thread::sleep_for(5ms);
            f.set_running_or_notify_cancel();
            f.set_result(9);
        });
        setter.start();
        const int got = co_await asyncio::wrap_future(f);
        setter.join();
        co_return got;
    }());
    EXPECT_EQ(v, 9);
}

TEST(WrapFuture, AnExceptionIsCopied) {
    EXPECT_THROW(asyncio::run([]() -> asyncio::Coro<> {
                     futures::Future<void> f;
                     f.set_exception(std::make_exception_ptr(std::length_error("x")));
                     co_await asyncio::wrap_future(f);
                 }()),
                 std::length_error);
}

TEST(WrapFuture, ACancelledSourceCancelsTheAsyncioFuture) {
    asyncio::run([]() -> asyncio::Coro<> {
        futures::Future<int> f;
        auto wrapped = asyncio::wrap_future(f);
        EXPECT_TRUE(f.cancel());
        EXPECT_THROW(co_await wrapped, asyncio::CancelledError);
        EXPECT_TRUE(wrapped.cancelled());
    }());
}

TEST(WrapFuture, CancellingTheAsyncioFutureCancelsTheSource) {
    futures::Future<int> f;
    asyncio::run([&]() -> asyncio::Coro<> {
        auto wrapped = asyncio::wrap_future(f);
        EXPECT_TRUE(wrapped.cancel());
        co_await asyncio::sleep(0);
    }());
    EXPECT_TRUE(f.cancelled());
}

TEST(WrapFuture, ASourceCompletedAfterTheLoopClosedTouchesNothing) {
    futures::Future<int> f;
    {
        asyncio::EventLoop loop;
        loop.run_until_complete([&]() -> asyncio::Coro<> {
            auto wrapped = asyncio::wrap_future(f);
            (void)wrapped;
            co_return;
        }());
        loop.close();
    }
    // The loop is gone: completing the source must not post to it (nor crash).
    f.set_running_or_notify_cancel();
    f.set_result(1);
    EXPECT_EQ(f.result(), 1);
}

}  // namespace
