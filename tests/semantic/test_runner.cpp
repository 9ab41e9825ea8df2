// asyncio::Runner, asyncio::run options, Ctrl-C (Python's test_runners.py), and the error
// reports of issue 3 (never retrieved, never awaited).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <string>

#include "semantic/support.hpp"

namespace {

using namespace semantic;
using testing::ElementsAre;
using testing::HasSubstr;


asyncio::Coro<int> loop_identity(asyncio::EventLoop** out) {
    *out = &asyncio::get_running_loop();
    co_return 0;
}

// test_runners.py: test_run_keeps_loop / test_explicit_close
TEST(Runner, RunsSeveralCoroutinesOnOneLoop) {
    asyncio::Runner runner;
    asyncio::EventLoop* first = nullptr;
    asyncio::EventLoop* second = nullptr;
    runner.run(loop_identity(&first));
    runner.run(loop_identity(&second));
    EXPECT_EQ(first, second);
    EXPECT_EQ(first, &runner.get_loop());
    EXPECT_EQ(runner.run(answer()), 42);
    runner.close();
    EXPECT_TRUE(first->is_closed());
}

// test_runners.py: test_run_after_close / test_get_loop_after_close
TEST(Runner, ClosedRunnerRefusesToRun) {
    asyncio::Runner runner;
    runner.close();
    runner.close();  // idempotent
    try {
        runner.run(answer());
        FAIL() << "run after close";
    } catch (const concurrence::RuntimeError& e) {
        EXPECT_STREQ(e.what(), "Runner is closed");
    }
    EXPECT_THROW(runner.get_loop(), concurrence::RuntimeError);
}

// test_runners.py: test_run_non_coro / test_recursive_run
TEST(Runner, RunInsideARunningLoopIsRefused) {
    std::string message;
    asyncio::run([&]() -> asyncio::Coro<> {
        asyncio::Runner inner;
        try {
            inner.run(answer());
        } catch (const concurrence::RuntimeError& e) {
            message = e.what();
        }
        co_return;
    }());
    EXPECT_EQ(message, "Runner.run() cannot be called from a running event loop");
}

// test_runners.py: test_asyncio_run_cancels_hanging_tasks (through Runner.close)
TEST(Runner, CloseCancelsLeftoverTasksAndWaitsForTheirCleanup) {
    Log log;
    {
        asyncio::Runner runner;
        runner.run([&]() -> asyncio::Coro<> {
            asyncio::create_task(asyncio::on_cancel(asyncio::sleep(100), [&]() -> asyncio::Coro<> {
                co_await asyncio::sleep(0);
                log.push_back("leftover cleaned up");
            }));
            co_await asyncio::sleep(0);
            log.push_back("main done");
        }());
        log.push_back("run returned");
    }
    EXPECT_THAT(log, ElementsAre("main done", "run returned", "leftover cleaned up"));
}

// test_runners.py: test_debug
TEST(Runner, DebugOption) {
    bool debug_on = false;
    asyncio::run(
        [&]() -> asyncio::Coro<> {
            debug_on = asyncio::get_running_loop().get_debug();
            co_return;
        }(),
        {.debug = true});
    EXPECT_TRUE(debug_on);
    asyncio::run(
        [&]() -> asyncio::Coro<> {
            debug_on = asyncio::get_running_loop().get_debug();
            co_return;
        }(),
        {.debug = false});
    EXPECT_FALSE(debug_on);
}

// ---- Ctrl-C (test_runners.py: test_signal_install_not_supported_ok, test_interrupt_*)

bool sigint_is_default() {
    struct sigaction current;
    sigaction(SIGINT, nullptr, &current);
    return current.sa_handler == SIG_DFL;
}

asyncio::Coro<> interrupted_main(Log& log) {
    asyncio::get_running_loop().call_later(0.001, [] { raise(SIGINT); });
    try {
        co_await asyncio::sleep(100);
    } catch (const asyncio::CancelledError&) {
        log.push_back("main cancelled");
        throw;
    }
}

TEST(RunnerSigint, FirstSigintCancelsTheMainTaskThenRaisesKeyboardInterrupt) {
    ASSERT_TRUE(sigint_is_default());
    Log log;
    try {
        asyncio::run(interrupted_main(log));
        FAIL() << "no KeyboardInterrupt";
    } catch (const concurrence::KeyboardInterrupt& e) {
        log.push_back(e.what());
    }
    EXPECT_THAT(log, ElementsAre("main cancelled", "KeyboardInterrupt"));
    EXPECT_TRUE(sigint_is_default()) << "the handler is restored";
}

TEST(RunnerSigint, CleanupAwaitsAfterTheInterrupt) {
    Log log;
    EXPECT_THROW(asyncio::run([&]() -> asyncio::Coro<> {
                     asyncio::get_running_loop().call_later(0.001, [] { raise(SIGINT); });
                     co_await asyncio::try_finally(asyncio::sleep(100), [&]() -> asyncio::Coro<> {
                         co_await asyncio::sleep(0.001);  // an await in cleanup still works
                         log.push_back("async cleanup done");
                     });
                 }()),
                 concurrence::KeyboardInterrupt);
    EXPECT_THAT(log, ElementsAre("async cleanup done"));
}

TEST(RunnerSigint, MainThatSwallowsTheCancelReturnsNormally) {
    int result = asyncio::run([]() -> asyncio::Coro<int> {
        asyncio::get_running_loop().call_later(0.001, [] { raise(SIGINT); });
        try {
            co_await asyncio::sleep(100);
        } catch (const asyncio::CancelledError&) {
            co_return 7;  // Python: the task is not cancelled, run returns its result
        }
        co_return 0;
    }());
    EXPECT_EQ(result, 7);
}

TEST(RunnerSigint, AProgramsOwnHandlerIsLeftAlone) {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    struct sigaction previous;
    sigaction(SIGINT, &ignore, &previous);
    bool finished = false;
    asyncio::run([&]() -> asyncio::Coro<> {
        raise(SIGINT);  // ignored: the program chose so
        co_await asyncio::sleep(0.001);
        finished = true;
    }());
    struct sigaction current;
    sigaction(SIGINT, &previous, &current);
    EXPECT_TRUE(finished);
    EXPECT_EQ(current.sa_handler, SIG_IGN);
}

TEST(RunnerSigintDeathTest, UncaughtKeyboardInterruptEndsTheProcessBySigint) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(
        // noexcept: the exception reaches std::terminate, as one escaping main() does.
        []() noexcept {
            Log log;
            asyncio::run(interrupted_main(log));
        }(),
        testing::KilledBySignal(SIGINT), "KeyboardInterrupt");
}

// ---- errors never pass silently

TEST(ErrorReports, TaskExceptionNeverRetrievedNamesTheTask) {
    Reports reports;
    {
        asyncio::EventLoop loop;
        loop.set_exception_handler(record_into(&reports));
        loop.run_until_complete([]() -> asyncio::Coro<> {
            asyncio::create_task([]() -> asyncio::Coro<> {
                throw concurrence::ValueError("boom");
                co_return;
            }(), "worker");
            co_await asyncio::sleep(0);
            co_await asyncio::sleep(0);
        }());
        loop.close();
    }
    ASSERT_EQ(reports.messages.size(), 1u);
    EXPECT_EQ(reports.messages[0], "Task exception was never retrieved");
    EXPECT_THAT(reports.futures[0], testing::MatchesRegex("<Task finished name='worker' coro=<.*\\(\\) done, defined at "
                                                          ".*test_runner.cpp:[0-9]+> exception=ValueError\\('boom'\\)>"));
    EXPECT_TRUE(holds<concurrence::ValueError>(reports.exceptions[0]));
}

TEST(ErrorReports, CoroutineNeverAwaitedIsReportedInDebugMode) {
    Reports reports;
    asyncio::EventLoop loop;
    loop.set_debug(true);
    loop.set_exception_handler(record_into(&reports));
    loop.run_until_complete([]() -> asyncio::Coro<> {
        { auto forgotten = answer(); }
        co_return;
    }());
    ASSERT_EQ(reports.messages.size(), 1u);
    EXPECT_THAT(reports.messages[0], testing::MatchesRegex("coroutine 'answer' was never awaited\n"
                                                           "Coroutine defined at .*support.hpp:[0-9]+"));
}

TEST(ErrorReports, ClosedCoroutineIsNotReported) {
    Reports reports;
    asyncio::EventLoop loop;
    loop.set_debug(true);
    loop.set_exception_handler(record_into(&reports));
    loop.run_until_complete([]() -> asyncio::Coro<> {
        auto dropped = answer();
        dropped.close();
        co_return;
    }());
    EXPECT_TRUE(reports.messages.empty());
}

TEST(ErrorReports, NeverAwaitedIsSilentOutsideDebug) {
    if (asyncio::detail::debug_build) GTEST_SKIP() << "debug builds always report";
    Reports reports;
    asyncio::EventLoop loop;
    loop.set_debug(false);
    loop.set_exception_handler(record_into(&reports));
    loop.run_until_complete([]() -> asyncio::Coro<> {
        { auto forgotten = answer(); }
        co_return;
    }());
    EXPECT_TRUE(reports.messages.empty());
}

}  // namespace

namespace {
asyncio::Coro<> greet(const char* who) {
    (void)who;
    co_return;
}

// A coroutine whose only parameter is a const char* keeps its own name (the argument is not
// mistaken for the promise's constructor argument).
TEST(ErrorReports, NeverAwaitedNamesACoroutineTakingAString) {
    Reports reports;
    asyncio::EventLoop loop;
    loop.set_debug(true);
    loop.set_exception_handler(record_into(&reports));
    loop.run_until_complete([]() -> asyncio::Coro<> {
        { auto forgotten = greet("world"); }
        co_return;
    }());
    ASSERT_EQ(reports.messages.size(), 1u);
    EXPECT_THAT(reports.messages[0],
                testing::MatchesRegex("coroutine 'greet' was never awaited\nCoroutine defined at .*test_runner.cpp:[0-9]+"));
}
}  // namespace
