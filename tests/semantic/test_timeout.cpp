// asyncio.timeout / timeout_at / Timeout: a port of CPython's
// Lib/test/test_asyncio/test_timeouts.py (Python 3.12+ rules), plus rules of
// Lib/asyncio/timeouts.py that the CPython tests only exercise indirectly (each such TEST
// says so). Every TEST names the Python test it ports.
//
//   async with asyncio.timeout(d) as cm:  body
// is written
//   co_await asyncio::async_with(cm_or_temporary, [&](asyncio::Timeout& cm) -> asyncio::Coro<> { body });
// and a named Timeout is used (by reference) where the Python test looks at `cm` after the block.
//
// Timing: only lower bounds ("took at least the deadline"), never upper bounds.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <exception>
#include <limits>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>

#include "semantic/support.hpp"

namespace {

using namespace std::chrono_literals;
using namespace semantic;
using concurrence::RuntimeError;
using concurrence::TimeoutError;
using testing::ElementsAre;
using testing::HasSubstr;

using semantic::kClockSlack;
// Compares false with everything: stands for a missing when() in comparisons.
constexpr double kNoDeadline = std::numeric_limits<double>::quiet_NaN();

// Python's KeyError, for test_foreign_exception_passed.
class KeyError : public std::runtime_error {
public:
    KeyError() : std::runtime_error("KeyError") {}
};


asyncio::Coro<> sleep_for(double seconds) { co_await asyncio::sleep(seconds); }

std::string runtime_error_message(const std::exception_ptr& e) {
    return holds<RuntimeError>(e) ? what_of(e) : std::string("<not a RuntimeError>");
}

// Blocks the loop (Python's time.sleep in a coroutine): the loop cannot run timers meanwhile.
void block_loop_for(std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }

// ---------------------------------------------------------------- firing / not firing

// test_timeout_basic
TEST(Timeout, TimeoutBasic) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto& loop = asyncio::get_running_loop();
        const double t0 = loop.time();
        auto cm = asyncio::timeout(0.01);
        auto err = co_await error_of(asyncio::async_with(cm, [](asyncio::Timeout&) -> asyncio::Coro<> {
            co_await asyncio::sleep(10);
        }));
        EXPECT_TRUE(holds<TimeoutError>(err));
        EXPECT_TRUE(cm.expired());
        EXPECT_GE(loop.time() - t0, 0.01 - kClockSlack);  // took at least the deadline
        // The timeout took back its own cancel request (Task.uncancel).
        EXPECT_EQ(asyncio::current_task().cancelling(), 0);
    }());
}

// test_timeout_at_basic
TEST(Timeout, TimeoutAtBasic) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto& loop = asyncio::get_running_loop();
        const double deadline = loop.time() + 0.01;
        auto cm = asyncio::timeout_at(deadline);
        auto err = co_await error_of(asyncio::async_with(cm, [](asyncio::Timeout&) -> asyncio::Coro<> {
            co_await asyncio::sleep(10);
        }));
        EXPECT_TRUE(holds<TimeoutError>(err));
        EXPECT_TRUE(cm.expired());
        EXPECT_EQ(cm.when(), std::optional<double>(deadline));
        EXPECT_GE(loop.time(), deadline - kClockSlack);
    }());
}

// test_waiter_cancelled: the body sees CancelledError; the block then raises TimeoutError.
TEST(Timeout, WaiterCancelled) {
    asyncio::run([]() -> asyncio::Coro<> {
        bool cancelled = false;
        auto err = co_await error_of(asyncio::async_with(asyncio::timeout(0.01), [&](asyncio::Timeout&) -> asyncio::Coro<> {
            try {
                co_await asyncio::sleep(10);
            } catch (const asyncio::CancelledError&) {
                cancelled = true;
                throw;
            }
        }));
        EXPECT_TRUE(holds<TimeoutError>(err));
        EXPECT_TRUE(cancelled);
    }());
}

// test_timeout_not_called
TEST(Timeout, TimeoutNotCalled) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto& loop = asyncio::get_running_loop();
        auto cm = asyncio::timeout(10);
        co_await asyncio::async_with(cm, [](asyncio::Timeout&) -> asyncio::Coro<> { co_await asyncio::sleep(0.01); });
        const double t1 = loop.time();
        EXPECT_FALSE(cm.expired());
        EXPECT_TRUE(cm.when().has_value());
        EXPECT_GT(cm.when().value_or(kNoDeadline), t1);
    }());
}

// test_timeout_disabled: timeout(None).
TEST(Timeout, TimeoutDisabled) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto cm = asyncio::timeout(std::nullopt);
        co_await asyncio::async_with(cm, [](asyncio::Timeout&) -> asyncio::Coro<> { co_await asyncio::sleep(0.01); });
        EXPECT_FALSE(cm.expired());
        EXPECT_EQ(cm.when(), std::nullopt);
        // An empty std::optional<Delay> means None too.
        auto cm2 = asyncio::timeout(std::optional<concurrence::Delay>());
        EXPECT_EQ(cm2.when(), std::nullopt);
    }());
}

// test_timeout_at_disabled: timeout_at(None).
TEST(Timeout, TimeoutAtDisabled) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto cm = asyncio::timeout_at(std::nullopt);
        co_await asyncio::async_with(cm, [](asyncio::Timeout&) -> asyncio::Coro<> { co_await asyncio::sleep(0.01); });
        EXPECT_FALSE(cm.expired());
        EXPECT_EQ(cm.when(), std::nullopt);
    }());
}

// No CPython test: timeouts.py's timeout(delay) is Timeout(loop.time() + delay), fixed when
// timeout() is called (not when the block is entered); a chrono duration is the same delay.
TEST(Timeout, WhenIsFixedAtCreation) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto& loop = asyncio::get_running_loop();
        const double t0 = loop.time();
        auto cm = asyncio::timeout(0.5);
        auto cm_chrono = asyncio::timeout(500ms);
        const double t1 = loop.time();
        EXPECT_TRUE(cm.when().has_value());
        EXPECT_TRUE(cm_chrono.when().has_value());
        EXPECT_GE(cm.when().value_or(kNoDeadline), t0 + 0.5 - kClockSlack);
        EXPECT_LE(cm.when().value_or(kNoDeadline), t1 + 0.5 + kClockSlack);
        EXPECT_GE(cm_chrono.when().value_or(kNoDeadline), t0 + 0.5 - kClockSlack);
        EXPECT_LE(cm_chrono.when().value_or(kNoDeadline), t1 + 0.5 + kClockSlack);
        co_await asyncio::sleep(0.01);
        const std::optional<double> before = cm.when();
        co_await asyncio::async_with(cm, [&](asyncio::Timeout& c) -> asyncio::Coro<> {
            EXPECT_EQ(c.when(), before);  // entering does not move the deadline
            co_return;
        });
        EXPECT_EQ(cm.when(), before);
    }());
}

// ---------------------------------------------------------------- zero / past deadlines

// test_timeout_zero
TEST(Timeout, TimeoutZero) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto& loop = asyncio::get_running_loop();
        const double t0 = loop.time();
        auto cm = asyncio::timeout(0);
        auto err = co_await error_of(asyncio::async_with(cm, [](asyncio::Timeout&) -> asyncio::Coro<> {
            co_await asyncio::sleep(10);
        }));
        const double t1 = loop.time();
        EXPECT_TRUE(holds<TimeoutError>(err));
        EXPECT_TRUE(cm.expired());
        EXPECT_TRUE(cm.when().has_value());
        EXPECT_LE(t0, cm.when().value_or(kNoDeadline));
        EXPECT_LE(cm.when().value_or(kNoDeadline), t1);
    }());
}

// test_timeout_zero_sleep_zero: a deadline already reached fires at the next iteration, so
// even sleep(0) is interrupted.
TEST(Timeout, TimeoutZeroSleepZero) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto& loop = asyncio::get_running_loop();
        const double t0 = loop.time();
        auto cm = asyncio::timeout(0);
        auto err = co_await error_of(asyncio::async_with(cm, [](asyncio::Timeout&) -> asyncio::Coro<> {
            co_await asyncio::sleep(0);
        }));
        const double t1 = loop.time();
        EXPECT_TRUE(holds<TimeoutError>(err));
        EXPECT_TRUE(cm.expired());
        EXPECT_TRUE(cm.when().has_value());
        EXPECT_LE(t0, cm.when().value_or(kNoDeadline));
        EXPECT_LE(cm.when().value_or(kNoDeadline), t1);
    }());
}

// test_timeout_in_the_past_sleep_zero
TEST(Timeout, TimeoutInThePastSleepZero) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto& loop = asyncio::get_running_loop();
        const double t0 = loop.time();
        auto cm = asyncio::timeout(-11);
        auto err = co_await error_of(asyncio::async_with(cm, [](asyncio::Timeout&) -> asyncio::Coro<> {
            co_await asyncio::sleep(0);
        }));
        const double t1 = loop.time();
        EXPECT_TRUE(holds<TimeoutError>(err));
        EXPECT_TRUE(cm.expired());
        EXPECT_TRUE(cm.when().has_value());
        EXPECT_GE(t0, cm.when().value_or(kNoDeadline));
        EXPECT_LE(cm.when().value_or(kNoDeadline), t1);
    }());
}

// No CPython test: timeouts.py's reschedule() uses call_soon for a deadline already reached,
// so it fires at the next iteration, never inside __aenter__: a body that does not await
// finishes before it, and the timeout is then simply "finished", not expired.
TEST(Timeout, ZeroDeadlineDoesNotFireBeforeTheFirstAwait) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto cm = asyncio::timeout(0);
        bool ran = false;
        auto err = co_await error_of(asyncio::async_with(cm, [&](asyncio::Timeout& c) -> asyncio::Coro<> {
            EXPECT_FALSE(c.expired());
            ran = true;
            co_return;
        }));
        EXPECT_EQ(err, nullptr);
        EXPECT_TRUE(ran);
        EXPECT_FALSE(cm.expired());
        EXPECT_EQ(cm.repr(), "<Timeout [finished]>");
        co_await asyncio::sleep(0);  // the disarmed deadline cancels nothing later
        EXPECT_EQ(asyncio::current_task().cancelling(), 0);
    }());
}

// ---------------------------------------------------------------- foreign exceptions / cancels

// test_foreign_exception_passed
TEST(Timeout, ForeignExceptionPassed) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto cm = asyncio::timeout(0.01);
        auto err = co_await error_of(asyncio::async_with(cm, [](asyncio::Timeout&) -> asyncio::Coro<> {
            throw KeyError();
            co_return;
        }));
        EXPECT_TRUE(holds<KeyError>(err));
        EXPECT_FALSE(cm.expired());
    }());
}

asyncio::Coro<> crash() {
    // try: await asyncio.sleep(1)  finally: 1/0
    try {
        co_await asyncio::sleep(1);
    } catch (...) {
        throw ZeroDivisionError();
    }
    throw ZeroDivisionError();
}

// test_foreign_exception_on_timeout: an exception raised while handling the deadline's
// cancellation is not turned into TimeoutError.
TEST(Timeout, ForeignExceptionOnTimeout) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto cm = asyncio::timeout(0.01);
        auto err = co_await error_of(asyncio::async_with(cm, [](asyncio::Timeout&) -> asyncio::Coro<> { co_await crash(); }));
        EXPECT_TRUE(holds<ZeroDivisionError>(err));
        EXPECT_TRUE(cm.expired());
        EXPECT_EQ(asyncio::current_task().cancelling(), 0);
    }());
}

// test_foreign_cancel_doesnt_timeout_if_not_expired
TEST(Timeout, ForeignCancelDoesntTimeoutIfNotExpired) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto cm = asyncio::timeout(10);
        auto err = co_await error_of(asyncio::async_with(cm, [](asyncio::Timeout&) -> asyncio::Coro<> {
            asyncio::current_task().cancel();
            co_await asyncio::sleep(10);
        }));
        EXPECT_TRUE(holds<asyncio::CancelledError>(err));
        EXPECT_FALSE(cm.expired());
        // Nobody took that cancel request back.
        EXPECT_EQ(asyncio::current_task().cancelling(), 1);
    }());
}

asyncio::Coro<> sleep_in(asyncio::Timeout* cm, Log* log) {
    try {
        co_await asyncio::async_with(*cm, [](asyncio::Timeout&) -> asyncio::Coro<> { co_await asyncio::sleep(10); });
    } catch (const asyncio::CancelledError&) {
        log->push_back("CancelledError cancelling=" + std::to_string(asyncio::current_task().cancelling()));
        throw;
    } catch (const TimeoutError&) {
        log->push_back("TimeoutError");
        throw;
    }
}

// No CPython test (timeouts.py rule): a cancel from another task while the deadline has not
// passed goes through the block as CancelledError; the task ends cancelled.
TEST(Timeout, CancelFromOutsideStaysCancelledError) {
    asyncio::run([]() -> asyncio::Coro<> {
        Log log;
        auto cm = asyncio::timeout(10);
        auto t = asyncio::create_task(sleep_in(&cm, &log));
        co_await asyncio::sleep(0);
        t.cancel();
        auto err = co_await error_of(t);
        EXPECT_TRUE(holds<asyncio::CancelledError>(err));
        EXPECT_TRUE(t.cancelled());
        EXPECT_FALSE(cm.expired());
        EXPECT_THAT(log, ElementsAre("CancelledError cancelling=1"));
    }());
}

// No CPython test (timeouts.py rule: `if self._task.uncancel() <= self._cancelling`): the
// deadline fires and, in the same loop iteration, another cancel arrives. The block must let
// the CancelledError through (it is not only the deadline's), and only the deadline's request
// is taken back: cancelling() is 1 after the block.
TEST(Timeout, CancelFromOutsideInTheIterationOfTheDeadline) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto& loop = asyncio::get_running_loop();
        Log log;
        const double deadline = loop.time() + 0.01;
        auto cm = asyncio::timeout_at(deadline);
        auto t = asyncio::create_task(sleep_in(&cm, &log));
        co_await asyncio::sleep(0);  // t is inside the block: its deadline timer is armed
        // Same deadline, armed later: runs right after the timeout's callback, same iteration.
        loop.call_at(deadline, [t]() mutable { t.cancel(); });
        auto err = co_await error_of(t);
        EXPECT_TRUE(holds<asyncio::CancelledError>(err));
        EXPECT_TRUE(t.cancelled());
        EXPECT_TRUE(cm.expired());
        EXPECT_THAT(log, ElementsAre("CancelledError cancelling=1"));
    }());
}

// Same rule, the other order: the outside cancel comes first, the deadline right after it.
TEST(Timeout, CancelFromOutsideJustBeforeTheDeadline) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto& loop = asyncio::get_running_loop();
        Log log;
        const double deadline = loop.time() + 0.01;
        auto cm = asyncio::timeout_at(deadline);
        auto t = asyncio::create_task(sleep_in(&cm, &log));
        // Armed before t enters the block: runs just before the timeout's callback.
        loop.call_at(deadline, [t]() mutable { t.cancel(); });
        auto err = co_await error_of(t);
        EXPECT_TRUE(holds<asyncio::CancelledError>(err));
        EXPECT_TRUE(t.cancelled());
        EXPECT_TRUE(cm.expired());
        EXPECT_THAT(log, ElementsAre("CancelledError cancelling=1"));
    }());
}

asyncio::Coro<> survive_block(asyncio::Timeout* cm, Log* log) {
    try {
        co_await asyncio::async_with(*cm, [](asyncio::Timeout&) -> asyncio::Coro<> { co_await asyncio::sleep(10); });
    } catch (const asyncio::CancelledError&) {
        log->push_back("CancelledError cancelling=" + std::to_string(asyncio::current_task().cancelling()));
    }
    // Not re-raised: the cancellation was delivered once; the task may go on.
    try {
        co_await asyncio::sleep(0);
        log->push_back("next await ok");
    } catch (const asyncio::CancelledError&) {
        log->push_back("next await: CancelledError again");
    }
}

// Same rule: the CancelledError that leaves the block is the one delivery of both requests
// (Python's Task.__step clears _must_cancel when it throws a CancelledError in); a task that
// catches it can go on awaiting.
// (A sleep cancelled twice once delivered two CancelledErrors: fixed in TaskCore::throw_cancelled.)
TEST(Timeout, CancelFromOutsideInTheIterationOfTheDeadlineIsDeliveredOnce) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto& loop = asyncio::get_running_loop();
        Log log;
        const double deadline = loop.time() + 0.01;
        auto cm = asyncio::timeout_at(deadline);
        auto t = asyncio::create_task(survive_block(&cm, &log));
        co_await asyncio::sleep(0);
        loop.call_at(deadline, [t]() mutable { t.cancel(); });
        co_await t;
        EXPECT_FALSE(t.cancelled());
        EXPECT_TRUE(cm.expired());
        EXPECT_THAT(log, ElementsAre("CancelledError cancelling=1", "next await ok"));
    }());
}

// No CPython test (timeouts.py rule): the body catches the deadline's CancelledError and
// does not re-raise it: the block ends normally, without TimeoutError, still expired, and
// the deadline's cancel request is taken back (nothing is left to interrupt later awaits).
TEST(Timeout, BodySuppressesCancelledError) {
    asyncio::run([]() -> asyncio::Coro<> {
        Log log;
        auto cm = asyncio::timeout(0.01);
        auto err = co_await error_of(asyncio::async_with(cm, [&](asyncio::Timeout& c) -> asyncio::Coro<> {
            try {
                co_await asyncio::sleep(10);
            } catch (const asyncio::CancelledError&) {
                log.push_back(std::string("caught, expired=") + (c.expired() ? "true" : "false"));
            }
            co_await asyncio::sleep(0);  // the cancellation was delivered once, not again
            log.push_back("body goes on");
        }));
        EXPECT_EQ(err, nullptr);
        EXPECT_TRUE(cm.expired());
        EXPECT_EQ(cm.repr(), "<Timeout [expired]>");
        EXPECT_EQ(asyncio::current_task().cancelling(), 0);
        co_await asyncio::sleep(0.001);
        log.push_back("after the block");
        EXPECT_THAT(log, ElementsAre("caught, expired=true", "body goes on", "after the block"));
    }());
}

asyncio::Coro<std::string> await_in_timeout(asyncio::Future<std::string> fut, asyncio::Timeout* cm) {
    co_return co_await asyncio::async_with(*cm, [&](asyncio::Timeout&) -> asyncio::Coro<std::string> {
        co_return co_await fut;
    });
}

// No CPython test (timeouts.py + Task.__step rules): the awaited future gets its result in
// the very iteration whose timers fire the deadline, just before the deadline's callback.
// The task is still waiting to resume, so Task.cancel() can only leave a pending cancel,
// which __step throws into `await fut` although fut has a result: the block raises
// TimeoutError and the result is not seen. (asyncio::wait_for, unlike a bare timeout block,
// rescues that result: see WaitFor.ResultSetInTheIterationOfTheDeadlineIsReturned.)
// Construction: a callback blocks the loop until the deadline has passed, then call_soon()s
// set_result; in the next iteration, callbacks already queued run before the timers that
// became due (Python's _run_once order), so set_result comes first, the deadline right after.
TEST(Timeout, ResultInTheIterationOfTheDeadlineIsNotSeen) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto& loop = asyncio::get_running_loop();
        auto fut = loop.create_future<std::string>();
        const double deadline = loop.time() + 0.01;
        auto cm = asyncio::timeout_at(deadline);
        auto t = asyncio::create_task(await_in_timeout(fut, &cm));
        co_await asyncio::sleep(0);  // t is inside the block, awaiting fut
        loop.call_soon([&loop, fut, deadline]() mutable {
            while (loop.time() <= deadline) std::this_thread::sleep_for(1ms);
            loop.call_soon([fut]() mutable { fut.set_result("ok"); });
        });
        auto err = co_await error_of(t);
        EXPECT_TRUE(holds<TimeoutError>(err));
        EXPECT_TRUE(cm.expired());
        EXPECT_TRUE(fut.done());
        EXPECT_FALSE(fut.cancelled());
        EXPECT_EQ(t.cancelling(), 0);
    }());
}

// test_outer_task_is_not_cancelled
asyncio::Coro<> outer_with_timeout(Log* log) {
    auto err = co_await error_of(asyncio::async_with(asyncio::timeout(0.001), [](asyncio::Timeout&) -> asyncio::Coro<> {
        co_await asyncio::sleep(10);
    }));
    if (holds<TimeoutError>(err)) log->push_back("TimeoutError");
}
TEST(Timeout, OuterTaskIsNotCancelled) {
    asyncio::run([]() -> asyncio::Coro<> {
        Log log;
        auto task = asyncio::create_task(outer_with_timeout(&log));
        co_await task;
        EXPECT_FALSE(task.cancelled());
        EXPECT_TRUE(task.done());
        EXPECT_EQ(task.cancelling(), 0);
        EXPECT_THAT(log, ElementsAre("TimeoutError"));
    }());
}

// ---------------------------------------------------------------- nested timeouts

// test_nested_timeouts: both with the same deadline, both fire in the same iteration; only
// the outermost raises TimeoutError, the inner lets the CancelledError through.
TEST(Timeout, NestedTimeouts) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto& loop = asyncio::get_running_loop();
        bool cancelled = false;
        const double deadline = loop.time() + 0.01;
        auto cm1 = asyncio::timeout_at(deadline);
        auto cm2 = asyncio::timeout_at(deadline);
        auto err = co_await error_of(asyncio::async_with(cm1, [&](asyncio::Timeout&) -> asyncio::Coro<> {
            try {
                co_await asyncio::async_with(cm2, [](asyncio::Timeout&) -> asyncio::Coro<> { co_await asyncio::sleep(10); });
            } catch (const asyncio::CancelledError&) {
                cancelled = true;
                throw;
            }
        }));
        EXPECT_TRUE(holds<TimeoutError>(err));
        EXPECT_TRUE(cancelled);
        EXPECT_TRUE(cm1.expired());
        EXPECT_TRUE(cm2.expired());
        EXPECT_EQ(asyncio::current_task().cancelling(), 0);
    }());
}

// test_nested_timeouts_concurrent: the outer deadline passes while the loop is busy inside
// the inner block; the inner (not expired) passes the CancelledError on, the outer raises.
TEST(Timeout, NestedTimeoutsConcurrent) {
    asyncio::run([]() -> asyncio::Coro<> {
        std::exception_ptr inner_err;
        auto outer = asyncio::timeout(0.002);
        auto inner = asyncio::timeout(0.1);
        auto err = co_await error_of(asyncio::async_with(outer, [&](asyncio::Timeout&) -> asyncio::Coro<> {
            inner_err = co_await error_of(asyncio::async_with(inner, [](asyncio::Timeout&) -> asyncio::Coro<> {
                block_loop_for(10ms);  // pretend we crunch some numbers
                co_await asyncio::sleep(1);
            }));
            if (inner_err) std::rethrow_exception(inner_err);
        }));
        EXPECT_TRUE(holds<asyncio::CancelledError>(inner_err));
        EXPECT_TRUE(holds<TimeoutError>(err));
        EXPECT_FALSE(inner.expired());
        EXPECT_TRUE(outer.expired());
        EXPECT_EQ(asyncio::current_task().cancelling(), 0);
    }());
}

// test_nested_timeouts_loop_busy: the loop is blocked past both deadlines, so both fire in
// the same iteration. The inner sees a second cancel request (the outer's) pending and lets
// the CancelledError through; the outer turns it into TimeoutError. The `sleep(10)` after
// the inner block is never reached. (CPython's upper bound on the time is not ported.)
TEST(Timeout, NestedTimeoutsLoopBusy) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto& loop = asyncio::get_running_loop();
        const double t0 = loop.time();
        Log log;
        auto outer = asyncio::timeout(0.02);  // (1)
        auto inner = asyncio::timeout(0.01);  // (2)
        auto err = co_await error_of(asyncio::async_with(outer, [&](asyncio::Timeout&) -> asyncio::Coro<> {
            auto inner_err = co_await error_of(asyncio::async_with(inner, [](asyncio::Timeout&) -> asyncio::Coro<> {
                block_loop_for(30ms);  // pretend the loop is busy for a while
                co_await asyncio::sleep(1);
            }));
            if (holds<asyncio::CancelledError>(inner_err)) log.push_back("inner: CancelledError");
            if (holds<TimeoutError>(inner_err)) log.push_back("inner: TimeoutError");
            if (holds<asyncio::CancelledError>(inner_err)) std::rethrow_exception(inner_err);
            co_await asyncio::sleep(10);  // interrupted by (1) if (2) had raised TimeoutError
            log.push_back("slept 10 s");
        }));
        EXPECT_TRUE(holds<TimeoutError>(err));
        EXPECT_TRUE(inner.expired());
        EXPECT_TRUE(outer.expired());
        EXPECT_THAT(log, ElementsAre("inner: CancelledError"));
        EXPECT_GE(loop.time() - t0, 0.02 - kClockSlack);
        EXPECT_EQ(asyncio::current_task().cancelling(), 0);
    }());
}

// No CPython test (timeouts.py rule): the inner deadline fires, the outer one does not; the
// inner raises TimeoutError, the outer block goes on and finishes normally.
TEST(Timeout, NestedInnerFiresOuterDoesNot) {
    asyncio::run([]() -> asyncio::Coro<> {
        Log log;
        auto outer = asyncio::timeout(10);
        auto inner = asyncio::timeout(0.01);
        auto err = co_await error_of(asyncio::async_with(outer, [&](asyncio::Timeout&) -> asyncio::Coro<> {
            auto inner_err = co_await error_of(asyncio::async_with(inner, [](asyncio::Timeout&) -> asyncio::Coro<> {
                co_await asyncio::sleep(10);
            }));
            if (holds<TimeoutError>(inner_err)) log.push_back("inner: TimeoutError");
            co_await asyncio::sleep(0.001);
            log.push_back("outer body goes on");
        }));
        EXPECT_EQ(err, nullptr);
        EXPECT_TRUE(inner.expired());
        EXPECT_FALSE(outer.expired());
        EXPECT_EQ(outer.repr(), "<Timeout [finished]>");
        EXPECT_THAT(log, ElementsAre("inner: TimeoutError", "outer body goes on"));
        EXPECT_EQ(asyncio::current_task().cancelling(), 0);
    }());
}

// test_nested_timeout_in_finally: a timeout used in a `finally:` that runs because an outer
// timeout fired works on its own (its TimeoutError is its own), and the outer still raises
// TimeoutError afterwards.
TEST(Timeout, NestedTimeoutInFinally) {
    asyncio::run([]() -> asyncio::Coro<> {
        std::exception_ptr inner_err;
        auto err = co_await error_of(asyncio::async_with(asyncio::timeout(0.01), [&](asyncio::Timeout&) -> asyncio::Coro<> {
            // try: await asyncio.sleep(1)  finally: (async with timeout(0.01): await sleep(10))
            co_await asyncio::try_finally(sleep_for(1), [&]() -> asyncio::Coro<> {
                inner_err = co_await error_of(asyncio::async_with(asyncio::timeout(0.01), [](asyncio::Timeout&) -> asyncio::Coro<> {
                    co_await asyncio::sleep(10);
                }));
            });
        }));
        EXPECT_TRUE(holds<TimeoutError>(inner_err));
        EXPECT_TRUE(holds<TimeoutError>(err));
        EXPECT_EQ(asyncio::current_task().cancelling(), 0);
    }());
}

// ---------------------------------------------------------------- after a cancellation

// test_timeout_after_cancellation: the task was cancelled (and caught it, cancelling() stays
// 1); a timeout entered afterwards still raises TimeoutError for its own deadline.
TEST(Timeout, TimeoutAfterCancellation) {
    asyncio::run([]() -> asyncio::Coro<> {
        try {
            asyncio::current_task().cancel();
            co_await asyncio::sleep(1);  // work which will be cancelled
        } catch (const asyncio::CancelledError&) {
        }
        EXPECT_EQ(asyncio::current_task().cancelling(), 1);
        // finally:
        auto err = co_await error_of(asyncio::async_with(asyncio::timeout(0.0), [](asyncio::Timeout&) -> asyncio::Coro<> {
            co_await asyncio::sleep(1);  // some cleanup
        }));
        EXPECT_TRUE(holds<TimeoutError>(err));
        EXPECT_EQ(asyncio::current_task().cancelling(), 1);
    }());
}

// test_cancel_in_timeout_after_cancellation
TEST(Timeout, CancelInTimeoutAfterCancellation) {
    asyncio::run([]() -> asyncio::Coro<> {
        try {
            asyncio::current_task().cancel();
            co_await asyncio::sleep(1);  // work which will be cancelled
        } catch (const asyncio::CancelledError&) {
        }
        // finally:
        auto cm = asyncio::timeout(1.0);
        auto err = co_await error_of(asyncio::async_with(cm, [](asyncio::Timeout&) -> asyncio::Coro<> {
            asyncio::current_task().cancel();
            co_await asyncio::sleep(2);  // some cleanup
        }));
        EXPECT_TRUE(holds<asyncio::CancelledError>(err));
        EXPECT_FALSE(cm.expired());
        EXPECT_EQ(asyncio::current_task().cancelling(), 2);
    }());
}

// ---------------------------------------------------------------- reschedule / when / expired

asyncio::Coro<> hold_timeout(asyncio::Timeout* cm, asyncio::Future<asyncio::Timeout*> entered) {
    co_await asyncio::async_with(*cm, [&](asyncio::Timeout& c) -> asyncio::Coro<> {
        entered.set_result(&c);
        co_await asyncio::sleep(50);
    });
}

// test_reschedule: another task moves the deadline later, then removes it.
TEST(Timeout, Reschedule) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto& loop = asyncio::get_running_loop();
        auto fut = loop.create_future<asyncio::Timeout*>();
        const double deadline1 = loop.time() + 10;
        const double deadline2 = deadline1 + 20;
        auto scope = asyncio::timeout_at(deadline1);
        auto task = asyncio::create_task(hold_timeout(&scope, fut));
        asyncio::Timeout* cm = co_await fut;
        EXPECT_EQ(cm, &scope);

        EXPECT_EQ(cm->when(), std::optional<double>(deadline1));
        cm->reschedule(deadline2);
        EXPECT_EQ(cm->when(), std::optional<double>(deadline2));
        cm->reschedule(std::nullopt);
        EXPECT_EQ(cm->when(), std::nullopt);

        task.cancel();
        auto err = co_await error_of(task);
        EXPECT_TRUE(holds<asyncio::CancelledError>(err));
        EXPECT_FALSE(cm->expired());
    }());
}

// No CPython test (timeouts.py reschedule rule): an earlier deadline fires at its new time.
TEST(Timeout, RescheduleEarlier) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto& loop = asyncio::get_running_loop();
        auto cm = asyncio::timeout(10);
        double new_deadline = 0;
        auto err = co_await error_of(asyncio::async_with(cm, [&](asyncio::Timeout& c) -> asyncio::Coro<> {
            new_deadline = loop.time() + 0.01;
            c.reschedule(new_deadline);
            co_await asyncio::sleep(10);
        }));
        EXPECT_TRUE(holds<TimeoutError>(err));
        EXPECT_TRUE(cm.expired());
        EXPECT_EQ(cm.when(), std::optional<double>(new_deadline));
        EXPECT_GE(loop.time(), new_deadline - kClockSlack);
    }());
}

// No CPython test (timeouts.py reschedule rule): a later deadline disarms the first one.
TEST(Timeout, RescheduleLater) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto& loop = asyncio::get_running_loop();
        auto cm = asyncio::timeout(0.005);
        auto err = co_await error_of(asyncio::async_with(cm, [&](asyncio::Timeout& c) -> asyncio::Coro<> {
            c.reschedule(loop.time() + 10);
            co_await asyncio::sleep(0.03);  // well past the first deadline
        }));
        EXPECT_EQ(err, nullptr);
        EXPECT_FALSE(cm.expired());
        EXPECT_EQ(asyncio::current_task().cancelling(), 0);
    }());
}

// No CPython test (timeouts.py reschedule rule): reschedule(None) disarms the deadline.
TEST(Timeout, RescheduleToNone) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto cm = asyncio::timeout(0.005);
        auto err = co_await error_of(asyncio::async_with(cm, [&](asyncio::Timeout& c) -> asyncio::Coro<> {
            c.reschedule(std::nullopt);
            EXPECT_EQ(c.when(), std::nullopt);
            EXPECT_EQ(c.repr(), "<Timeout [active] when=None>");
            co_await asyncio::sleep(0.03);
        }));
        EXPECT_EQ(err, nullptr);
        EXPECT_FALSE(cm.expired());
        EXPECT_EQ(cm.when(), std::nullopt);
    }());
}

// No CPython test (timeouts.py rule `if when <= loop.time(): call_soon(...)`): a deadline
// moved into the past fires at the next iteration.
TEST(Timeout, RescheduleIntoThePast) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto& loop = asyncio::get_running_loop();
        auto cm = asyncio::timeout(10);
        auto err = co_await error_of(asyncio::async_with(cm, [&](asyncio::Timeout& c) -> asyncio::Coro<> {
            c.reschedule(loop.time() - 1);
            EXPECT_FALSE(c.expired());  // not before the next iteration
            co_await asyncio::sleep(0);
        }));
        EXPECT_TRUE(holds<TimeoutError>(err));
        EXPECT_TRUE(cm.expired());
    }());
}

// No CPython test (timeouts.py rules): expired() turns true as soon as the deadline fired,
// still inside the block; reschedule() is then refused ("expiring"), and after the block
// too ("expired").
TEST(Timeout, ExpiredInsideTheBlockAndRescheduleRefused) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto& loop = asyncio::get_running_loop();
        std::exception_ptr reschedule_err;
        bool expired_inside = false;
        auto cm = asyncio::timeout(0.01);
        auto err = co_await error_of(asyncio::async_with(cm, [&](asyncio::Timeout& c) -> asyncio::Coro<> {
            EXPECT_FALSE(c.expired());
            try {
                co_await asyncio::sleep(10);
            } catch (const asyncio::CancelledError&) {
                expired_inside = c.expired();
                try {
                    c.reschedule(loop.time() + 10);
                } catch (...) {
                    reschedule_err = std::current_exception();
                }
                EXPECT_EQ(c.repr(), "<Timeout [expiring]>");
                throw;
            }
        }));
        EXPECT_TRUE(holds<TimeoutError>(err));
        EXPECT_TRUE(expired_inside);
        EXPECT_EQ(runtime_error_message(reschedule_err), "Cannot change state of expiring Timeout");
        std::exception_ptr after;
        try {
            cm.reschedule(loop.time() + 10);
        } catch (...) {
            after = std::current_exception();
        }
        EXPECT_EQ(runtime_error_message(after), "Cannot change state of expired Timeout");
    }());
}

// test_timeout_finished
TEST(Timeout, TimeoutFinished) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto cm = asyncio::timeout(0.01);
        co_await asyncio::async_with(cm, [](asyncio::Timeout&) -> asyncio::Coro<> { co_return; });
        std::exception_ptr err;
        try {
            cm.reschedule(0.02);
        } catch (...) {
            err = std::current_exception();
        }
        EXPECT_THAT(runtime_error_message(err), HasSubstr("finished"));
        EXPECT_EQ(runtime_error_message(err), "Cannot change state of finished Timeout");
    }());
}

// test_timeout_not_entered
TEST(Timeout, TimeoutNotEntered) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto cm = asyncio::timeout(0.01);
        std::exception_ptr err;
        try {
            cm.reschedule(0.02);
        } catch (...) {
            err = std::current_exception();
        }
        EXPECT_EQ(runtime_error_message(err), "Timeout has not been entered");
        co_return;
    }());
}

// test_timeout_without_task: __aenter__ awaited from a plain callback (no task).
TEST(Timeout, TimeoutWithoutTask) {
    asyncio::EventLoop loop;
    std::exception_ptr enter_err;
    std::exception_ptr reschedule_err;
    bool ran = false;
    loop.call_soon([&] {
        ran = true;
        auto cm = asyncio::timeout(0.01);
        try {
            cm.aenter();
        } catch (...) {
            enter_err = std::current_exception();
        }
        try {
            cm.reschedule(0.02);
        } catch (...) {
            reschedule_err = std::current_exception();
        }
    });
    run_once(loop);
    EXPECT_TRUE(ran);
    EXPECT_THAT(runtime_error_message(enter_err), HasSubstr("task"));
    EXPECT_EQ(runtime_error_message(enter_err), "Timeout should be used inside a task");
    EXPECT_EQ(runtime_error_message(reschedule_err), "Timeout has not been entered");
}

// test_timeout_already_entered
TEST(Timeout, TimeoutAlreadyEntered) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto cm = asyncio::timeout(0.01);
        std::exception_ptr err;
        bool inner_body_ran = false;
        co_await asyncio::async_with(cm, [&](asyncio::Timeout&) -> asyncio::Coro<> {
            err = co_await error_of(asyncio::async_with(cm, [&](asyncio::Timeout&) -> asyncio::Coro<> {
                inner_body_ran = true;
                co_return;
            }));
        });
        EXPECT_THAT(runtime_error_message(err), HasSubstr("has already been entered"));
        EXPECT_EQ(runtime_error_message(err), "Timeout has already been entered");
        EXPECT_FALSE(inner_body_ran);
        EXPECT_FALSE(cm.expired());
    }());
}

// test_timeout_double_enter
TEST(Timeout, TimeoutDoubleEnter) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto cm = asyncio::timeout(0.01);
        co_await asyncio::async_with(cm, [](asyncio::Timeout&) -> asyncio::Coro<> { co_return; });
        bool body_ran = false;
        auto err = co_await error_of(asyncio::async_with(cm, [&](asyncio::Timeout&) -> asyncio::Coro<> {
            body_ran = true;
            co_return;
        }));
        EXPECT_EQ(runtime_error_message(err), "Timeout has already been entered");
        EXPECT_FALSE(body_ran);
    }());
}

// ---------------------------------------------------------------- repr

// test_repr_active
TEST(Timeout, ReprActive) {
    asyncio::run([]() -> asyncio::Coro<> {
        co_await asyncio::async_with(asyncio::timeout(10), [](asyncio::Timeout& cm) -> asyncio::Coro<> {
            const std::string r = cm.repr();
            EXPECT_TRUE(std::regex_match(r, std::regex(R"(<Timeout \[active\] when=\d+\.\d*>)"))) << r;
            co_return;
        });
    }());
}

// test_repr_active, exactly: Python prints round(when, 3) as a float repr, so
// timeout_at(12.5) shows "when=12.5" and timeout_at(7.0) "when=7.0".
TEST(Timeout, ReprActiveRoundsWhenLikePython) {
    asyncio::run([]() -> asyncio::Coro<> {
        co_await asyncio::async_with(asyncio::timeout_at(12.5), [](asyncio::Timeout& cm) -> asyncio::Coro<> {
            EXPECT_EQ(cm.repr(), "<Timeout [active] when=12.5>");
            cm.reschedule(7.0);
            EXPECT_EQ(cm.repr(), "<Timeout [active] when=7.0>");
            cm.reschedule(1e9 + 0.12345);
            EXPECT_EQ(cm.repr(), "<Timeout [active] when=1000000000.123>");
            cm.reschedule(std::nullopt);  // do not let the past deadline fire
            co_return;
        });
    }());
}

// test_repr_expired
TEST(Timeout, ReprExpired) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto cm = asyncio::timeout(0.01);
        auto err = co_await error_of(asyncio::async_with(cm, [](asyncio::Timeout&) -> asyncio::Coro<> {
            co_await asyncio::sleep(10);
        }));
        EXPECT_TRUE(holds<TimeoutError>(err));
        EXPECT_EQ(cm.repr(), "<Timeout [expired]>");
    }());
}

// test_repr_finished
TEST(Timeout, ReprFinished) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto cm = asyncio::timeout(10);
        EXPECT_EQ(cm.repr(), "<Timeout [created]>");
        co_await asyncio::async_with(cm, [](asyncio::Timeout&) -> asyncio::Coro<> { co_await asyncio::sleep(0); });
        EXPECT_EQ(cm.repr(), "<Timeout [finished]>");
    }());
}

// test_repr_disabled
TEST(Timeout, ReprDisabled) {
    asyncio::run([]() -> asyncio::Coro<> {
        co_await asyncio::async_with(asyncio::timeout(std::nullopt), [](asyncio::Timeout& cm) -> asyncio::Coro<> {
            EXPECT_EQ(cm.repr(), "<Timeout [active] when=None>");
            co_return;
        });
    }());
}

}  // namespace
