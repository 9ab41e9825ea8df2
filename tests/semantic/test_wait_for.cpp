// asyncio.wait_for: a port of CPython's Lib/test/test_asyncio/test_waitfor.py (Python 3.12+,
// where wait_for is `async with timeouts.timeout(timeout): return await fut`, with the
// `timeout <= 0` special case), plus rules of Lib/asyncio/tasks.py's wait_for that the CPython
// tests exercise only indirectly (each such TEST says so). Every TEST names the Python test it
// ports.
//
// The library runs a Coro given to wait_for as a task of its own (Python 3.12 awaits the
// coroutine inline); the observable rules below hold either way.
//
// Timing: only lower bounds ("took at least the deadline"), never upper bounds.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "semantic/support.hpp"

namespace {

using namespace std::chrono_literals;
using namespace semantic;
using concurrence::TimeoutError;
using testing::ElementsAre;

// CPython's _EPSILON: a timeout that passes the "timeout > 0" check but is almost nothing.
constexpr double kEpsilon = 0.0001;
using semantic::kClockSlack;

class FooException : public std::runtime_error {
public:
    FooException() : std::runtime_error("FooException") {}
};



// Blocks the loop (no callback, no timer runs) until loop.time() is past `t`.
void block_until(asyncio::EventLoop& loop, double t) {
    while (loop.time() <= t) std::this_thread::sleep_for(1ms);
}

// ---------------------------------------------------------------- SlowTask

// SlowTask: runs for TASK_TIMEOUT, ignoring cancel requests (CPython uses 0.2 s).
struct SlowTask {
    static constexpr double TASK_TIMEOUT = 0.04;
    bool exited = false;
};

asyncio::Coro<> slow_task_run(SlowTask* self) {
    auto& loop = asyncio::get_running_loop();
    const double exitat = loop.time() + SlowTask::TASK_TIMEOUT;
    while (true) {
        const double tosleep = exitat - loop.time();
        if (tosleep <= 0) break;
        try {
            co_await asyncio::sleep(tosleep);
        } catch (const asyncio::CancelledError&) {
        }
    }
    self->exited = true;
}

// test_asyncio_wait_for_cancelled: cancelling the task that runs wait_for cancels the inner
// work and waits for it to finish (here it ignores the cancel and runs to its end).
TEST(WaitFor, AsyncioWaitForCancelled) {
    asyncio::run([]() -> asyncio::Coro<> {
        SlowTask t;
        auto waitfortask = asyncio::create_task(asyncio::wait_for(slow_task_run(&t), SlowTask::TASK_TIMEOUT * 2));
        co_await asyncio::sleep(0);
        waitfortask.cancel();
        std::vector<asyncio::Task<>> fs;  // (a braced temporary in a co_await trips g++ 12)
        fs.push_back(waitfortask);
        co_await asyncio::wait(std::move(fs));
        EXPECT_TRUE(t.exited);
    }());
}

// test_asyncio_wait_for_timeout: the deadline passes, wait_for waits until the inner work is
// done. (CPython accepts TimeoutError or not; by the 3.12 rules the inner swallowed the
// cancel and returned, so wait_for returns normally, as in test_wait_for_cancel_suppressed.)
TEST(WaitFor, AsyncioWaitForTimeout) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto& loop = asyncio::get_running_loop();
        SlowTask t;
        const double t0 = loop.time();
        auto err = co_await error_of(asyncio::wait_for(slow_task_run(&t), SlowTask::TASK_TIMEOUT / 2));
        EXPECT_TRUE(t.exited);
        EXPECT_EQ(err, nullptr);
        EXPECT_GE(loop.time() - t0, SlowTask::TASK_TIMEOUT - kClockSlack);
        EXPECT_EQ(asyncio::current_task().cancelling(), 0);
    }());
}

// ---------------------------------------------------------------- timeout <= 0

// test_wait_for_timeout_less_then_0_or_0_future_done
TEST(WaitFor, WaitForTimeoutLessThen0Or0FutureDone) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto& loop = asyncio::get_running_loop();
        auto fut = loop.create_future<std::string>();
        fut.set_result("done");
        for (double timeout : {0.0, -1.0}) {
            std::string ret = co_await asyncio::wait_for(fut, timeout);
            EXPECT_EQ(ret, "done");
            EXPECT_TRUE(fut.done());
            EXPECT_FALSE(fut.cancelled());
        }
    }());
}

asyncio::Coro<> set_flag(bool* started) {
    *started = true;
    co_return;
}

// test_wait_for_timeout_less_then_0_or_0_coroutine_do_not_started
TEST(WaitFor, WaitForTimeoutLessThen0Or0CoroutineDoNotStarted) {
    asyncio::run([]() -> asyncio::Coro<> {
        bool foo_started = false;
        auto err = co_await error_of(asyncio::wait_for(set_flag(&foo_started), 0));
        EXPECT_TRUE(holds<TimeoutError>(err));
        EXPECT_FALSE(foo_started);
    }());
}

asyncio::Coro<std::string> foo_running_flag(bool* running, asyncio::Future<void>* started) {
    *running = true;
    if (started) started->set_result();
    try {
        co_await asyncio::sleep(10);
    } catch (...) {
        *running = false;  // finally:
        throw;
    }
    *running = false;
    co_return "done";
}

// test_wait_for_timeout_less_then_0_or_0: a started, undone task is cancelled, and wait_for
// waits until its cleanup has run before raising TimeoutError.
TEST(WaitFor, WaitForTimeoutLessThen0Or0) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto& loop = asyncio::get_running_loop();
        for (double timeout : {0.0, -1.0}) {
            SCOPED_TRACE(timeout);
            bool foo_running = false;
            auto started = loop.create_future<void>();
            auto fut = asyncio::create_task(foo_running_flag(&foo_running, &started));
            co_await started;
            EXPECT_TRUE(foo_running);

            auto err = co_await error_of(asyncio::wait_for(fut, timeout));
            EXPECT_TRUE(holds<TimeoutError>(err));
            EXPECT_TRUE(fut.done());
            EXPECT_TRUE(fut.cancelled());  // cancelled because of the timeout
            EXPECT_FALSE(foo_running);
            EXPECT_EQ(asyncio::current_task().cancelling(), 0);
        }
    }());
}

// ---------------------------------------------------------------- positive timeouts

// test_wait_for
TEST(WaitFor, WaitFor) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto& loop = asyncio::get_running_loop();
        bool foo_running = false;
        auto fut = asyncio::create_task(foo_running_flag(&foo_running, nullptr));
        const double t0 = loop.time();
        auto err = co_await error_of(asyncio::wait_for(fut, 0.01));
        const double t1 = loop.time();
        EXPECT_TRUE(holds<TimeoutError>(err));
        EXPECT_TRUE(fut.done());
        EXPECT_TRUE(fut.cancelled());  // cancelled because of the timeout
        EXPECT_GE(t1 - t0, 0.01 - kClockSlack);
        EXPECT_FALSE(foo_running);
        EXPECT_EQ(asyncio::current_task().cancelling(), 0);
    }());
}

asyncio::Coro<std::string> done_now() { co_return "done"; }

// test_wait_for_blocking: timeout=None waits as long as it takes.
TEST(WaitFor, WaitForBlocking) {
    asyncio::run([]() -> asyncio::Coro<> {
        std::string res = co_await asyncio::wait_for(done_now(), std::nullopt);
        EXPECT_EQ(res, "done");
        // An empty std::optional<Delay> is None too; a slow inner is not interrupted.
        int v = co_await asyncio::wait_for(value_after(0.02, 7), std::optional<concurrence::Delay>());
        EXPECT_EQ(v, 7);
    }());
}

// test_wait_for_race_condition: the result comes before the deadline.
TEST(WaitFor, WaitForRaceCondition) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto& loop = asyncio::get_running_loop();
        auto fut = loop.create_future<std::string>();
        auto task = asyncio::wait_for(fut, 0.05);
        loop.call_later(0.001, [fut]() mutable { fut.set_result("ok"); });
        std::string res = co_await std::move(task);
        EXPECT_EQ(res, "ok");
    }());
}

asyncio::Coro<int> return_1_after_cancel(Log* log) {
    try {
        co_await asyncio::sleep(1);
        log->push_back("not cancelled");
    } catch (const asyncio::CancelledError&) {
        log->push_back("CancelledError");
    }
    co_return 1;
}

// test_wait_for_cancellation_race_condition: the inner gets CancelledError at the deadline,
// swallows it and returns: wait_for returns that value, no TimeoutError.
TEST(WaitFor, WaitForCancellationRaceCondition) {
    asyncio::run([]() -> asyncio::Coro<> {
        Log log;
        int result = co_await asyncio::wait_for(return_1_after_cancel(&log), 0.01);
        EXPECT_EQ(result, 1);
        EXPECT_THAT(log, ElementsAre("CancelledError"));
        EXPECT_EQ(asyncio::current_task().cancelling(), 0);
    }());
}

// inner() of test_wait_for_waits_for_task_cancellation: its cancellation takes a while.
asyncio::Coro<> slow_to_cancel(Log* log) {
    std::exception_ptr cancelled;
    try {
        co_await asyncio::sleep(10);
    } catch (const asyncio::CancelledError&) {
        cancelled = std::current_exception();
    }
    if (cancelled) {
        co_await asyncio::sleep(kEpsilon);
        log->push_back("inner done");  // finally: task_done = True
        std::rethrow_exception(cancelled);
    }
    log->push_back("inner done");
}

// test_wait_for_waits_for_task_cancellation: TimeoutError is raised only once the inner task
// has finished cancelling (its cleanup ran first).
TEST(WaitFor, WaitForWaitsForTaskCancellation) {
    asyncio::run([]() -> asyncio::Coro<> {
        Log log;
        auto inner_task = asyncio::create_task(slow_to_cancel(&log));
        auto err = co_await error_of(asyncio::wait_for(inner_task, kEpsilon));
        if (holds<TimeoutError>(err)) log.push_back("TimeoutError");
        EXPECT_THAT(log, ElementsAre("inner done", "TimeoutError"));
        EXPECT_TRUE(inner_task.cancelled());
    }());
}

asyncio::Coro<> wait_for_with_timeout_0(Log* log) {
    auto inner_task = asyncio::create_task(slow_to_cancel(log));
    co_await asyncio::sleep(kEpsilon);
    co_await asyncio::wait_for(inner_task, 0);
}

// test_wait_for_waits_for_task_cancellation_w_timeout_0
TEST(WaitFor, WaitForWaitsForTaskCancellationWTimeout0) {
    asyncio::run([]() -> asyncio::Coro<> {
        Log log;
        auto err = co_await error_of(wait_for_with_timeout_0(&log));
        if (holds<TimeoutError>(err)) log.push_back("TimeoutError");
        EXPECT_THAT(log, ElementsAre("inner done", "TimeoutError"));
    }());
}

asyncio::Coro<> wait_for_zero_and_log(asyncio::Task<> inner, Log* log) {
    try {
        co_await asyncio::wait_for(inner, 0);
        log->push_back("returned");
    } catch (const asyncio::CancelledError&) {
        log->push_back("caller CancelledError");
        throw;
    } catch (const TimeoutError&) {
        log->push_back("TimeoutError");
        throw;
    }
}

// No CPython test (tasks.py's _cancel_and_wait rule): with timeout <= 0, wait_for cancels the
// inner task and waits for it; cancelling the caller meanwhile stops only that wait: the
// caller gets CancelledError at once and the inner task finishes its cleanup on its own.
TEST(WaitFor, TimeoutZeroCallerCancelledWhileTheInnerIsCancelling) {
    asyncio::run([]() -> asyncio::Coro<> {
        Log log;
        auto inner = asyncio::create_task(slow_to_cancel(&log));
        co_await asyncio::sleep(0);  // inner is in its sleep(10)
        auto w = asyncio::create_task(wait_for_zero_and_log(inner, &log));
        co_await asyncio::sleep(0);  // w has cancelled inner and waits for it
        EXPECT_FALSE(inner.done());
        w.cancel();
        auto err = co_await error_of(w);
        EXPECT_TRUE(holds<asyncio::CancelledError>(err));
        EXPECT_TRUE(w.cancelled());
        co_await asyncio::TaskRef(inner.core());  // done, whatever its outcome
        EXPECT_TRUE(inner.cancelled());
        EXPECT_THAT(log, ElementsAre("caller CancelledError", "inner done"));
    }());
}

asyncio::Coro<> raise_foo_finally() {
    // try: await asyncio.sleep(0.2)  finally: raise FooException
    try {
        co_await asyncio::sleep(0.2);
    } catch (...) {
        throw FooException();
    }
    throw FooException();
}

asyncio::Coro<> reraise_foo() {
    auto inner_task = asyncio::create_task(raise_foo_finally());
    co_await asyncio::wait_for(inner_task, kEpsilon);
}

// test_wait_for_reraises_exception_during_cancellation: an exception the inner raises while
// being cancelled by the deadline propagates as it is (not TimeoutError).
TEST(WaitFor, WaitForReraisesExceptionDuringCancellation) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto err = co_await error_of(reraise_foo());
        EXPECT_TRUE(holds<FooException>(err));
        EXPECT_EQ(asyncio::current_task().cancelling(), 0);
    }());
}

asyncio::Coro<int> stubborn_42() {
    bool first = false;
    try {
        co_await asyncio::sleep(0.01);
    } catch (const asyncio::CancelledError&) {
        first = true;
    }
    if (first) {
        bool second = false;
        try {
            co_await asyncio::sleep(0.01);
        } catch (const asyncio::CancelledError&) {
            second = true;
        }
        if (second) co_await asyncio::sleep(0.01);
    }
    co_return 42;
}

// test_wait_for_self_cancellation: the wait_for itself is cancellable, even when the inner
// task would hold up a cancellation; the inner task is untouched.
TEST(WaitFor, WaitForSelfCancellation) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto inner_task = asyncio::create_task(stubborn_42());
        auto wait = asyncio::wait_for(inner_task, 0.005);
        auto task = asyncio::create_task(std::move(wait));
        task.cancel();
        auto err = co_await error_of(task);
        EXPECT_TRUE(holds<asyncio::CancelledError>(err));
        EXPECT_TRUE(task.cancelled());
        EXPECT_EQ(co_await inner_task, 42);
    }());
}

asyncio::Coro<> blocking_coroutine() {
    auto fut = asyncio::get_running_loop().create_future<void>();
    co_await fut;  // never set
}

// _test_cancel_wait_for: cancelling the wait cancels the inner task too (Python issue #23219).
void test_cancel_wait_for(std::optional<concurrence::Delay> timeout) {
    asyncio::run([](std::optional<concurrence::Delay> t) -> asyncio::Coro<> {
        auto& loop = asyncio::get_running_loop();
        auto task = asyncio::create_task(blocking_coroutine());
        auto wait = asyncio::create_task(asyncio::wait_for(task, t));
        loop.call_soon([wait]() mutable { wait.cancel(); });
        auto err = co_await error_of(wait);
        EXPECT_TRUE(holds<asyncio::CancelledError>(err));
        EXPECT_TRUE(wait.cancelled());
        EXPECT_TRUE(task.cancelled());
    }(timeout));
}

// test_cancel_blocking_wait_for
TEST(WaitFor, CancelBlockingWaitFor) { test_cancel_wait_for(std::nullopt); }

// test_cancel_wait_for
TEST(WaitFor, CancelWaitFor) { test_cancel_wait_for(concurrence::Delay(60.0)); }

asyncio::Coro<int> return_42_on_cancel() {
    try {
        co_await asyncio::sleep(10);
    } catch (const asyncio::CancelledError&) {
        co_return 42;
    }
    co_return 0;
}

// test_wait_for_cancel_suppressed (gh-84849, gh-28149): the inner suppresses the deadline's
// cancellation and returns a value: wait_for returns it.
TEST(WaitFor, WaitForCancelSuppressed) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto& loop = asyncio::get_running_loop();
        const double t0 = loop.time();
        int res = co_await asyncio::wait_for(return_42_on_cancel(), 0.01);
        EXPECT_EQ(res, 42);
        EXPECT_GE(loop.time() - t0, 0.01 - kClockSlack);
        EXPECT_EQ(asyncio::current_task().cancelling(), 0);
    }());
}

asyncio::Coro<> return_now() { co_return; }

asyncio::Coro<> wait_for_coro(bool* reached_end) {
    co_await asyncio::wait_for(return_now(), 100);
    co_await asyncio::sleep(1);
    *reached_end = true;
}

// test_wait_for_issue86296: a cancel of the task running wait_for is never lost.
TEST(WaitFor, WaitForIssue86296) {
    asyncio::run([]() -> asyncio::Coro<> {
        bool reached_end = false;
        auto task = asyncio::create_task(wait_for_coro(&reached_end));
        co_await asyncio::sleep(0);
        EXPECT_FALSE(task.done());
        task.cancel();
        auto err = co_await error_of(task);
        EXPECT_TRUE(holds<asyncio::CancelledError>(err));
        EXPECT_TRUE(task.cancelled());
        EXPECT_FALSE(reached_end);
    }());
}

// ---------------------------------------------------------------- rules of tasks.py's wait_for

// No CPython test: the plain cases, with a Coro, a Task and a chrono duration.
TEST(WaitFor, ResultBeforeTheDeadline) {
    asyncio::run([]() -> asyncio::Coro<> {
        EXPECT_EQ(co_await asyncio::wait_for(value_after(0, 3), 10), 3);
        auto t = asyncio::create_task(value_after(0.001, 4));
        EXPECT_EQ(co_await asyncio::wait_for(t, 10s), 4);
        EXPECT_EQ(asyncio::current_task().cancelling(), 0);
    }());
}

// No CPython test: a timeout given as a std::chrono duration or a std::optional<Delay>.
TEST(WaitFor, ChronoAndOptionalTimeouts) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto err = co_await error_of(asyncio::wait_for(value_after(10, 1), 10ms));
        EXPECT_TRUE(holds<TimeoutError>(err));
        err = co_await error_of(asyncio::wait_for(value_after(10, 1), std::optional<concurrence::Delay>(0.01)));
        EXPECT_TRUE(holds<TimeoutError>(err));
        EXPECT_EQ(asyncio::current_task().cancelling(), 0);
    }());
}

asyncio::Coro<int> fail_after(double delay) {
    co_await asyncio::sleep(delay);
    throw concurrence::ValueError("inner failed");
}

// No CPython test: an exception of the inner work propagates unchanged.
TEST(WaitFor, InnerExceptionPropagates) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto err = co_await error_of(asyncio::wait_for(fail_after(0.001), 10));
        EXPECT_TRUE(holds<concurrence::ValueError>(err));
        EXPECT_EQ(what_of(err), "inner failed");
        err = co_await error_of(asyncio::wait_for(fail_after(0), std::nullopt));
        EXPECT_TRUE(holds<concurrence::ValueError>(err));
        EXPECT_EQ(asyncio::current_task().cancelling(), 0);
    }());
}

// No CPython test: wait_for on a Future that never gets a result cancels the future at the
// deadline (Task.cancel cancels the future it awaits) and raises TimeoutError.
TEST(WaitFor, FutureTimesOutAndIsCancelled) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto& loop = asyncio::get_running_loop();
        auto fut = loop.create_future<int>();
        const double t0 = loop.time();
        auto err = co_await error_of(asyncio::wait_for(fut, 0.01));
        EXPECT_TRUE(holds<TimeoutError>(err));
        EXPECT_TRUE(fut.cancelled());
        EXPECT_GE(loop.time() - t0, 0.01 - kClockSlack);
        EXPECT_EQ(asyncio::current_task().cancelling(), 0);
    }());
}

// No CPython test: wait_for on a Future that gets its result in time.
TEST(WaitFor, FutureResultInTime) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto& loop = asyncio::get_running_loop();
        auto fut = loop.create_future<int>();
        loop.call_soon([fut]() mutable { fut.set_result(5); });
        EXPECT_EQ(co_await asyncio::wait_for(fut, 10), 5);
    }());
}

asyncio::Coro<int> record_cancel(Log* log) {
    try {
        co_await asyncio::sleep(10);
    } catch (const asyncio::CancelledError&) {
        log->push_back("inner cancelled");
        throw;
    }
    co_return 0;
}

// No CPython test (issue #23219's rule with a coroutine): the task running wait_for is
// cancelled while waiting: the inner work is cancelled too, and the caller sees
// CancelledError (not TimeoutError); the deadline never fires afterwards.
TEST(WaitFor, OuterCancelledWhileWaitingCancelsInner) {
    asyncio::run([]() -> asyncio::Coro<> {
        Log log;
        auto w = asyncio::create_task([](Log* l) -> asyncio::Coro<int> {
            co_return co_await asyncio::wait_for(record_cancel(l), 0.01);
        }(&log));
        co_await asyncio::sleep(0.001);
        w.cancel();
        auto err = co_await error_of(w);
        EXPECT_TRUE(holds<asyncio::CancelledError>(err));
        EXPECT_TRUE(w.cancelled());
        co_await asyncio::sleep(0.02);  // past the deadline: nothing more happens
        EXPECT_THAT(log, ElementsAre("inner cancelled"));
    }());
}

// No CPython test (the library's documented rule, and pre-3.12 CPython's wait_for, which
// returned fut.result() when `fut.done()` after the waiter timed out): the Future's result is
// set in the very loop iteration whose timers fire the deadline, just before the deadline's
// callback. wait_for returns the result instead of losing it.
//
// Construction: the loop is blocked (inside a callback) until the deadline has surely
// passed; that callback then call_soon()s set_result. In the next iteration, callbacks that
// were already queued run before the timers that became due (Python's _run_once order), so
// set_result runs first and the deadline's cancel comes right after it, in the same
// iteration, before the waiting task could resume.
//
// Note: CPython 3.12+ itself raises TimeoutError here (its Task.__step throws the pending
// cancel into `await fut` although fut has a result, and the timeout turns it into
// TimeoutError); the library keeps the result, as its header promises.
TEST(WaitFor, ResultSetInTheIterationOfTheDeadlineIsReturned) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto& loop = asyncio::get_running_loop();
        auto fut = loop.create_future<std::string>();
        auto w = asyncio::create_task(asyncio::wait_for(fut, 0.01));
        co_await asyncio::sleep(0);  // w has entered wait_for: its deadline is <= now + 0.01
        const double latest_deadline = loop.time() + 0.01;
        loop.call_soon([&loop, fut, latest_deadline]() mutable {
            block_until(loop, latest_deadline);
            loop.call_soon([fut]() mutable { fut.set_result("ok"); });
        });
        auto err = co_await error_of(w);
        EXPECT_EQ(err, nullptr);
        EXPECT_TRUE(w.done());
        EXPECT_FALSE(w.cancelled());
        if (!err && w.done()) {
            EXPECT_EQ(w.result(), "ok");
        }
        EXPECT_EQ(w.cancelling(), 0);
    }());
}

asyncio::Coro<> wait_for_and_log(asyncio::Future<int> fut, Log* log) {
    try {
        co_await asyncio::wait_for(fut, 0.01);
        log->push_back("result");
    } catch (const asyncio::CancelledError&) {
        log->push_back("CancelledError cancelling=" + std::to_string(asyncio::current_task().cancelling()));
        throw;
    } catch (const TimeoutError&) {
        log->push_back("TimeoutError");
        throw;
    }
}

// No CPython test (timeouts.py's `uncancel() <= self._cancelling` rule, through wait_for): a
// cancel from elsewhere and the deadline land in the same iteration: the caller gets
// CancelledError, not TimeoutError, and only the deadline's request is taken back.
// Construction as above: the outside cancel is call_soon()ed by a callback that blocked the
// loop past the deadline, so it runs in the iteration whose timers fire the deadline, just
// before the deadline's callback.
TEST(WaitFor, CancelFromOutsideInTheIterationOfTheDeadlineStaysCancelled) {
    asyncio::run([]() -> asyncio::Coro<> {
        auto& loop = asyncio::get_running_loop();
        Log log;
        auto fut = loop.create_future<int>();
        auto w = asyncio::create_task(wait_for_and_log(fut, &log));
        co_await asyncio::sleep(0);
        const double latest_deadline = loop.time() + 0.01;
        loop.call_soon([&loop, w, latest_deadline]() mutable {
            block_until(loop, latest_deadline);
            loop.call_soon([w]() mutable { w.cancel(); });
        });
        auto err = co_await error_of(w);
        EXPECT_TRUE(holds<asyncio::CancelledError>(err));
        EXPECT_TRUE(w.cancelled());
        EXPECT_TRUE(fut.cancelled());
        EXPECT_THAT(log, ElementsAre("CancelledError cancelling=1"));
    }());
}

}  // namespace
