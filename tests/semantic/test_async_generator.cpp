// asyncio::AsyncGenerator: Python's async generators (PEP 525) and `async for`, with the
// cases of CPython's Lib/test/test_asyncgen.py that have a C++ meaning: iteration, asend,
// athrow, aclose, "already running", cancellation, the finalizer and loop.shutdown_asyncgens().
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "semantic/support.hpp"

namespace {

namespace asyncio = concurrence::asyncio;
using concurrence::GeneratorExit;
using concurrence::RuntimeError;
using concurrence::StopAsyncIteration;
using concurrence::TypeError;
using concurrence::ValueError;
using semantic::Counted;
using semantic::Log;
using semantic::what_of;
using testing::ElementsAre;
using testing::HasSubstr;
using testing::StartsWith;

// ---------------------------------------------------------------- iteration

asyncio::AsyncGenerator<int> ag_count(int n, Log* log) {
    log->push_back("start");
    for (int i = 0; i < n; ++i) {
        co_yield i;
        co_await asyncio::sleep(0);
    }
    log->push_back("end");
}

asyncio::Coro<std::vector<int>> ag_collect(int n, Log* log) {
    std::vector<int> out;
    auto gen = ag_count(n, log);
    log->push_back("created");
    while (auto v = co_await gen.next()) out.push_back(*v);
    // Exhausted: stays exhausted.
    std::optional<int> again = co_await gen.next();
    if (again) out.push_back(-1);
    co_return out;
}

TEST(AsyncGenerator, AsyncForYieldsEveryValueInOrderThenEnds) {
    Log log;
    EXPECT_THAT(asyncio::run(ag_collect(4, &log)), ElementsAre(0, 1, 2, 3));
    // Lazy, as Python's: the body starts with the first step, not when the generator is made.
    EXPECT_THAT(log, ElementsAre("created", "start", "end"));
}

asyncio::Coro<std::string> ag_anext_to_the_end() {
    Log log;
    auto gen = ag_count(2, &log);
    std::string out;
    out += std::to_string(co_await gen.anext());
    out += std::to_string(co_await asyncio::anext(gen));
    try {
        co_await gen.anext();
        out += "no StopAsyncIteration";
    } catch (const StopAsyncIteration&) {
        out += " stop";
    }
    out += " " + std::to_string(co_await asyncio::anext(gen, 99));
    co_return out;
}

TEST(AsyncGenerator, AnextRaisesStopAsyncIterationAndTakesADefault) {
    EXPECT_EQ(asyncio::run(ag_anext_to_the_end()), "01 stop 99");
}

asyncio::AsyncGenerator<std::unique_ptr<int>> ag_boxes(int n) {
    for (int i = 0; i < n; ++i) co_yield std::make_unique<int>(i * 10);
}

asyncio::Coro<int> ag_sum_boxes() {
    int sum = 0;
    auto gen = ag_boxes(3);
    while (auto box = co_await gen.next()) sum += **box;
    co_return sum;
}

TEST(AsyncGenerator, YieldsMoveOnlyValues) { EXPECT_EQ(asyncio::run(ag_sum_boxes()), 30); }

asyncio::AsyncGenerator<long> ag_many(long n) {
    for (long i = 0; i < n; ++i) co_yield i;
}

asyncio::Coro<long> ag_sum_many(long n) {
    long sum = 0;
    auto gen = ag_many(n);
    while (auto v = co_await gen.next()) sum += *v;
    co_return sum;
}

TEST(AsyncGenerator, ManyYieldsWithoutAwaitsDoNotGrowTheStack) {
    constexpr long n = 200'000;
    EXPECT_EQ(asyncio::run(ag_sum_many(n)), n * (n - 1) / 2);
}

asyncio::Coro<int> ag_inner_value(int v) {
    co_await asyncio::sleep(0);
    co_return v * 2;
}

asyncio::AsyncGenerator<int> ag_awaits_coroutines(int n) {
    for (int i = 0; i < n; ++i) co_yield co_await ag_inner_value(i);
}

asyncio::Coro<std::vector<int>> ag_two_interleaved() {
    std::vector<int> out;
    auto a = ag_awaits_coroutines(3);
    auto b = ag_awaits_coroutines(3);
    for (;;) {
        std::optional<int> x = co_await a.next();
        std::optional<int> y = co_await b.next();
        if (!x || !y) break;
        out.push_back(*x);
        out.push_back(*y + 100);
    }
    co_return out;
}

TEST(AsyncGenerator, TwoGeneratorsInterleaveInOneTask) {
    EXPECT_THAT(asyncio::run(ag_two_interleaved()), ElementsAre(0, 100, 2, 102, 4, 104));
}

asyncio::Coro<int> ag_take_two(asyncio::AsyncGenerator<int>* gen) {
    int sum = 0;
    for (int i = 0; i < 2; ++i)
        if (auto v = co_await gen->next()) sum += *v;
    co_return sum;
}

asyncio::Coro<std::vector<int>> ag_shared_by_tasks() {
    auto gen = ag_awaits_coroutines(4);  // 0 2 4 6
    auto first = asyncio::create_task(ag_take_two(&gen));
    const int a = co_await first;
    auto second = asyncio::create_task(ag_take_two(&gen));
    const int b = co_await second;
    co_return std::vector<int>{a, b};
}

TEST(AsyncGenerator, TasksCanTakeTurnsOnOneGenerator) {
    EXPECT_THAT(asyncio::run(ag_shared_by_tasks()), ElementsAre(2, 10));
}

// ---------------------------------------------------------------- errors from the body

asyncio::AsyncGenerator<int> ag_fails_after(int n) {
    for (int i = 0; i < n; ++i) co_yield i;
    co_await asyncio::sleep(0);
    throw ValueError("boom");
}

asyncio::Coro<std::string> ag_catch_body_error() {
    auto gen = ag_fails_after(1);
    std::string out;
    try {
        while (auto v = co_await gen.next()) out += std::to_string(*v);
    } catch (const ValueError& e) {
        out += std::string(" ") + e.what();
    }
    // Delivered once; the generator is over.
    out += (co_await gen.next()) ? " more" : " over";
    co_return out;
}

TEST(AsyncGenerator, ABodyExceptionReachesTheConsumerOnceThenItIsOver) {
    EXPECT_EQ(asyncio::run(ag_catch_body_error()), "0 boom over");
}

asyncio::AsyncGenerator<int> ag_raises_stop() {
    co_yield 1;
    throw StopAsyncIteration();
}

asyncio::Coro<std::string> ag_stop_inside() {
    auto gen = ag_raises_stop();
    std::string out;
    try {
        while (auto v = co_await gen.next()) out += std::to_string(*v);
        out += " ended quietly";
    } catch (const RuntimeError& e) {
        out += std::string(" ") + e.what();
    }
    co_return out;
}

TEST(AsyncGenerator, StopAsyncIterationFromTheBodyBecomesRuntimeError) {
    // PEP 479 for async generators: it would otherwise end the consumer's loop silently.
    EXPECT_EQ(asyncio::run(ag_stop_inside()), "1 async generator raised StopAsyncIteration");
}

// ---------------------------------------------------------------- asend

asyncio::AsyncGenerator<std::string, int> ag_echo(Log* log) {
    for (int i = 0; i < 3; ++i) {
        std::optional<int> got = co_yield "y" + std::to_string(i);
        log->push_back(got ? "got " + std::to_string(*got) : "got none");
    }
}

asyncio::Coro<std::string> ag_send_values(Log* log) {
    auto gen = ag_echo(log);
    std::string out;
    try {
        co_await gen.asend(5);
        out += "sent to a fresh generator";
    } catch (const TypeError& e) {
        out += e.what();
    }
    out += " " + co_await gen.anext();  // y0
    out += " " + co_await gen.asend(7);  // got 7, y1
    out += " " + *co_await gen.next();   // got none, y2
    try {
        co_await gen.asend(8);  // got 8, then the end
    } catch (const StopAsyncIteration&) {
        out += " stop";
    }
    co_return out;
}

TEST(AsyncGenerator, AsendIsTheValueOfCoYield) {
    Log log;
    EXPECT_EQ(asyncio::run(ag_send_values(&log)),
              "can't send non-None value to a just-started async generator y0 y1 y2 stop");
    EXPECT_THAT(log, ElementsAre("got 7", "got none", "got 8"));
}

// ---------------------------------------------------------------- athrow

asyncio::AsyncGenerator<int> ag_recovers(Log* log) {
    try {
        co_yield 1;
    } catch (const ValueError& e) {
        log->push_back(std::string("caught ") + e.what());
    }
    co_yield 2;
    log->push_back("after 2");
}

asyncio::Coro<std::string> ag_throw_in(Log* log) {
    auto gen = ag_recovers(log);
    std::string out = std::to_string(co_await gen.anext());
    out += " " + std::to_string(co_await gen.athrow(ValueError("x")));  // caught, yields 2
    try {
        co_await gen.athrow(ValueError("y"));  // not caught at the second yield
    } catch (const ValueError& e) {
        out += std::string(" ") + e.what();
    }
    out += (co_await gen.next()) ? " more" : " over";
    try {
        co_await gen.athrow(std::make_exception_ptr(ValueError("z")));
    } catch (const StopAsyncIteration&) {
        out += " stop";
    }
    co_return out;
}

TEST(AsyncGenerator, AthrowThrowsAtTheYieldAndReturnsTheNextValue) {
    Log log;
    EXPECT_EQ(asyncio::run(ag_throw_in(&log)), "1 2 y over stop");
    EXPECT_THAT(log, ElementsAre("caught x"));
}

asyncio::Coro<std::string> ag_throw_before_start(Log* log) {
    auto gen = ag_count(3, log);
    std::string out;
    try {
        co_await gen.athrow(ValueError("early"));
    } catch (const ValueError& e) {
        out += e.what();
    }
    out += (co_await gen.next()) ? " more" : " over";
    co_return out;
}

TEST(AsyncGenerator, AthrowBeforeTheFirstStepEndsItWithoutRunningTheBody) {
    Log log;
    EXPECT_EQ(asyncio::run(ag_throw_before_start(&log)), "early over");
    EXPECT_TRUE(log.empty());
}

// ---------------------------------------------------------------- aclose

asyncio::AsyncGenerator<int> ag_with_cleanup(Log* log) {
    std::exception_ptr leaving;
    try {
        for (int i = 0;; ++i) co_yield i;
    } catch (...) {
        leaving = std::current_exception();
        log->push_back(concurrence::exception_is<GeneratorExit>(leaving) ? "GeneratorExit" : "other");
    }
    // `finally: await ...`: C++ cannot await in a handler, so the cleanup follows it.
    co_await asyncio::sleep(0);
    log->push_back("cleaned up");
    std::rethrow_exception(leaving);
}

asyncio::Coro<std::string> ag_close_it(Log* log) {
    auto gen = ag_with_cleanup(log);
    std::string out = std::to_string(co_await gen.anext());
    out += std::to_string(co_await gen.anext());
    co_await gen.aclose();
    log->push_back("closed");
    out += (co_await gen.next()) ? " more" : " over";
    co_await gen.aclose();  // closing a finished generator does nothing
    co_return out;
}

TEST(AsyncGenerator, AcloseThrowsGeneratorExitAndTheCleanupMayAwait) {
    Log log;
    EXPECT_EQ(asyncio::run(ag_close_it(&log)), "01 over");
    EXPECT_THAT(log, ElementsAre("GeneratorExit", "cleaned up", "closed"));
}

asyncio::Coro<std::string> ag_close_before_start(Log* log) {
    auto gen = ag_count(3, log);
    co_await gen.aclose();
    co_return (co_await gen.next()) ? "more" : "over";
}

TEST(AsyncGenerator, AcloseBeforeTheFirstStepNeverRunsTheBody) {
    Log log;
    EXPECT_EQ(asyncio::run(ag_close_before_start(&log)), "over");
    EXPECT_TRUE(log.empty());
}

asyncio::AsyncGenerator<int> ag_stubborn() {
    for (int i = 0; i < 5; ++i) {
        try {
            co_yield i;
        } catch (const GeneratorExit&) {
        }
    }
}

asyncio::AsyncGenerator<int> ag_fails_on_close() {
    try {
        co_yield 1;
    } catch (const GeneratorExit&) {
        throw ValueError("cleanup failed");
    }
}

asyncio::Coro<std::string> ag_bad_closes() {
    std::string out;
    auto stubborn = ag_stubborn();
    co_await stubborn.anext();
    try {
        co_await stubborn.aclose();
    } catch (const RuntimeError& e) {
        out += e.what();
    }
    while (co_await stubborn.next()) {
    }
    auto failing = ag_fails_on_close();
    co_await failing.anext();
    try {
        co_await failing.aclose();
    } catch (const ValueError& e) {
        out += std::string(" / ") + e.what();
    }
    co_return out;
}

TEST(AsyncGenerator, AcloseReportsAGeneratorThatYieldsOrFails) {
    EXPECT_EQ(asyncio::run(ag_bad_closes()), "async generator ignored GeneratorExit / cleanup failed");
}

asyncio::Coro<> ag_drop_stubborn() {
    auto stubborn = ag_stubborn();
    co_await stubborn.anext();
    co_return;  // dropped at a co_yield: its finalizer's aclose() fails
}

TEST(AsyncGenerator, AFinalizerThatFailsIsReportedLikeAnyTask) {
    semantic::Reports reports;
    asyncio::Runner runner;
    runner.get_loop().set_exception_handler(semantic::record_into(&reports));
    runner.run(ag_drop_stubborn());
    runner.close();
    ASSERT_EQ(reports.messages.size(), 1u);
    // Python's finalizer runs aclose() in a task nobody awaits: so does this one (it ends
    // before asyncio::run's shutdown, which would otherwise await it).
    EXPECT_EQ(reports.messages[0], "Task exception was never retrieved");
    EXPECT_THAT(reports.futures[0], HasSubstr("close_generator"));
    EXPECT_EQ(what_of(reports.exceptions[0]), "async generator ignored GeneratorExit");
}

// ---------------------------------------------------------------- aclosing

asyncio::Coro<> ag_aclosing_body(Log* log, bool fail) {
    co_await asyncio::async_with(asyncio::aclosing(ag_with_cleanup(log)),
                                 [&](asyncio::AsyncGenerator<int>& g) -> asyncio::Coro<> {
                                     while (auto v = co_await g.next()) {
                                         log->push_back("got " + std::to_string(*v));
                                         if (*v == 1) break;
                                     }
                                     if (fail) throw ValueError("body failed");
                                 });
    log->push_back("after the block");
}

TEST(AsyncGenerator, AclosingClosesWhenTheBlockEnds) {
    Log log;
    asyncio::run(ag_aclosing_body(&log, false));
    // Closed at the block's end, not later by a finalizer.
    EXPECT_THAT(log, ElementsAre("got 0", "got 1", "GeneratorExit", "cleaned up", "after the block"));
}

TEST(AsyncGenerator, AclosingClosesWhenTheBlockFails) {
    Log log;
    EXPECT_THROW(asyncio::run(ag_aclosing_body(&log, true)), ValueError);
    EXPECT_THAT(log, ElementsAre("got 0", "got 1", "GeneratorExit", "cleaned up"));
}

// ---------------------------------------------------------------- already running

asyncio::AsyncGenerator<int> ag_slow(asyncio::Event* go) {
    co_await go->wait();
    co_yield 1;
}

asyncio::Coro<int> ag_next_value(asyncio::AsyncGenerator<int>* gen) {
    std::optional<int> v = co_await gen->next();
    co_return v ? *v : -1;
}

asyncio::Coro<std::string> ag_second_consumer() {
    asyncio::Event go;
    auto gen = ag_slow(&go);
    auto first = asyncio::create_task(ag_next_value(&gen));
    co_await asyncio::sleep(0);  // first is now inside the body, waiting for `go`
    std::string out = gen.ag_running() ? "running;" : "not running;";
    try {
        co_await gen.next();
    } catch (const RuntimeError& e) {
        out += e.what();
    }
    try {
        co_await gen.athrow(ValueError("x"));
    } catch (const RuntimeError& e) {
        out += std::string(";") + e.what();
    }
    try {
        co_await gen.aclose();
    } catch (const RuntimeError& e) {
        out += std::string(";") + e.what();
    }
    go.set();
    out += ";" + std::to_string(co_await first);
    out += gen.ag_running() ? ";running" : ";not running";
    co_return out;
}

TEST(AsyncGenerator, ASecondStepWhileOneRunsIsRefused) {
    EXPECT_EQ(asyncio::run(ag_second_consumer()),
              "running;anext(): asynchronous generator is already running;"
              "athrow(): asynchronous generator is already running;"
              "aclose(): asynchronous generator is already running;1;not running");
}

asyncio::Coro<std::string> ag_moved_from() {
    Log log;
    auto gen = ag_count(1, &log);
    auto other = std::move(gen);
    std::string out = other ? "moved;" : "lost;";
    try {
        co_await gen.next();  // NOLINT(bugprone-use-after-move): the error is the point
    } catch (const RuntimeError& e) {
        out += e.what();
    }
    co_await other.aclose();
    co_return out;
}

TEST(AsyncGenerator, AMovedFromGeneratorThrows) {
    EXPECT_EQ(asyncio::run(ag_moved_from()), "moved;cannot use a moved-from async generator");
}

// ---------------------------------------------------------------- cancellation

asyncio::AsyncGenerator<int> ag_sleeps_forever(Log* log) {
    co_yield 1;
    try {
        co_await asyncio::sleep(3600);
    } catch (const asyncio::CancelledError&) {
        log->push_back("body saw CancelledError");
        throw;
    }
    co_yield 2;
}

asyncio::Coro<int> ag_consume_all(asyncio::AsyncGenerator<int>* gen) {
    int sum = 0;
    while (auto v = co_await gen->next()) sum += *v;
    co_return sum;
}

asyncio::Coro<std::string> ag_cancel_consumer(Log* log) {
    auto gen = ag_sleeps_forever(log);
    auto consumer = asyncio::create_task(ag_consume_all(&gen));
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    consumer.cancel();
    std::string out;
    try {
        co_await consumer;
    } catch (const asyncio::CancelledError&) {
        out += "consumer cancelled";
    }
    out += (co_await gen.next()) ? "; more" : "; over";
    co_return out;
}

TEST(AsyncGenerator, CancellingTheConsumerThrowsInTheBodyAndEndsIt) {
    Log log;
    EXPECT_EQ(asyncio::run(ag_cancel_consumer(&log)), "consumer cancelled; over");
    EXPECT_THAT(log, ElementsAre("body saw CancelledError"));
}

asyncio::Coro<std::string> ag_wait_for_a_value(Log* log) {
    auto gen = ag_sleeps_forever(log);
    co_await gen.next();
    try {
        co_await asyncio::wait_for(gen.next(), 0.01);
    } catch (const asyncio::TimeoutError&) {
        co_return "timed out";
    }
    co_return "value";
}

TEST(AsyncGenerator, WaitForOnAStepTimesOut) {
    Log log;
    EXPECT_EQ(asyncio::run(ag_wait_for_a_value(&log)), "timed out");
    EXPECT_THAT(log, ElementsAre("body saw CancelledError"));
}

// ---------------------------------------------------------------- the finalizer

asyncio::AsyncGenerator<int> ag_counted_cleanup(Log* log, int* live) {
    Counted guard(live);
    std::exception_ptr leaving;
    try {
        for (int i = 0;; ++i) co_yield i;
    } catch (...) {
        leaving = std::current_exception();
    }
    log->push_back("cleanup starts");
    co_await asyncio::sleep(0);
    log->push_back("cleanup ends");
    std::rethrow_exception(leaving);
}

asyncio::Coro<> ag_break_early(Log* log, int* live) {
    {
        auto gen = ag_counted_cleanup(log, live);
        while (auto v = co_await gen.next())
            if (*v == 2) break;
        log->push_back("loop left");
    }  // dropped at a co_yield while the loop runs: closed in a task of its own
    log->push_back("generator dropped");
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    log->push_back("main ends");
}

TEST(AsyncGenerator, DroppingOneAtAYieldClosesItInATask) {
    Log log;
    int live = 0;
    asyncio::run(ag_break_early(&log, &live));
    EXPECT_THAT(log, ElementsAre("loop left", "generator dropped", "cleanup starts", "cleanup ends", "main ends"));
    EXPECT_EQ(live, 0);
}

asyncio::AsyncGenerator<int> ag_long_cleanup(Log* log) {
    std::exception_ptr leaving;
    try {
        for (int i = 0;; ++i) co_yield i;
    } catch (...) {
        leaving = std::current_exception();
    }
    for (int i = 0; i < 3; ++i) co_await asyncio::sleep(0);
    log->push_back("cleanup ends");
    std::rethrow_exception(leaving);
}

asyncio::Coro<> ag_drop_as_main_ends(Log* log) {
    auto gen = ag_long_cleanup(log);
    co_await gen.next();
    log->push_back("main ends");
}

TEST(AsyncGenerator, AsyncioRunLetsAFinalizerStartedAtTheEndFinish) {
    // The closing task is still in its cleanup when main ends: asyncio::run's cancelling of
    // leftover tasks spares it, and shutdown_asyncgens waits for it.
    Log log;
    asyncio::run(ag_drop_as_main_ends(&log));
    EXPECT_THAT(log, ElementsAre("main ends", "cleanup ends"));
}

TEST(AsyncGenerator, AsyncioRunClosesAGeneratorLeftOpen) {
    Log log;
    int live = 0;
    {
        asyncio::AsyncGenerator<int> gen = ag_counted_cleanup(&log, &live);
        std::optional<int> first;
        asyncio::run([](asyncio::AsyncGenerator<int>* g, std::optional<int>* out) -> asyncio::Coro<> {
            *out = co_await g->next();
        }(&gen, &first));
        EXPECT_EQ(first, 0);
        // asyncio::run closed it at its end (loop.shutdown_asyncgens): its cleanup ran.
        EXPECT_THAT(log, ElementsAre("cleanup starts", "cleanup ends"));
        EXPECT_EQ(live, 0);
        EXPECT_FALSE(gen.ag_running());
    }
}

TEST(AsyncGenerator, AGeneratorNeverStartedIsDroppedSilently) {
    Log log;
    int live = 0;
    semantic::Reports reports;
    {
        asyncio::EventLoop loop;
        loop.set_exception_handler(semantic::record_into(&reports));
        {
            auto gen = ag_counted_cleanup(&log, &live);
        }
        loop.close();
    }
    EXPECT_TRUE(log.empty());
    EXPECT_EQ(live, 0);
    EXPECT_TRUE(reports.messages.empty());
}

// A loop closed while a generator waits at a co_yield: the loop forgets it, and dropping it
// later destroys its frame without touching the loop.
TEST(AsyncGenerator, AGeneratorOutlivingItsLoopIsDestroyedWithoutIt) {
    Log log;
    int live = 0;
    auto gen = std::make_unique<asyncio::AsyncGenerator<int>>(ag_counted_cleanup(&log, &live));
    {
        asyncio::EventLoop loop;
        loop.run_until_complete([](asyncio::AsyncGenerator<int>* g) -> asyncio::Coro<> {
            co_await g->next();
        }(gen.get()));
        loop.close();
    }
    EXPECT_EQ(live, 1);
    gen.reset();
    EXPECT_EQ(live, 0);
    EXPECT_TRUE(log.empty());  // no loop: no cleanup that awaits
}

asyncio::AsyncGenerator<int> ag_waits_for(asyncio::Event* go, int* live) {
    Counted guard(live);
    co_await go->wait();
    co_yield 1;
}

asyncio::Coro<> ag_consume_one(asyncio::AsyncGenerator<int>* gen) { co_await gen->next(); }

// The loop closes while a task is inside a generator's body: the task is let go, and the
// generator's frame goes when its owner drops it (the step no longer holds it).
TEST(AsyncGenerator, ALoopClosedWhileAStepRunsLeaksNothing) {
    int live = 0;
    asyncio::Event go;
    auto gen = std::make_unique<asyncio::AsyncGenerator<int>>(ag_waits_for(&go, &live));
    {
        asyncio::EventLoop loop;
        auto task = loop.create_task(ag_consume_one(gen.get()));
        semantic::run_once(loop);
        EXPECT_TRUE(gen->ag_running());
        loop.close();
    }
    EXPECT_EQ(live, 1);
    gen.reset();
    EXPECT_EQ(live, 0);
}

// ---------------------------------------------------------------- loop.shutdown_asyncgens

asyncio::AsyncGenerator<int> ag_close_fails(Log* log) {
    std::exception_ptr leaving;
    try {
        co_yield 1;
    } catch (...) {
        leaving = std::current_exception();
    }
    co_await asyncio::sleep(0);
    log->push_back("failing cleanup");
    throw ValueError("cannot close");
}

TEST(AsyncGenerator, ShutdownAsyncgensClosesWhatIsStillOpenAndReportsErrors) {
    Log log;
    int live = 0;
    semantic::Reports reports;
    auto good = std::make_unique<asyncio::AsyncGenerator<int>>(ag_counted_cleanup(&log, &live));
    auto bad = std::make_unique<asyncio::AsyncGenerator<int>>(ag_close_fails(&log));
    auto unstarted = std::make_unique<asyncio::AsyncGenerator<int>>(ag_counted_cleanup(&log, &live));
    const std::string bad_repr = bad->repr();
    {
        asyncio::Runner runner;
        runner.get_loop().set_exception_handler(semantic::record_into(&reports));
        runner.run([](asyncio::AsyncGenerator<int>* a, asyncio::AsyncGenerator<int>* b) -> asyncio::Coro<> {
            co_await a->next();
            co_await b->next();
        }(good.get(), bad.get()));
        EXPECT_TRUE(log.empty());
        runner.close();
    }
    // Both at once (a gather in Python): each cleanup's sleep(0) lets the other run.
    EXPECT_THAT(log, ElementsAre("cleanup starts", "cleanup ends", "failing cleanup"));
    ASSERT_EQ(reports.messages.size(), 1u);
    EXPECT_EQ(reports.messages[0], "an error occurred during closing of asynchronous generator " + bad_repr);
    EXPECT_EQ(what_of(reports.exceptions[0]), "cannot close");
    EXPECT_THAT(bad_repr, StartsWith("<async_generator object ag_close_fails at 0x"));
    EXPECT_EQ(live, 0);  // good's body has ended; the unstarted one's never began
    good.reset();
    unstarted.reset();
    bad.reset();
    EXPECT_EQ(live, 0);
}

// ---------------------------------------------------------------- where it is suspended

asyncio::Coro<> ag_note_stack(std::vector<std::string>* out) {
    for (const asyncio::FrameCallGraphEntry& e : asyncio::current_task().get_stack()) out->push_back(e.function);
    co_return;
}

asyncio::AsyncGenerator<int> ag_reports_stack(std::vector<std::string>* names) {
    co_await ag_note_stack(names);
    co_yield 1;
}

asyncio::Coro<> ag_stack_main(std::vector<std::string>* names) {
    auto gen = ag_reports_stack(names);
    co_await gen.next();
}

TEST(AsyncGenerator, TheTaskStackGoesThroughTheGenerator) {
    std::vector<std::string> names;
    asyncio::run(ag_stack_main(&names));
    EXPECT_THAT(names, ElementsAre("ag_stack_main", "ag_reports_stack", "ag_note_stack"));
}

}  // namespace
