// Ordering: what runs when, decided as CPython's BaseEventLoop._run_once decides it
// (ntodo = len(ready) at the start of an iteration; timers in deadline order).
// Every expected trace below is the one CPython 3.11 prints for the same program
// (the Python program is quoted above each test).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "semantic/support.hpp"

namespace {

namespace asyncio = concurrence::asyncio;
using semantic::Log;
using semantic::run_once;
using testing::ElementsAre;

// ---- call_soon

TEST(Ordering, CallSoonCallbacksRunInRegistrationOrder) {
    asyncio::EventLoop loop;
    Log log;
    for (int i = 0; i < 10; ++i) loop.call_soon([&log, i] { log.push_back(std::to_string(i)); });
    run_once(loop);
    EXPECT_THAT(log, ElementsAre("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"));
}

TEST(Ordering, CallbackScheduledDuringAnIterationRunsInTheNextOne) {
    // test_base_events.py test_call_soon / _run_once: "not any callbacks scheduled by
    // callbacks run this time around".
    asyncio::EventLoop loop;
    Log log;
    loop.call_soon([&] {
        log.push_back("a");
        loop.call_soon([&] { log.push_back("a2"); });
    });
    loop.call_soon([&] { log.push_back("b"); });
    run_once(loop);  // stop() was queued after a and b, before a2
    EXPECT_THAT(log, ElementsAre("a", "b"));
    run_once(loop);
    EXPECT_THAT(log, ElementsAre("a", "b", "a2"));
}

TEST(Ordering, CallbackChainAdvancesOneStepPerIteration) {
    asyncio::EventLoop loop;
    int steps = 0;
    int iterations = 0;
    struct Chain {
        asyncio::EventLoop* loop;
        int* steps;
        void operator()() const {
            ++*steps;
            loop->call_soon(Chain(*this));  // a copy: call_soon(*this) does not compile (see report)
        }
    };
    loop.call_soon(Chain{&loop, &steps});
    for (; iterations < 5; ++iterations) run_once(loop);
    EXPECT_EQ(steps, 5);
    loop.close();  // the pending link is dropped, not run
    EXPECT_EQ(steps, 5);
}

TEST(Ordering, StopBeforeRunForeverRunsExactlyOneIteration) {
    // test_base_events.py test_run_forever_pre_stopped.
    asyncio::EventLoop loop;
    Log log;
    loop.call_soon([&] {
        log.push_back("first");
        loop.call_soon([&] { log.push_back("second"); });
    });
    loop.stop();
    loop.run_forever();
    EXPECT_THAT(log, ElementsAre("first"));
    EXPECT_FALSE(loop.is_running());
}

// ---- timers

TEST(Ordering, TimersFireInDeadlineOrder) {
    asyncio::EventLoop loop;
    Log log;
    const double t0 = loop.time();
    loop.call_at(t0 + 0.003, [&] { log.push_back("c"); });
    loop.call_at(t0 + 0.001, [&] { log.push_back("a"); });
    loop.call_at(t0 + 0.004, [&] {
        log.push_back("d");
        loop.stop();
    });
    loop.call_at(t0 + 0.002, [&] { log.push_back("b"); });
    loop.run_forever();
    EXPECT_THAT(log, ElementsAre("a", "b", "c", "d"));
}

TEST(Ordering, EqualDeadlinesFireInSchedulingOrder) {
    // libuv test-timer.c timer_order: both permutations of the same deadline.
    for (int permutation = 0; permutation < 2; ++permutation) {
        asyncio::EventLoop loop;
        Log log;
        const double when = loop.time() + 0.002;
        const std::vector<std::string> names = permutation == 0 ? std::vector<std::string>{"x", "y", "z"}
                                                                : std::vector<std::string>{"z", "y", "x"};
        for (const std::string& n : names) loop.call_at(when, [&log, n] { log.push_back(n); });
        loop.call_at(when, [&] { loop.stop(); });
        loop.run_forever();
        EXPECT_EQ(log, names);
    }
}

TEST(Ordering, ManyEqualDeadlinesKeepSchedulingOrder) {
    asyncio::EventLoop loop;
    std::vector<int> fired;
    const double when = loop.time() + 0.001;
    for (int i = 0; i < 500; ++i) loop.call_at(when, [&fired, i] { fired.push_back(i); });
    loop.call_at(when + 0.001, [&] { loop.stop(); });
    loop.run_forever();
    ASSERT_EQ(fired.size(), 500u);
    for (int i = 0; i < 500; ++i) EXPECT_EQ(fired[static_cast<std::size_t>(i)], i);
}

TEST(Ordering, DueTimersRunAfterCallbacksAlreadyReady) {
    // loop.call_later(0, log.append, "later0"); loop.call_soon(log.append, "soon")
    // → ['soon', 'later0']: due timers join the ready queue at the end of it.
    asyncio::EventLoop loop;
    Log log;
    loop.call_later(0, [&] { log.push_back("later0"); });
    loop.call_soon([&] { log.push_back("soon"); });
    loop.call_later(0.002, [&] { loop.stop(); });
    loop.run_forever();
    EXPECT_THAT(log, ElementsAre("soon", "later0"));
}

TEST(Ordering, TimerScheduledFromCallbackRunsAfterCallSoonFromTheSameCallback) {
    asyncio::EventLoop loop;
    Log log;
    loop.call_soon([&] {
        loop.call_later(0, [&] { log.push_back("later"); });
        loop.call_soon([&] { log.push_back("soon"); });
    });
    loop.call_later(0.002, [&] { loop.stop(); });
    loop.run_forever();
    EXPECT_THAT(log, ElementsAre("soon", "later"));
}

TEST(Ordering, NegativeCallLaterDelaysAreDeadlinesInThePast) {
    // test_base_events.py test_call_later_negative_delays:
    //   call_later(-1, cb, 'a'); call_later(-2, cb, 'b') → ['b', 'a'].
    asyncio::EventLoop loop;
    Log log;
    loop.call_later(-1, [&] { log.push_back("a"); });
    loop.call_later(-2, [&] { log.push_back("b"); });
    run_once(loop);
    EXPECT_THAT(log, ElementsAre("b", "a"));
}

TEST(Ordering, NegativeCallLaterDelaysAreDueAtOnce) {
    asyncio::EventLoop loop;
    Log log;
    loop.call_later(-1, [&] { log.push_back("neg"); });
    loop.call_later(-0.5, [&] { log.push_back("neg2"); });
    run_once(loop);
    EXPECT_EQ(log.size(), 2u);
}

// ---- tasks

asyncio::Coro<> append(Log* log, std::string what) {
    log->push_back(std::move(what));
    co_return;
}

// async def main():
//     loop.call_soon(log.append, "soon1"); t1 = create_task(w("t1"))
//     loop.call_soon(log.append, "soon2"); t2 = create_task(w("t2"))
//     log.append("main"); await t1; await t2
// → ['main', 'soon1', 't1', 'soon2', 't2']
asyncio::Coro<> creation_order_main(Log* log) {
    auto& loop = asyncio::get_running_loop();
    loop.call_soon([log] { log->push_back("soon1"); });
    auto t1 = asyncio::create_task(append(log, "t1"));
    loop.call_soon([log] { log->push_back("soon2"); });
    auto t2 = asyncio::create_task(append(log, "t2"));
    log->push_back("main");
    co_await t1;
    co_await t2;
}

TEST(Ordering, CreateTaskQueuesFirstStepAtTheBackOfTheReadyQueue) {
    Log log;
    asyncio::run(creation_order_main(&log));
    EXPECT_THAT(log, ElementsAre("main", "soon1", "t1", "soon2", "t2"));
}

asyncio::Coro<> worker(Log* log, std::string name, int n) {
    for (int i = 0; i < n; ++i) {
        log->push_back(name + std::to_string(i));
        co_await asyncio::sleep(0);
    }
    log->push_back(name + " done");
}

// async def main():
//     a = create_task(worker("a", 3)); b = create_task(worker("b", 1))
//     log.append("main0"); await sleep(0)
//     log.append("main1"); await sleep(0)
//     log.append("main2"); await a
//     log.append("a awaited"); await b
//     log.append("end")
asyncio::Coro<> interleaving_main(Log* log) {
    auto a = asyncio::create_task(worker(log, "a", 3));
    auto b = asyncio::create_task(worker(log, "b", 1));
    log->push_back("main0");
    co_await asyncio::sleep(0);
    log->push_back("main1");
    co_await asyncio::sleep(0);
    log->push_back("main2");
    co_await a;
    log->push_back("a awaited");
    co_await b;
    log->push_back("end");
}

TEST(Ordering, TasksInterleaveWithSleepZeroInPythonsOrder) {
    Log log;
    asyncio::run(interleaving_main(&log));
    EXPECT_THAT(log, ElementsAre("main0", "a0", "b0", "main1", "a1", "b done", "main2", "a2", "a done",
                                 "a awaited", "end"));
}

asyncio::Coro<int> child(Log* log, int x) {
    log->push_back("child" + std::to_string(x));
    co_return x;
}

asyncio::Coro<> ticker(Log* log, int n) {
    for (int i = 0; i < n; ++i) {
        log->push_back("tick" + std::to_string(i));
        co_await asyncio::sleep(0);
    }
}

// t = create_task(ticker(4)); c = create_task(child(7)); v = await c; log.append(f"main got {v}"); await t
// → ['tick0', 'child7', 'tick1', 'main got 7', 'tick2', 'tick3']: an awaiting task resumes one
// iteration after the task it awaits is done.
asyncio::Coro<> await_task_main(Log* log) {
    auto t = asyncio::create_task(ticker(log, 4));
    auto c = asyncio::create_task(child(log, 7));
    int v = co_await c;
    log->push_back("main got " + std::to_string(v));
    co_await t;
}

TEST(Ordering, AwaiterResumesOneIterationAfterTheTaskIsDone) {
    Log log;
    asyncio::run(await_task_main(&log));
    EXPECT_THAT(log, ElementsAre("tick0", "child7", "tick1", "main got 7", "tick2", "tick3"));
}

// fut = loop.create_future(); t = create_task(ticker(4)); loop.call_soon(fut.set_result, 3)
// v = await fut; log.append(f"fut {v}"); await t
// → ['tick0', 'tick1', 'fut 3', 'tick2', 'tick3']
asyncio::Coro<> await_future_main(Log* log) {
    auto& loop = asyncio::get_running_loop();
    auto fut = loop.create_future<int>();
    auto t = asyncio::create_task(ticker(log, 4));
    loop.call_soon([fut]() mutable { fut.set_result(3); });
    int v = co_await fut;
    log->push_back("fut " + std::to_string(v));
    co_await t;
}

TEST(Ordering, AwaiterResumesOneIterationAfterTheFutureIsSet) {
    Log log;
    asyncio::run(await_future_main(&log));
    EXPECT_THAT(log, ElementsAre("tick0", "tick1", "fut 3", "tick2", "tick3"));
}

// t = create_task(ticker(6)); r = await gather(child(1), child(2)); log.append("gathered"); await t
// → ['tick0', 'child1', 'child2', 'tick1', 'tick2', 'gathered', 'tick3', 'tick4', 'tick5']
// (children done → their callbacks one iteration later → the gather's callbacks one more).
asyncio::Coro<> gather_main(Log* log) {
    auto t = asyncio::create_task(ticker(log, 6));
    auto [a, b] = co_await asyncio::gather(child(log, 1), child(log, 2));
    log->push_back("gathered " + std::to_string(a) + std::to_string(b));
    co_await t;
}

TEST(Ordering, GatherCompletesTwoIterationsAfterItsLastChild) {
    Log log;
    asyncio::run(gather_main(&log));
    EXPECT_THAT(log,
                ElementsAre("tick0", "child1", "child2", "tick1", "tick2", "gathered 12", "tick3", "tick4", "tick5"));
}

asyncio::Coro<int> body_with_call_soon(Log* log) {
    log->push_back("body");
    asyncio::get_running_loop().call_soon([log] { log->push_back("soon"); });
    co_return 5;
}

// t = create_task(body()); t.add_done_callback(cb1); t.add_done_callback(cb2); await t; log.append("main")
// → ['body', 'soon', 'cb1 5', 'cb2', 'main']: done callbacks are call_soon'ed when the task
// completes, after what its last step scheduled, in registration order.
asyncio::Coro<> done_callbacks_main(Log* log) {
    auto t = asyncio::create_task(body_with_call_soon(log));
    auto* done = &t;
    t.add_done_callback([log, done] { log->push_back("cb1 " + std::to_string(done->result())); });
    t.add_done_callback([log] { log->push_back("cb2"); });
    co_await t;
    log->push_back("main");
}

TEST(Ordering, DoneCallbacksRunAfterWhatTheLastStepScheduled) {
    Log log;
    asyncio::run(done_callbacks_main(&log));
    EXPECT_THAT(log, ElementsAre("body", "soon", "cb1 5", "cb2", "main"));
}

// fut.set_result(1); loop.call_soon(log.append, "soon"); await fut; log.append("after await done fut")
// t = create_task(child(1)); await sleep(0); await sleep(0)
// loop.call_soon(log.append, "soon2"); await t; log.append("after await done task")
// → ['after await done fut', 'soon', 'child1', 'after await done task', 'soon2']
asyncio::Coro<> await_done_main(Log* log) {
    auto& loop = asyncio::get_running_loop();
    auto fut = loop.create_future<int>();
    fut.set_result(1);
    loop.call_soon([log] { log->push_back("soon"); });
    co_await fut;
    log->push_back("after await done fut");
    auto t = asyncio::create_task(child(log, 1));
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    loop.call_soon([log] { log->push_back("soon2"); });
    co_await t;
    log->push_back("after await done task");
}

TEST(Ordering, AwaitingSomethingAlreadyDoneDoesNotYield) {
    Log log;
    asyncio::run(await_done_main(&log));
    EXPECT_THAT(log, ElementsAre("after await done fut", "soon", "child1", "after await done task", "soon2"));
}

asyncio::Coro<> negative_sleeper(Log* log, std::string name, double delay) {
    log->push_back(name + "0");
    co_await asyncio::sleep(delay);
    log->push_back(name + "1");
}

// A negative delay yields exactly like sleep(0).
asyncio::Coro<> negative_sleep_main(Log* log) {
    auto a = asyncio::create_task(negative_sleeper(log, "a", -1));
    auto b = asyncio::create_task(negative_sleeper(log, "b", 0));
    auto c = asyncio::create_task(negative_sleeper(log, "c", -0.5));
    co_await a;
    co_await b;
    co_await c;
}

TEST(Ordering, NegativeSleepYieldsLikeSleepZero) {
    Log log;
    asyncio::run(negative_sleep_main(&log));
    EXPECT_THAT(log, ElementsAre("a0", "b0", "c0", "a1", "b1", "c1"));
}

// Timers woken tasks resume in deadline order.
asyncio::Coro<> timed(Log* log, std::string name, double delay) {
    co_await asyncio::sleep(delay);
    log->push_back(std::move(name));
}

asyncio::Coro<> timed_main(Log* log) {
    auto c = asyncio::create_task(timed(log, "c", 0.006));
    auto a = asyncio::create_task(timed(log, "a", 0.002));
    auto b = asyncio::create_task(timed(log, "b", 0.004));
    co_await c;
    co_await a;
    co_await b;
}

TEST(Ordering, SleepingTasksWakeInDeadlineOrder) {
    Log log;
    asyncio::run(timed_main(&log));
    EXPECT_THAT(log, ElementsAre("a", "b", "c"));
}

}  // namespace
