// The loop's debug mode (Python's asyncio debug mode): slow callbacks and task steps reported
// through the exception handler, loop-only calls from other threads refused, never-awaited
// coroutines reported with where they are defined, and task reprs that say where a task waits.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <exception>
#include <limits>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <concurrence/asyncio.hpp>

namespace {

namespace asyncio = concurrence::asyncio;
using testing::EndsWith;
using testing::HasSubstr;
using testing::MatchesRegex;
using testing::StartsWith;

// What the loop's exception handler was given.
struct DbgReports {
    std::vector<std::string> messages;
    std::vector<std::string> futures;
};

asyncio::EventLoop::ExceptionHandler dbg_record_into(DbgReports* out) {
    return [out](asyncio::EventLoop&, const asyncio::ExceptionContext& context) {
        out->messages.push_back(context.message);
        out->futures.push_back(context.future);
    };
}

std::string dbg_all(const std::vector<std::string>& messages) {
    std::string out;
    for (const std::string& m : messages) out += "[" + m + "]\n";
    return out;
}

// Holds the loop's thread well past the thresholds the tests set (20 ms).
void dbg_block_thread() { std::this_thread::sleep_for(std::chrono::milliseconds(100)); }

// The number of "Executing <...> took X seconds" (-1 if the message is not of that shape).
double dbg_seconds_of(const std::string& message) {
    const std::string took = " took ";
    const std::string suffix = " seconds";
    const std::size_t at = message.rfind(took);
    if (at == std::string::npos || message.size() < suffix.size() ||
        message.compare(message.size() - suffix.size(), suffix.size(), suffix) != 0)
        return -1;
    const std::string number = message.substr(at + took.size(), message.size() - suffix.size() - at - took.size());
    try {
        std::size_t used = 0;
        const double value = std::stod(number, &used);
        return used == number.size() ? value : -1;
    } catch (const std::exception&) {
        return -1;
    }
}

// The line number at the end of "...:LINE" (0 if none).
unsigned dbg_trailing_line(const std::string& text) {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string::npos || colon + 1 >= text.size()) return 0;
    try {
        return static_cast<unsigned>(std::stoul(text.substr(colon + 1)));
    } catch (const std::exception&) {
        return 0;
    }
}

// The coroutine functions the reports name: directly in the anonymous namespace (which names
// leave out), with this file's prefix (the folder's files are compiled together).
// Line-sensitive: each `= __LINE__;` shares its line with the co_await it records.
// clang-format off

// The slow task: its second step, which resumes after the sleep, holds the loop 100 ms.
asyncio::Coro<> dbg_blocker(unsigned* await_line) {
    *await_line = __LINE__; co_await asyncio::sleep(0);
    dbg_block_thread();
}

// Three steps: the first, and one after each yield.
constexpr unsigned dbg_stepper_signature = __LINE__ + 1;
asyncio::Coro<> dbg_stepper(unsigned* first_yield, unsigned* second_yield) {
    *first_yield = __LINE__; co_await asyncio::sleep(0);
    *second_yield = __LINE__; co_await asyncio::sleep(0);
}
constexpr unsigned dbg_stepper_end = __LINE__ - 1;

// Where a coroutine is "defined" (the promise's __builtin_LINE()): somewhere from its
// signature to its closing brace. g++ 12 gives the closing brace's line; Python would give the
// `def` line.
constexpr unsigned dbg_forgotten_signature = __LINE__ + 1;
asyncio::Coro<int> dbg_forgotten() {
    co_return 1;
}
constexpr unsigned dbg_forgotten_end = __LINE__ - 1;

constexpr unsigned dbg_waiter_signature = __LINE__ + 1;
asyncio::Coro<> dbg_waiter(asyncio::Event* event, unsigned* await_line) {
    *await_line = __LINE__; co_await event->wait();
}
constexpr unsigned dbg_waiter_end = __LINE__ - 1;

constexpr unsigned dbg_failer_signature = __LINE__ + 1;
asyncio::Coro<> dbg_failer() {
    co_await asyncio::sleep(0);
    throw concurrence::ValueError("boom");
}
constexpr unsigned dbg_failer_end = __LINE__ - 1;

// An inline chain: dbg_root() awaits dbg_middle() in its own task; dbg_middle() waits on the event.
asyncio::Coro<int> dbg_middle(asyncio::Event* event) {
    co_await event->wait();
    co_return 5;
}

asyncio::Coro<int> dbg_root(asyncio::Event* event, unsigned* await_line) {
    *await_line = __LINE__; const int v = co_await dbg_middle(event);
    co_return v;
}

asyncio::Coro<> dbg_noop() { co_return; }
// clang-format on

// ---------------------------------------------------------------- slow callbacks and steps

// Runs `main` in a debug-mode Runner whose slow-callback threshold is `threshold` seconds:
// what its exception handler received.
template <class T>
DbgReports dbg_run_in_debug(asyncio::Coro<T> main, double threshold) {
    DbgReports reports;
    asyncio::Runner runner(asyncio::RunOptions{.debug = true});
    asyncio::EventLoop& loop = runner.get_loop();
    loop.set_slow_callback_duration(threshold);
    loop.set_exception_handler(dbg_record_into(&reports));
    runner.run(std::move(main));
    return reports;
}

asyncio::Coro<> dbg_run_slowpoke(unsigned* await_line) {
    asyncio::Task<void> t = asyncio::create_task(dbg_blocker(await_line), "slowpoke");
    co_await t;
}

TEST(DebugModeSlowCallbacks, SlowTaskStepIsReportedWhereTheTaskResumed) {
    unsigned line = 0;
    const DbgReports reports = dbg_run_in_debug(dbg_run_slowpoke(&line), 0.02);
    ASSERT_NE(line, 0u);
    // Described as it was before the step: where it resumed (the sleep), not where it ended.
    const std::string head = "Executing <Task pending name='slowpoke' coro=<dbg_blocker() running at ";
    const std::string where = std::string("test_debug_mode.cpp:") + std::to_string(line) + ">>";
    std::vector<std::string> matching;
    for (const std::string& m : reports.messages)
        if (m.rfind(head, 0) == 0 && m.find(where) != std::string::npos) matching.push_back(m);
    ASSERT_EQ(matching.size(), 1u) << dbg_all(reports.messages);
    const std::string& m = matching[0];
    EXPECT_THAT(m, StartsWith(head + __FILE__ + ":" + std::to_string(line) + ">> took "));
    EXPECT_THAT(m, EndsWith(" seconds"));
    EXPECT_GE(dbg_seconds_of(m), 0.02) << m;
}

asyncio::Coro<> dbg_schedule_slow_callback(bool* ran) {
    asyncio::Handle h = asyncio::get_running_loop().call_soon([ran] {
        dbg_block_thread();
        *ran = true;
    });
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
}

TEST(DebugModeSlowCallbacks, SlowCallbackIsReportedAsAHandle) {
    bool ran = false;
    const DbgReports reports = dbg_run_in_debug(dbg_schedule_slow_callback(&ran), 0.02);
    EXPECT_TRUE(ran);
    // The callback's type names it: "<Handle ...dbg_schedule_slow_callback(bool*)::{lambda()#1}>"
    // with g++, "...dbg_schedule_slow_callback(bool*)::$_2" with clang.
    std::vector<std::string> handles;
    for (const std::string& m : reports.messages)
        if (m.rfind("Executing <Handle ", 0) == 0 && m.find("dbg_schedule_slow_callback") != std::string::npos)
            handles.push_back(m);
    ASSERT_EQ(handles.size(), 1u) << dbg_all(reports.messages);
    EXPECT_THAT(handles[0], HasSubstr("> took "));
    EXPECT_THAT(handles[0], EndsWith(" seconds"));
    EXPECT_GE(dbg_seconds_of(handles[0]), 0.02) << handles[0];
}

TEST(DebugModeSlowCallbacks, NothingIsReportedWithDebugOff) {
    DbgReports reports;
    unsigned line = 0;
    bool ran = false;
    {
        asyncio::Runner runner(asyncio::RunOptions{.debug = false});
        asyncio::EventLoop& loop = runner.get_loop();
        EXPECT_FALSE(loop.get_debug());
        loop.set_slow_callback_duration(0.02);
        loop.set_exception_handler(dbg_record_into(&reports));
        runner.run(dbg_run_slowpoke(&line));
        runner.run(dbg_schedule_slow_callback(&ran));
    }
    EXPECT_TRUE(ran);
    EXPECT_TRUE(reports.messages.empty()) << dbg_all(reports.messages);
}

asyncio::Coro<> dbg_fast_steps(int* callbacks) {
    asyncio::EventLoop& loop = asyncio::get_running_loop();
    for (int i = 0; i < 5; ++i) {
        asyncio::Handle h = loop.call_soon([callbacks] { ++*callbacks; });
        asyncio::Task<void> t = asyncio::create_task(dbg_noop());
        co_await asyncio::sleep(0);
        co_await t;
    }
}

TEST(DebugModeSlowCallbacks, FastStepsAreNotReportedUnderALargeThreshold) {
    int callbacks = 0;
    const DbgReports reports = dbg_run_in_debug(dbg_fast_steps(&callbacks), 10);
    EXPECT_EQ(callbacks, 5);
    EXPECT_TRUE(reports.messages.empty()) << dbg_all(reports.messages);
}

asyncio::Coro<> dbg_run_stepper(unsigned* first_yield, unsigned* second_yield) {
    asyncio::Task<void> t = asyncio::create_task(dbg_stepper(first_yield, second_yield), "stepper");
    co_await t;
}

// With a threshold of 0 every step is reported, each described where that step began.
TEST(DebugModeSlowCallbacks, ZeroThresholdReportsEveryStepWhereItBegan) {
    unsigned first_yield = 0;
    unsigned second_yield = 0;
    const DbgReports reports = dbg_run_in_debug(dbg_run_stepper(&first_yield, &second_yield), 0);
    const std::string head = "Executing <Task pending name='stepper' coro=<dbg_stepper() running at ";
    std::vector<unsigned> lines;
    for (const std::string& m : reports.messages) {
        if (m.rfind(head, 0) != 0) continue;
        EXPECT_GE(dbg_seconds_of(m), 0.0) << m;
        const std::size_t end = m.find(">> took ");
        ASSERT_NE(end, std::string::npos) << m;
        lines.push_back(dbg_trailing_line(m.substr(0, end)));
    }
    ASSERT_EQ(lines.size(), 3u) << dbg_all(reports.messages);
    // The first step: not started yet, "running at" its definition.
    EXPECT_GE(lines[0], dbg_stepper_signature);
    EXPECT_LE(lines[0], dbg_stepper_end);
    EXPECT_EQ(lines[1], first_yield);
    EXPECT_EQ(lines[2], second_yield);
}

// ---------------------------------------------------------------- slow_callback_duration

TEST(DebugModeSlowCallbackDuration, DefaultIsATenthOfASecond) {
    asyncio::EventLoop loop;
    EXPECT_DOUBLE_EQ(loop.slow_callback_duration(), 0.1);
    loop.close();
}

TEST(DebugModeSlowCallbackDuration, AcceptsSecondsAndChronoDurations) {
    asyncio::EventLoop loop;
    loop.set_slow_callback_duration(0.25);
    EXPECT_DOUBLE_EQ(loop.slow_callback_duration(), 0.25);
    loop.set_slow_callback_duration(2);
    EXPECT_DOUBLE_EQ(loop.slow_callback_duration(), 2.0);
    loop.set_slow_callback_duration(std::chrono::milliseconds(30));
    EXPECT_DOUBLE_EQ(loop.slow_callback_duration(), 0.03);
    loop.set_slow_callback_duration(std::chrono::microseconds(1500));
    EXPECT_DOUBLE_EQ(loop.slow_callback_duration(), 0.0015);
    loop.set_slow_callback_duration(std::chrono::seconds(3));
    EXPECT_DOUBLE_EQ(loop.slow_callback_duration(), 3.0);
    loop.close();
}

TEST(DebugModeSlowCallbackDuration, NaNIsRejectedAndTheValueKept) {
    asyncio::EventLoop loop;
    loop.set_slow_callback_duration(0.5);
    EXPECT_THAT([&] { loop.set_slow_callback_duration(std::numeric_limits<double>::quiet_NaN()); },
                testing::ThrowsMessage<concurrence::ValueError>(testing::StrEq("Invalid value NaN (not a number)")));
    EXPECT_DOUBLE_EQ(loop.slow_callback_duration(), 0.5);
    loop.close();
}

TEST(DebugModeSlowCallbackDuration, NegativeClampsToZero) {
    asyncio::EventLoop loop;
    loop.set_slow_callback_duration(-1);
    EXPECT_EQ(loop.slow_callback_duration(), 0.0);
    loop.set_slow_callback_duration(0.5);
    loop.set_slow_callback_duration(std::chrono::milliseconds(-5));
    EXPECT_EQ(loop.slow_callback_duration(), 0.0);
    loop.set_slow_callback_duration(-std::numeric_limits<double>::infinity());
    EXPECT_EQ(loop.slow_callback_duration(), 0.0);
    loop.close();
}

TEST(DebugModeSwitch, SetDebugAndRunOptions) {
    asyncio::EventLoop loop;
    loop.set_debug(true);
    EXPECT_TRUE(loop.get_debug());
    loop.set_debug(false);
    EXPECT_FALSE(loop.get_debug());
    loop.close();
    asyncio::Runner on(asyncio::RunOptions{.debug = true});
    EXPECT_TRUE(on.get_loop().get_debug());
    asyncio::Runner off(asyncio::RunOptions{.debug = false});
    EXPECT_FALSE(off.get_loop().get_debug());
}

// ---------------------------------------------------------------- calls from other threads

constexpr const char* dbg_wrong_thread =
    "Non-thread-safe operation invoked on an event loop other than the current one";

struct DbgThreadAttempt {
    std::string call_soon_error;
    std::string call_later_error;
    std::string call_at_error;
    bool threadsafe_posted = false;
};

template <class F>
std::string dbg_runtime_error_of(F f) {
    try {
        f();
    } catch (const concurrence::RuntimeError& e) {
        return e.what();
    } catch (const std::exception& e) {
        return std::string("other exception: ") + e.what();
    }
    return "no exception";
}

void dbg_try_loop_calls(asyncio::EventLoop* loop, asyncio::Event* finished, DbgThreadAttempt* out) {
    out->call_soon_error = dbg_runtime_error_of([loop] { asyncio::Handle h = loop->call_soon([] {}); });
    out->call_later_error = dbg_runtime_error_of([loop] { asyncio::TimerHandle h = loop->call_later(0.01, [] {}); });
    out->call_at_error = dbg_runtime_error_of([loop] { asyncio::TimerHandle h = loop->call_at(0.0, [] {}); });
    asyncio::Handle h = loop->call_soon_threadsafe([finished] { finished->set(); });
    out->threadsafe_posted = true;
}

asyncio::Coro<> dbg_calls_from_another_thread(DbgThreadAttempt* out) {
    asyncio::Event finished;
    std::thread other(dbg_try_loop_calls, &asyncio::get_running_loop(), &finished, out);
    co_await finished.wait();  // set by the thread's call_soon_threadsafe
    other.join();
}

TEST(DebugModeThreadCheck, LoopOnlyCallsFromAnotherThreadThrow) {
    DbgThreadAttempt attempt;
    asyncio::run(dbg_calls_from_another_thread(&attempt), asyncio::RunOptions{.debug = true});
    EXPECT_TRUE(attempt.threadsafe_posted);
    EXPECT_EQ(attempt.call_soon_error, dbg_wrong_thread);
    EXPECT_EQ(attempt.call_later_error, dbg_wrong_thread);
    EXPECT_EQ(attempt.call_at_error, dbg_wrong_thread);
}

struct DbgOwnThread {
    int ran = 0;
    std::string error;
};

asyncio::Coro<> dbg_calls_from_the_loop_thread(DbgOwnThread* out) {
    asyncio::EventLoop& loop = asyncio::get_running_loop();
    out->error = dbg_runtime_error_of([&loop, out] {
        asyncio::Handle a = loop.call_soon([out] { ++out->ran; });
        asyncio::TimerHandle b = loop.call_later(0.001, [out] { ++out->ran; });
        asyncio::TimerHandle c = loop.call_at(loop.time(), [out] { ++out->ran; });
    });
    for (int i = 0; i < 1000 && out->ran < 3; ++i) co_await asyncio::sleep(0.005);
}

TEST(DebugModeThreadCheck, LoopOnlyCallsFromTheLoopThreadWork) {
    DbgOwnThread result;
    asyncio::run(dbg_calls_from_the_loop_thread(&result), asyncio::RunOptions{.debug = true});
    EXPECT_EQ(result.error, "no exception");
    EXPECT_EQ(result.ran, 3);
}

// Python's _check_thread passes while the loop does not run (_thread_id is None).
TEST(DebugModeThreadCheck, CallsFromAnotherThreadWhileTheLoopIsStoppedWork) {
    asyncio::EventLoop loop;
    loop.set_debug(true);
    int ran = 0;
    std::string error;
    std::thread other(
        [&] { error = dbg_runtime_error_of([&] { asyncio::Handle h = loop.call_soon([&ran] { ++ran; }); }); });
    other.join();
    EXPECT_EQ(error, "no exception");
    asyncio::Handle stop = loop.call_soon([&loop] { loop.stop(); });
    loop.run_forever();
    EXPECT_EQ(ran, 1);
    loop.close();
}

// Python's create_task (its call_soon of the first step) is refused too. DISABLED: the
// library's EventLoop::create_task (include/concurrence/task/task.hpp) does not check the
// thread, although event_loop.hpp's debug-mode comment says it does. The loop thread is
// blocked in join() meanwhile, so the unchecked call does not race.
struct DbgCreateTaskAttempt {
    std::string error;
    asyncio::Task<void> created;
};

void dbg_try_create_task(asyncio::EventLoop* loop, DbgCreateTaskAttempt* out) {
    try {
        out->created = loop->create_task(dbg_noop());
        out->error = "no exception";
    } catch (const concurrence::RuntimeError& e) {
        out->error = e.what();
    }
}

asyncio::Coro<> dbg_create_task_from_another_thread(DbgCreateTaskAttempt* out) {
    std::thread other(dbg_try_create_task, &asyncio::get_running_loop(), out);
    other.join();  // blocks the loop: nothing runs on it meanwhile
    if (out->created.core()) co_await out->created;
}

TEST(DebugModeThreadCheck, CreateTaskFromAnotherThreadThrows) {
    DbgCreateTaskAttempt attempt;
    asyncio::run(dbg_create_task_from_another_thread(&attempt), asyncio::RunOptions{.debug = true});
    EXPECT_EQ(attempt.error, dbg_wrong_thread);
}

// ---------------------------------------------------------------- never-awaited coroutines

asyncio::Coro<> dbg_forget_a_coroutine() {
    {
        auto c = dbg_forgotten();
        (void)c;
    }
    co_return;
}

TEST(DebugModeNeverAwaited, ReportedWithWhereTheCoroutineIsDefined) {
    DbgReports reports;
    {
        asyncio::Runner runner(asyncio::RunOptions{.debug = true});
        runner.get_loop().set_exception_handler(dbg_record_into(&reports));
        runner.run(dbg_forget_a_coroutine());
    }
    ASSERT_EQ(reports.messages.size(), 1u) << dbg_all(reports.messages);
    const std::string& m = reports.messages[0];
    EXPECT_THAT(m, StartsWith("coroutine 'dbg_forgotten' was never awaited\nCoroutine defined at "));
    EXPECT_THAT(m, HasSubstr(std::string("\nCoroutine defined at ") + __FILE__ + ":"));
    EXPECT_THAT(m, HasSubstr("test_debug_mode.cpp:"));
    const unsigned line = dbg_trailing_line(m);
    EXPECT_GE(line, dbg_forgotten_signature) << m;
    EXPECT_LE(line, dbg_forgotten_end) << m;
    EXPECT_TRUE(reports.futures[0].empty());
}

TEST(DebugModeNeverAwaited, SilentWithDebugOffInReleaseBuilds) {
    if (asyncio::detail::debug_build) GTEST_SKIP() << "debug builds always report";
    DbgReports reports;
    {
        asyncio::Runner runner(asyncio::RunOptions{.debug = false});
        runner.get_loop().set_exception_handler(dbg_record_into(&reports));
        runner.run(dbg_forget_a_coroutine());
    }
    EXPECT_TRUE(reports.messages.empty()) << dbg_all(reports.messages);
}

asyncio::Coro<> dbg_close_a_coroutine() {
    auto c = dbg_forgotten();
    c.close();
    EXPECT_FALSE(static_cast<bool>(c));
    co_return;
}

TEST(DebugModeNeverAwaited, ClosedCoroutineIsNotReported) {
    DbgReports reports;
    {
        asyncio::Runner runner(asyncio::RunOptions{.debug = true});
        runner.get_loop().set_exception_handler(dbg_record_into(&reports));
        runner.run(dbg_close_a_coroutine());
    }
    EXPECT_TRUE(reports.messages.empty()) << dbg_all(reports.messages);
}

// ---------------------------------------------------------------- task reprs

struct DbgReprs {
    std::string name;
    unsigned await_line = 0;
    std::string before_start;
    std::string pending;
    std::string finished;
};

asyncio::Coro<> dbg_repr_of_a_waiter(DbgReprs* out) {
    asyncio::Event event;
    asyncio::Task<void> t = asyncio::create_task(dbg_waiter(&event, &out->await_line));
    out->name = t.get_name();
    out->before_start = t.core()->repr();
    co_await asyncio::sleep(0);
    out->pending = t.core()->repr();
    event.set();
    co_await t;
    out->finished = t.core()->repr();
}

TEST(DebugModeTaskRepr, PendingTaskShowsWhereItIsSuspended) {
    DbgReprs r;
    asyncio::run(dbg_repr_of_a_waiter(&r));
    ASSERT_THAT(r.name, MatchesRegex("Task-[0-9]+"));
    ASSERT_NE(r.await_line, 0u);
    EXPECT_EQ(r.pending, "<Task pending name='" + r.name + "' coro=<dbg_waiter() running at " + __FILE__ + ":" +
                             std::to_string(r.await_line) + ">>");
}

TEST(DebugModeTaskRepr, TaskNotStartedYetShowsItsDefinition) {
    DbgReprs r;
    asyncio::run(dbg_repr_of_a_waiter(&r));
    const std::string head = "<Task pending name='" + r.name + "' coro=<dbg_waiter() running at " + __FILE__ + ":";
    ASSERT_THAT(r.before_start, StartsWith(head));
    ASSERT_THAT(r.before_start, EndsWith(">>"));
    const unsigned line = dbg_trailing_line(r.before_start.substr(0, r.before_start.size() - 2));
    EXPECT_GE(line, dbg_waiter_signature) << r.before_start;
    EXPECT_LE(line, dbg_waiter_end) << r.before_start;
}

TEST(DebugModeTaskRepr, FinishedTaskShowsItsDefinition) {
    DbgReprs r;
    asyncio::run(dbg_repr_of_a_waiter(&r));
    const std::string head =
        "<Task finished name='" + r.name + "' coro=<dbg_waiter() done, defined at " + __FILE__ + ":";
    ASSERT_THAT(r.finished, StartsWith(head));
    ASSERT_THAT(r.finished, EndsWith(">>"));
    const unsigned line = dbg_trailing_line(r.finished.substr(0, r.finished.size() - 2));
    EXPECT_GE(line, dbg_waiter_signature) << r.finished;
    EXPECT_LE(line, dbg_waiter_end) << r.finished;
}

struct DbgFailedRepr {
    std::string repr;
    bool failed_with_value_error = false;
};

asyncio::Coro<> dbg_repr_of_a_failed_task(DbgFailedRepr* out) {
    asyncio::Task<void> t = asyncio::create_task(dbg_failer(), "failing");
    for (int i = 0; i < 10 && !t.done(); ++i) co_await asyncio::sleep(0);
    out->repr = t.core()->repr();
    // Retrieved: no "Task exception was never retrieved" report.
    try {
        std::rethrow_exception(t.exception());
    } catch (const concurrence::ValueError&) {
        out->failed_with_value_error = true;
    } catch (...) {
    }
}

TEST(DebugModeTaskRepr, FailedTaskKeepsItsExceptionAfterTheCoroutine) {
    DbgFailedRepr r;
    asyncio::run(dbg_repr_of_a_failed_task(&r));
    EXPECT_TRUE(r.failed_with_value_error);
    const std::string head =
        std::string("<Task finished name='failing' coro=<dbg_failer() done, defined at ") + __FILE__ + ":";
    ASSERT_THAT(r.repr, StartsWith(head));
    const std::string tail = "> exception=ValueError('boom')>";
    ASSERT_THAT(r.repr, EndsWith(tail));
    const unsigned line = dbg_trailing_line(r.repr.substr(0, r.repr.size() - tail.size()));
    EXPECT_GE(line, dbg_failer_signature) << r.repr;
    EXPECT_LE(line, dbg_failer_end) << r.repr;
}

asyncio::Coro<> dbg_repr_of_a_cancelled_task(std::string* out) {
    asyncio::Event event;
    unsigned line = 0;
    asyncio::Task<void> t = asyncio::create_task(dbg_waiter(&event, &line), "cancelled-one");
    co_await asyncio::sleep(0);
    t.cancel();
    for (int i = 0; i < 10 && !t.done(); ++i) co_await asyncio::sleep(0);
    *out = t.core()->repr();
}

TEST(DebugModeTaskRepr, CancelledTaskShowsItsDefinition) {
    std::string repr;
    asyncio::run(dbg_repr_of_a_cancelled_task(&repr));
    EXPECT_THAT(repr,
                StartsWith(std::string("<Task cancelled name='cancelled-one' coro=<dbg_waiter() done, defined at ") +
                           __FILE__ + ":"));
    EXPECT_THAT(repr, EndsWith(">>"));
    EXPECT_THAT(repr, testing::Not(HasSubstr("exception=")));
}

struct DbgChainRepr {
    unsigned root_line = 0;
    std::string pending;
    int result = 0;
};

asyncio::Coro<> dbg_repr_of_an_inline_chain(DbgChainRepr* out) {
    asyncio::Event event;
    asyncio::Task<int> t = asyncio::create_task(dbg_root(&event, &out->root_line), "chain");
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    out->pending = t.core()->repr();
    event.set();
    out->result = co_await t;
}

TEST(DebugModeTaskRepr, InlineChainNamesTheRootCoroutineAndItsAwait) {
    DbgChainRepr r;
    asyncio::run(dbg_repr_of_an_inline_chain(&r));
    EXPECT_EQ(r.result, 5);
    ASSERT_NE(r.root_line, 0u);
    EXPECT_EQ(r.pending, std::string("<Task pending name='chain' coro=<dbg_root() running at ") + __FILE__ + ":" +
                             std::to_string(r.root_line) + ">>");
    EXPECT_THAT(r.pending, testing::Not(HasSubstr("dbg_middle")));
}

// A slow step inside an inline chain is reported under the task's root coroutine too.
asyncio::Coro<> dbg_slow_inner() {
    co_await asyncio::sleep(0);
    dbg_block_thread();
}

// clang-format off
asyncio::Coro<> dbg_slow_outer(unsigned* await_line) {
    *await_line = __LINE__; co_await dbg_slow_inner();
}
// clang-format on

asyncio::Coro<> dbg_run_slow_chain(unsigned* await_line) {
    asyncio::Task<void> t = asyncio::create_task(dbg_slow_outer(await_line), "slow-chain");
    co_await t;
}

TEST(DebugModeSlowCallbacks, SlowStepInAnInlineChainNamesTheRootCoroutine) {
    unsigned line = 0;
    const DbgReports reports = dbg_run_in_debug(dbg_run_slow_chain(&line), 0.02);
    const std::string expected_head =
        std::string("Executing <Task pending name='slow-chain' coro=<dbg_slow_outer() running at ") + __FILE__ + ":" +
        std::to_string(line) + ">> took ";
    int found = 0;
    for (const std::string& m : reports.messages)
        if (m.rfind(expected_head, 0) == 0) {
            ++found;
            EXPECT_GE(dbg_seconds_of(m), 0.02) << m;
        }
    EXPECT_EQ(found, 1) << dbg_all(reports.messages);
}

}  // namespace

// ---------------------------------------------------------------- where tasks were created

namespace {

asyncio::Coro<> dbg_pending_forever(asyncio::Future<int> fut) { co_await fut; }

asyncio::Coro<> dbg_fails_soon() {
    co_await asyncio::sleep(0);
    throw concurrence::ValueError("lost");
}

asyncio::Coro<> dbg_run_two_steps() {
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
}

std::string dbg_here(unsigned line) { return std::string(__FILE__) + ":" + std::to_string(line); }

TEST(DebugModeCreationSite, APendingTaskDestroyedWithTheLoopSaysWhereItWasCreated) {
    DbgReports reports;
    unsigned line = 0;
    {
        asyncio::EventLoop loop;
        loop.set_debug(true);
        loop.set_exception_handler(dbg_record_into(&reports));
        auto fut = loop.create_future<int>();
        // clang-format off
        line = __LINE__; (void)loop.create_task(dbg_pending_forever(fut), "stuck");
        // clang-format on
        loop.run_until_complete(dbg_run_two_steps());
        loop.close();
    }
    ASSERT_EQ(reports.messages.size(), 1u) << dbg_all(reports.messages);
    EXPECT_EQ(reports.messages[0], "Task was destroyed but it is pending!\nTask created at " + dbg_here(line));
    EXPECT_THAT(reports.futures[0], StartsWith("<Task pending name='stuck' coro=<dbg_pending_forever() running at "));
}

TEST(DebugModeCreationSite, NotRecordedWithDebugOff) {
    DbgReports reports;
    {
        asyncio::EventLoop loop;
        loop.set_debug(false);
        loop.set_exception_handler(dbg_record_into(&reports));
        auto fut = loop.create_future<int>();
        (void)loop.create_task(dbg_pending_forever(fut), "stuck");
        loop.run_until_complete(dbg_run_two_steps());
        loop.close();
    }
    ASSERT_EQ(reports.messages.size(), 1u) << dbg_all(reports.messages);
    EXPECT_EQ(reports.messages[0], "Task was destroyed but it is pending!");
}

struct DbgFailedTaskLine {
    unsigned line = 0;
};

asyncio::Coro<> dbg_drop_a_failing_task(DbgFailedTaskLine* out) {
    // clang-format off
    out->line = __LINE__; { auto t = asyncio::create_task(dbg_fails_soon()); (void)t; }
    // clang-format on
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
}

TEST(DebugModeCreationSite, AnExceptionNeverRetrievedSaysWhereTheTaskWasCreated) {
    DbgReports reports;
    DbgFailedTaskLine created;
    {
        asyncio::Runner runner(asyncio::RunOptions{.debug = true});
        runner.get_loop().set_exception_handler(dbg_record_into(&reports));
        runner.run(dbg_drop_a_failing_task(&created));
    }
    ASSERT_EQ(reports.messages.size(), 1u) << dbg_all(reports.messages);
    EXPECT_EQ(reports.messages[0], "Task exception was never retrieved\nTask created at " + dbg_here(created.line));
}

}  // namespace
