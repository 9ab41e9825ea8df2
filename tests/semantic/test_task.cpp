// asyncio::Task<T>: create_task, state queries, names, several awaiters, dropped handles,
// done callbacks, and the "never retrieved" report (test_tasks.py / test_futures.py).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "semantic/support.hpp"

namespace {

namespace asyncio = concurrence::asyncio;
using asyncio::CancelledError;
using asyncio::InvalidStateError;
using concurrence::RuntimeError;
using semantic::holds;
using semantic::Log;
using semantic::Reports;
using semantic::run_once;
using semantic::what_of;
using semantic::fail_now;
using semantic::answer;
using semantic::Counted;
using testing::ElementsAre;
using testing::HasSubstr;
using testing::StrEq;
using testing::ThrowsMessage;

asyncio::Coro<int> value_after_yield(int v) {
    co_await asyncio::sleep(0);
    co_return v;
}

asyncio::Coro<int> fail_after_yield(std::string msg) {
    co_await asyncio::sleep(0);
    throw std::runtime_error(msg);
}


// ---- create_task and the state queries

TEST(Task, LoopCreateTaskRunsTheCoroutine) {
    asyncio::EventLoop loop;
    asyncio::Task<int> t = loop.create_task(value_after_yield(5));
    EXPECT_FALSE(t.done());
    EXPECT_EQ(loop.run_until_complete(t), 5);
    EXPECT_TRUE(t.done());
    EXPECT_FALSE(t.cancelled());
    EXPECT_EQ(t.result(), 5);
    EXPECT_EQ(t.exception(), nullptr);
    EXPECT_EQ(&t.get_loop(), &loop);
}

TEST(Task, FirstStepDoesNotRunInsideCreateTask) {
    asyncio::EventLoop loop;
    bool ran = false;
    auto body = [](bool* flag) -> asyncio::Coro<> {
        *flag = true;
        co_return;
    };
    asyncio::Task<> t = loop.create_task(body(&ran));
    EXPECT_FALSE(ran);
    run_once(loop);
    EXPECT_TRUE(ran);
    EXPECT_TRUE(t.done());
}

TEST(Task, ResultWhilePendingThrowsInvalidStateError) {
    asyncio::EventLoop loop;
    asyncio::Task<int> t = loop.create_task(value_after_yield(1));
    EXPECT_THAT([&] { (void)t.result(); }, ThrowsMessage<InvalidStateError>(StrEq("Result is not set.")));
    EXPECT_THAT([&] { (void)t.exception(); }, ThrowsMessage<InvalidStateError>(StrEq("Exception is not set.")));
    run_once(loop);  // started, suspended in sleep(0)
    EXPECT_THAT([&] { (void)t.result(); }, ThrowsMessage<InvalidStateError>(StrEq("Result is not set.")));
    EXPECT_EQ(loop.run_until_complete(t), 1);
}

TEST(Task, FailedTaskExposesItsException) {
    asyncio::EventLoop loop;
    asyncio::Task<int> t = loop.create_task(fail_after_yield("boom"));
    EXPECT_THAT([&] { loop.run_until_complete(t); }, ThrowsMessage<std::runtime_error>(StrEq("boom")));
    EXPECT_TRUE(t.done());
    EXPECT_FALSE(t.cancelled());
    EXPECT_TRUE(holds<std::runtime_error>(t.exception()));
    EXPECT_EQ(what_of(t.exception()), "boom");
    EXPECT_THAT([&] { (void)t.result(); }, ThrowsMessage<std::runtime_error>(StrEq("boom")));
}

asyncio::Coro<int> create_task_main() {
    asyncio::Task<int> t = asyncio::create_task(answer());
    EXPECT_FALSE(t.done());
    EXPECT_EQ(&t.get_loop(), &asyncio::get_running_loop());
    co_return co_await t;
}

TEST(Task, ModuleLevelCreateTaskUsesTheRunningLoop) { EXPECT_EQ(asyncio::run(create_task_main()), 42); }

TEST(Task, ModuleLevelCreateTaskWithoutARunningLoopThrows) {
    EXPECT_THAT([] { (void)asyncio::create_task(answer()); },
                ThrowsMessage<RuntimeError>(StrEq("no running event loop")));
}

// ---- names

asyncio::Coro<> names_main(std::vector<std::string>* names) {
    auto a = asyncio::create_task(value_after_yield(1));
    auto b = asyncio::create_task(value_after_yield(2));
    auto c = asyncio::create_task(value_after_yield(3), "worker");
    names->push_back(a.get_name());
    names->push_back(b.get_name());
    names->push_back(c.get_name());
    c.set_name("renamed");
    names->push_back(c.get_name());
    a.set_name("first");
    names->push_back(a.get_name());
    names->push_back(asyncio::current_task().get_name());
    co_await asyncio::gather(a, b, c);
}

int task_number(const std::string& name) {
    EXPECT_EQ(name.rfind("Task-", 0), 0u) << name;
    return std::stoi(name.substr(5));
}

TEST(Task, DefaultNamesAreTaskNWithAnIncreasingCounter) {
    std::vector<std::string> names;
    asyncio::run(names_main(&names));
    ASSERT_EQ(names.size(), 6u);
    const int main_n = task_number(names[5]);
    const int a_n = task_number(names[0]);
    const int b_n = task_number(names[1]);
    EXPECT_GT(a_n, main_n);
    EXPECT_EQ(b_n, a_n + 1);
    EXPECT_EQ(names[2], "worker");
    EXPECT_EQ(names[3], "renamed");
    EXPECT_EQ(names[4], "first");
}

TEST(Task, NamedAndUnnamedTasksInterleave) {
    asyncio::EventLoop loop;
    auto a = loop.create_task(answer());
    auto b = loop.create_task(answer(), "named");
    auto c = loop.create_task(answer());
    EXPECT_EQ(b.get_name(), "named");
    EXPECT_GT(task_number(c.get_name()), task_number(a.get_name()));
    loop.run_until_complete(c);
    loop.run_until_complete(a);
    loop.run_until_complete(b);
}

// ---- several awaiters

asyncio::Coro<int> await_and_add(asyncio::Task<int> t, int add) { co_return co_await t + add; }

asyncio::Coro<std::string> await_and_catch(asyncio::Task<int> t) {
    try {
        co_await t;
    } catch (const std::runtime_error& e) {
        co_return std::string("caught ") + e.what();
    }
    co_return "no exception";
}

asyncio::Coro<> many_awaiters_main(std::vector<int>* results) {
    auto shared = asyncio::create_task(value_after_yield(10));
    auto w1 = asyncio::create_task(await_and_add(shared, 1));
    auto w2 = asyncio::create_task(await_and_add(shared, 2));
    auto w3 = asyncio::create_task(await_and_add(shared, 3));
    results->push_back(co_await w1);
    results->push_back(co_await w2);
    results->push_back(co_await w3);
    results->push_back(co_await shared);
}

TEST(Task, SeveralTasksAwaitingOneTaskAllGetItsResult) {
    std::vector<int> results;
    asyncio::run(many_awaiters_main(&results));
    EXPECT_THAT(results, ElementsAre(11, 12, 13, 10));
}

asyncio::Coro<> many_catchers_main(std::vector<std::string>* results) {
    auto shared = asyncio::create_task(fail_after_yield("shared failure"));
    auto w1 = asyncio::create_task(await_and_catch(shared));
    auto w2 = asyncio::create_task(await_and_catch(shared));
    results->push_back(co_await w1);
    results->push_back(co_await w2);
    results->push_back(co_await await_and_catch(shared));  // already done
}

TEST(Task, SeveralTasksAwaitingOneTaskAllGetItsException) {
    std::vector<std::string> results;
    asyncio::run(many_catchers_main(&results));
    EXPECT_THAT(results, ElementsAre("caught shared failure", "caught shared failure", "caught shared failure"));
}

asyncio::Coro<std::vector<int>> vector_result() { co_return std::vector<int>{1, 2, 3}; }

asyncio::Coro<std::size_t> size_of(asyncio::Task<std::vector<int>> t) { co_return (co_await t).size(); }

asyncio::Coro<int> copies_main() {
    auto shared = asyncio::create_task(vector_result());
    auto a = asyncio::create_task(size_of(shared));
    auto b = asyncio::create_task(size_of(shared));
    std::size_t total = co_await a + co_await b;
    EXPECT_EQ(shared.result().size(), 3u);  // each awaiter got a copy; the task keeps its own
    co_return static_cast<int>(total);
}

TEST(Task, EachAwaiterGetsACopyOfTheResult) { EXPECT_EQ(asyncio::run(copies_main()), 6); }

asyncio::Coro<std::unique_ptr<int>> make_unique_after_yield(int v) {
    co_await asyncio::sleep(0);
    co_return std::make_unique<int>(v);
}

asyncio::Coro<int> move_only_task_main() {
    auto t = asyncio::create_task(make_unique_after_yield(8));
    std::unique_ptr<int> p = co_await t;
    co_return *p;
}

TEST(Task, MoveOnlyResultIsMovedToTheAwaiter) { EXPECT_EQ(asyncio::run(move_only_task_main()), 8); }

// ---- dropped handles

asyncio::Coro<> set_later(asyncio::Future<std::string> fut) {
    co_await asyncio::sleep(0.001);
    co_await asyncio::sleep(0);
    fut.set_result("done by a forgotten task");
}

asyncio::Coro<std::string> dropped_handle_main() {
    auto fut = asyncio::get_running_loop().create_future<std::string>();
    (void)asyncio::create_task(set_later(fut));  // handle dropped at once
    co_return co_await fut;
}

TEST(Task, TaskRunsToCompletionWhenItsHandleIsDropped) {
    EXPECT_EQ(asyncio::run(dropped_handle_main()), "done by a forgotten task");
}

// ---- add_done_callback

// The methods Task and Future share come from empty bases: a handle stays one pointer (W1 keeps
// a million of them).
static_assert(sizeof(asyncio::Task<long>) == sizeof(void*));
static_assert(sizeof(asyncio::Future<long>) == sizeof(void*));
static_assert(sizeof(asyncio::TaskRef) == sizeof(void*));

asyncio::Coro<> callbacks_main(Log* log) {
    auto t = asyncio::create_task(value_after_yield(5));
    auto* done = &t;
    t.add_done_callback([log, done] {
        EXPECT_TRUE(done->done());
        log->push_back("cb1 " + std::to_string(done->result()));
    });
    t.add_done_callback([log] { log->push_back("cb2"); });
    t.add_done_callback([log] { log->push_back("cb3"); });
    co_await t;
    log->push_back("awaiter");
}

TEST(Task, DoneCallbacksRunInRegistrationOrderWithTheTask) {
    Log log;
    asyncio::run(callbacks_main(&log));
    // The awaiter registered last: it resumes after the three callbacks.
    EXPECT_THAT(log, ElementsAre("cb1 5", "cb2", "cb3", "awaiter"));
}

TEST(Task, DoneCallbackRunsOneIterationAfterCompletion) {
    asyncio::EventLoop loop;
    Log log;
    auto t = loop.create_task(answer());
    t.add_done_callback([&log] { log.push_back("cb"); });
    run_once(loop);  // the task's step: done, callbacks queued
    EXPECT_TRUE(t.done());
    EXPECT_TRUE(log.empty());
    run_once(loop);
    EXPECT_THAT(log, ElementsAre("cb"));
}

TEST(Task, DoneCallbackOnADoneTaskIsScheduledWithCallSoon) {
    asyncio::EventLoop loop;
    Log log;
    auto t = loop.create_task(answer());
    loop.run_until_complete(t);
    loop.call_soon([&log] { log.push_back("before"); });
    t.add_done_callback([&log](asyncio::Task<int>& done) { log.push_back("cb " + std::to_string(done.result())); });
    loop.call_soon([&log] { log.push_back("after"); });
    EXPECT_TRUE(log.empty());  // not called synchronously
    run_once(loop);
    EXPECT_THAT(log, ElementsAre("before", "cb 42", "after"));
}

TEST(Task, RemoveDoneCallbackLeavesTheOthersAndTheAwaiter) {
    asyncio::EventLoop loop;
    Log log;
    auto t = loop.create_task(value_after_yield(5));
    auto watcher = loop.create_task([](asyncio::Task<int> awaited, Log* out) -> asyncio::Coro<> {
        out->push_back("awaited " + std::to_string(co_await awaited));
    }(t, &log));
    run_once(loop);  // t yields; the watcher awaits t: t's first waiter is that task
    const auto first = t.add_done_callback([&log] { log.push_back("first"); });
    t.add_done_callback([&log](asyncio::Task<int>& done) { log.push_back("second " + std::to_string(done.result())); });
    EXPECT_EQ(t.remove_done_callback(first), 1u);
    loop.run_until_complete(watcher);
    // Registration order, as Python: the watcher's wake-up was registered first.
    EXPECT_THAT(log, ElementsAre("awaited 5", "second 5"));
    EXPECT_EQ(t.remove_done_callback(first), 0u);
}

TEST(Task, ExceptionInADoneCallbackGoesToTheExceptionHandler) {
    asyncio::EventLoop loop;
    Reports reports;
    loop.set_exception_handler(semantic::record_into(&reports));
    Log log;
    auto t = loop.create_task(answer());
    t.add_done_callback([] { throw std::runtime_error("callback failed"); });
    t.add_done_callback([&log] { log.push_back("second still runs"); });
    loop.run_until_complete(t);
    run_once(loop);
    EXPECT_THAT(log, ElementsAre("second still runs"));
    ASSERT_EQ(reports.messages.size(), 1u);
    EXPECT_EQ(reports.messages[0], "Exception in callback");
    EXPECT_EQ(what_of(reports.exceptions[0]), "callback failed");
}

// Counts live instances, to see a task's frame freed.

asyncio::Coro<int> holding(Counted c) {
    (void)c;
    co_await asyncio::sleep(0);
    co_return 1;
}

TEST(Task, FinishedTaskIsFreedWithItsLastHandle) {
    int live = 0;
    {
        asyncio::EventLoop loop;
        auto t = loop.create_task(holding(Counted(&live)));
        t.add_done_callback([] {});
        EXPECT_EQ(live, 1);
        loop.run_until_complete(t);
        run_once(loop);
    }
    EXPECT_EQ(live, 0);
}

TEST(Task, DoneCallbackTakingTheTaskDoesNotKeepItAlive) {
    // The callback(Task&) form stores a Task handle with the callback, inside the task: the
    // callbacks must be released once run (Python clears them), or the task is never freed.
    int live = 0;
    {
        asyncio::EventLoop loop;
        auto t = loop.create_task(holding(Counted(&live)));
        t.add_done_callback([](asyncio::Task<int>& done) { (void)done; });
        loop.run_until_complete(t);
        run_once(loop);
    }
    EXPECT_EQ(live, 0);
}

// ---- awaiting itself

asyncio::Coro<> await_self(asyncio::Task<>* self, std::string* error) {
    try {
        co_await *self;
    } catch (const RuntimeError& e) {
        *error = e.what();
    }
}

asyncio::Coro<> await_self_main(std::string* error) {
    asyncio::Task<> t;
    t = asyncio::create_task(await_self(&t, error));
    co_await t;
}

TEST(Task, TaskAwaitingItselfThrowsRuntimeError) {
    // test_tasks.py test_task_awaits_on_itself.
    std::string error;
    asyncio::run(await_self_main(&error));
    EXPECT_EQ(error, "Task cannot await on itself");
}

// ---- "Task exception was never retrieved"


asyncio::Coro<> forgotten_failure_main(Reports* reports) {
    asyncio::get_running_loop().set_exception_handler(semantic::record_into(reports));
    (void)asyncio::create_task(fail_now("lost"));
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
}

TEST(Task, DroppedFailedTaskReportsExceptionNeverRetrieved) {
    // test_futures.py test_future_exception_never_retrieved, for a task.
    Reports reports;
    asyncio::run(forgotten_failure_main(&reports));
    ASSERT_EQ(reports.messages.size(), 1u);
    EXPECT_EQ(reports.messages[0], "Task exception was never retrieved");
    EXPECT_TRUE(holds<std::runtime_error>(reports.exceptions[0]));
    EXPECT_EQ(what_of(reports.exceptions[0]), "lost");
}

asyncio::Coro<> handle_kept_then_dropped_main(Reports* reports) {
    asyncio::get_running_loop().set_exception_handler(semantic::record_into(reports));
    {
        auto t = asyncio::create_task(fail_now("lost later"));
        co_await asyncio::sleep(0);
        co_await asyncio::sleep(0);
        EXPECT_TRUE(t.done());
        EXPECT_TRUE(reports->messages.empty());  // still referenced: nothing to report yet
    }
    co_await asyncio::sleep(0);
}

TEST(Task, ReportIsMadeWhenTheLastHandleGoes) {
    Reports reports;
    asyncio::run(handle_kept_then_dropped_main(&reports));
    ASSERT_EQ(reports.messages.size(), 1u);
    EXPECT_EQ(reports.messages[0], "Task exception was never retrieved");
}

asyncio::Coro<> awaited_failure_main(Reports* reports) {
    asyncio::get_running_loop().set_exception_handler(semantic::record_into(reports));
    {
        auto t = asyncio::create_task(fail_now("seen"));
        try {
            co_await t;
        } catch (const std::runtime_error&) {
        }
    }
    {
        auto t = asyncio::create_task(fail_now("looked at"));
        co_await asyncio::sleep(0);
        co_await asyncio::sleep(0);
        EXPECT_EQ(what_of(t.exception()), "looked at");
    }
    {
        auto t = asyncio::create_task(fail_now("result read"));
        co_await asyncio::sleep(0);
        co_await asyncio::sleep(0);
        EXPECT_THROW((void)t.result(), std::runtime_error);
    }
    co_await asyncio::sleep(0);
}

TEST(Task, NoReportWhenTheExceptionWasRetrieved) {
    Reports reports;
    asyncio::run(awaited_failure_main(&reports));
    EXPECT_TRUE(reports.messages.empty()) << reports.messages.front();
}

asyncio::Coro<std::string> sole_handle_awaits_failure(Reports* reports) {
    asyncio::get_running_loop().set_exception_handler(semantic::record_into(reports));
    std::string seen;
    try {
        co_await asyncio::create_task(fail_now("awaited through the only handle"));
    } catch (const std::runtime_error& e) {
        seen = e.what();
    }
    co_await asyncio::sleep(0);
    co_return seen;
}

TEST(Task, NoReportWhenTheOnlyHandleAwaitedTheFailure) {
    Reports reports;
    EXPECT_EQ(asyncio::run(sole_handle_awaits_failure(&reports)), "awaited through the only handle");
    EXPECT_TRUE(reports.messages.empty()) << reports.messages.front();
}

asyncio::Coro<> cancelled_dropped_main(Reports* reports) {
    asyncio::get_running_loop().set_exception_handler(semantic::record_into(reports));
    {
        auto t = asyncio::create_task(value_after_yield(1));
        t.cancel();
    }
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
}

TEST(Task, NoReportForADroppedCancelledTask) {
    Reports reports;
    asyncio::run(cancelled_dropped_main(&reports));
    EXPECT_TRUE(reports.messages.empty()) << reports.messages.front();
}

// ---- current_task / all_tasks

asyncio::Coro<> current_task_probe(std::vector<std::string>* seen) {
    seen->push_back(asyncio::current_task().get_name());
    co_await asyncio::sleep(0);
    seen->push_back(asyncio::current_task().get_name());
}

asyncio::Coro<> current_task_main(std::vector<std::string>* seen) {
    auto a = asyncio::create_task(current_task_probe(seen), "a");
    auto b = asyncio::create_task(current_task_probe(seen), "b");
    co_await a;
    co_await b;
    seen->push_back(asyncio::current_task().get_name());
}

TEST(Task, CurrentTaskFollowsInterleavedTasks) {
    // test_tasks.py test_current_task_with_interleaving_tasks.
    std::vector<std::string> seen;
    asyncio::run(current_task_main(&seen));
    ASSERT_EQ(seen.size(), 5u);
    EXPECT_THAT(std::vector<std::string>(seen.begin(), seen.begin() + 4), ElementsAre("a", "b", "a", "b"));
    EXPECT_FALSE(asyncio::current_task());  // outside any task
}

asyncio::Coro<std::size_t> all_tasks_main() {
    auto a = asyncio::create_task(value_after_yield(1));
    auto b = asyncio::create_task(value_after_yield(2));
    const std::size_t during = asyncio::all_tasks().size();  // main, a, b
    co_await a;
    co_await b;
    EXPECT_EQ(asyncio::all_tasks().size(), 1u);  // only main is pending
    co_return during;
}

TEST(Task, AllTasksListsPendingTasks) { EXPECT_EQ(asyncio::run(all_tasks_main()), 3u); }

}  // namespace
