// The async cleanup idioms (async_with, try_finally, on_cancel): cleanup runs on every exit
// path — value, exception, cancellation, timeout — and awaits inside it work.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "semantic/support.hpp"

namespace {

using namespace semantic;
using testing::ElementsAre;

asyncio::Coro<int> fail_after(double delay) {
    co_await asyncio::sleep(delay);
    throw concurrence::ValueError("work failed");
}

// A cleanup that awaits before it logs: proves the await works on that path.
auto logging_cleanup(Log& log, std::string what) {
    return [&log, what]() -> asyncio::Coro<> {
        co_await asyncio::sleep(0);
        log.push_back(what);
    };
}

TEST(TryFinally, CleanupRunsAfterAValue) {
    Log log;
    int v = asyncio::run([&]() -> asyncio::Coro<int> {
        co_return co_await asyncio::try_finally(value_after(0, 3), logging_cleanup(log, "cleanup"));
    }());
    EXPECT_EQ(v, 3);
    EXPECT_THAT(log, ElementsAre("cleanup"));
}

TEST(TryFinally, CleanupRunsAfterAnExceptionWhichThenPropagates) {
    Log log;
    EXPECT_THROW(asyncio::run([&]() -> asyncio::Coro<int> {
                     co_return co_await asyncio::try_finally(fail_after(0), logging_cleanup(log, "cleanup"));
                 }()),
                 concurrence::ValueError);
    EXPECT_THAT(log, ElementsAre("cleanup"));
}

TEST(TryFinally, CleanupRunsOnCancellationAndTheTaskEndsCancelled) {
    Log log;
    asyncio::run([&]() -> asyncio::Coro<> {
        auto t = asyncio::create_task(asyncio::try_finally(value_after(10, 1), logging_cleanup(log, "cleanup")));
        co_await asyncio::sleep(0);
        t.cancel("stop");
        try {
            co_await t;
        } catch (const asyncio::CancelledError& e) {
            log.push_back(std::string("cancelled: ") + e.what());
        }
        EXPECT_TRUE(t.cancelled());
    }());
    EXPECT_THAT(log, ElementsAre("cleanup", "cancelled: stop"));
}

TEST(TryFinally, CleanupRunsOnTimeout) {
    Log log;
    asyncio::run([&]() -> asyncio::Coro<> {
        try {
            co_await asyncio::wait_for(asyncio::try_finally(value_after(10, 1), logging_cleanup(log, "cleanup")), 0.001);
        } catch (const concurrence::TimeoutError&) {
            log.push_back("timeout");
        }
    }());
    EXPECT_THAT(log, ElementsAre("cleanup", "timeout"));
}

TEST(TryFinally, AnExceptionInTheCleanupReplacesTheBodys) {
    EXPECT_THROW(asyncio::run([]() -> asyncio::Coro<int> {
                     co_return co_await asyncio::try_finally(fail_after(0), []() -> asyncio::Coro<> {
                         throw concurrence::RuntimeError("cleanup failed");
                         co_return;
                     });
                 }()),
                 concurrence::RuntimeError);
}

TEST(TryFinally, CancelledAgainDuringTheCleanup) {
    Log log;
    asyncio::run([&]() -> asyncio::Coro<> {
        auto t = asyncio::create_task(asyncio::try_finally(value_after(10, 1), [&]() -> asyncio::Coro<> {
            log.push_back("cleanup started");
            try {
                co_await asyncio::sleep(10);
            } catch (const asyncio::CancelledError&) {
                log.push_back("cleanup cancelled");
                throw;
            }
        }));
        co_await asyncio::sleep(0);
        t.cancel();
        co_await asyncio::sleep(0);
        EXPECT_EQ(t.cancelling(), 1);
        t.cancel();
        try {
            co_await t;
        } catch (const asyncio::CancelledError&) {
            log.push_back("task cancelled");
        }
        EXPECT_EQ(t.cancelling(), 2);
    }());
    EXPECT_THAT(log, ElementsAre("cleanup started", "cleanup cancelled", "task cancelled"));
}

TEST(OnCancel, CleanupRunsOnlyOnCancellation) {
    Log log;
    asyncio::run([&]() -> asyncio::Coro<> {
        EXPECT_EQ(co_await asyncio::on_cancel(value_after(0, 5), logging_cleanup(log, "not on a value")), 5);
        try {
            co_await asyncio::on_cancel(fail_after(0), logging_cleanup(log, "not on an exception"));
        } catch (const concurrence::ValueError&) {
            log.push_back("ValueError");
        }
        auto t = asyncio::create_task(asyncio::on_cancel(value_after(10, 1), logging_cleanup(log, "on cancel")));
        co_await asyncio::sleep(0);
        t.cancel();
        try {
            co_await t;
        } catch (const asyncio::CancelledError&) {
            log.push_back("re-raised");
        }
    }());
    EXPECT_THAT(log, ElementsAre("ValueError", "on cancel", "re-raised"));
}

// A user-written async context manager: Python's __aenter__/__aexit__.
struct Recorder {
    Log* log;
    bool suppress = false;
    asyncio::Coro<> aenter() {
        co_await asyncio::sleep(0);
        log->push_back("enter");
    }
    asyncio::Coro<bool> aexit(std::exception_ptr error) {
        co_await asyncio::sleep(0);
        log->push_back(error ? "exit with " + describe(error) : std::string("exit clean"));
        co_return suppress;
    }
    static std::string describe(const std::exception_ptr& e) {
        if (holds<asyncio::CancelledError>(e)) return "CancelledError";
        if (holds<concurrence::TimeoutError>(e)) return "TimeoutError";
        return what_of(e);
    }
};

TEST(AsyncWith, ExitSeesACleanExitAndTheBodysValueIsReturned) {
    Log log;
    int v = asyncio::run([&]() -> asyncio::Coro<int> {
        co_return co_await asyncio::async_with(Recorder{&log}, [&](Recorder&) -> asyncio::Coro<int> {
            log.push_back("body");
            co_return 9;
        });
    }());
    EXPECT_EQ(v, 9);
    EXPECT_THAT(log, ElementsAre("enter", "body", "exit clean"));
}

TEST(AsyncWith, ExitSeesTheBodysExceptionWhichPropagates) {
    Log log;
    EXPECT_THROW(asyncio::run([&]() -> asyncio::Coro<> {
                     co_await asyncio::async_with(Recorder{&log}, [&]() -> asyncio::Coro<> {
                         co_await fail_after(0);
                     });
                 }()),
                 concurrence::ValueError);
    EXPECT_THAT(log, ElementsAre("enter", "exit with work failed"));
}

TEST(AsyncWith, ExitCanSuppressTheException) {
    Log log;
    asyncio::run([&]() -> asyncio::Coro<> {
        co_await asyncio::async_with(Recorder{&log, true}, [&]() -> asyncio::Coro<> { co_await fail_after(0); });
        log.push_back("after");
    }());
    EXPECT_THAT(log, ElementsAre("enter", "exit with work failed", "after"));
}

TEST(AsyncWith, SuppressingForABodyWithAValueIsAnError) {
    Log log;
    EXPECT_THROW(asyncio::run([&]() -> asyncio::Coro<int> {
                     co_return co_await asyncio::async_with(Recorder{&log, true}, [&]() -> asyncio::Coro<int> {
                         co_return co_await fail_after(0);
                     });
                 }()),
                 concurrence::RuntimeError);
}

TEST(AsyncWith, ExitRunsOnCancellationAndMayAwait) {
    Log log;
    asyncio::run([&]() -> asyncio::Coro<> {
        auto t = asyncio::create_task(asyncio::async_with(Recorder{&log}, [&]() -> asyncio::Coro<> {
            co_await asyncio::sleep(10);
        }));
        co_await asyncio::sleep(0);
        co_await asyncio::sleep(0);
        t.cancel();
        try {
            co_await t;
        } catch (const asyncio::CancelledError&) {
            log.push_back("cancelled");
        }
    }());
    EXPECT_THAT(log, ElementsAre("enter", "exit with CancelledError", "cancelled"));
}

TEST(AsyncWith, ExitRunsOnTimeoutInsideANestedTimeout) {
    Log log;
    asyncio::run([&]() -> asyncio::Coro<> {
        try {
            co_await asyncio::async_with(asyncio::timeout(0.001), [&]() -> asyncio::Coro<> {
                co_await asyncio::async_with(Recorder{&log}, [&]() -> asyncio::Coro<> { co_await asyncio::sleep(10); });
            });
        } catch (const concurrence::TimeoutError&) {
            log.push_back("TimeoutError");
        }
    }());
    // The manager sees the CancelledError; the timeout's boundary turns it into TimeoutError.
    EXPECT_THAT(log, ElementsAre("enter", "exit with CancelledError", "TimeoutError"));
}

TEST(AsyncWith, AnLvalueManagerIsUsedInPlace) {
    Log log;
    asyncio::run([&]() -> asyncio::Coro<> {
        Recorder r{&log};
        co_await asyncio::async_with(r, [&](Recorder& same) -> asyncio::Coro<> {
            EXPECT_EQ(&same, &r);
            co_return;
        });
    }());
    EXPECT_THAT(log, ElementsAre("enter", "exit clean"));
}

TEST(AsyncWith, AFailingEnterSkipsBodyAndExit) {
    struct FailingEnter {
        Log* log;
        asyncio::Coro<> aenter() {
            throw concurrence::RuntimeError("cannot enter");
            co_return;
        }
        asyncio::Coro<bool> aexit(std::exception_ptr) {
            log->push_back("exit");
            co_return false;
        }
    };
    Log log;
    EXPECT_THROW(asyncio::run([&]() -> asyncio::Coro<> {
                     co_await asyncio::async_with(FailingEnter{&log}, [&]() -> asyncio::Coro<> {
                         log.push_back("body");
                         co_return;
                     });
                 }()),
                 concurrence::RuntimeError);
    EXPECT_TRUE(log.empty());
}

}  // namespace
