// The eager task factory (Python 3.12's asyncio.eager_task_factory), ported from CPython's
// Lib/test/test_asyncio/test_eager_task_factory.py (EagerTaskFactoryLoopTests) and the
// eager_start tests of test_tasks.py: the first step runs inside create_task, as the new task
// (current_task(), all_tasks()), up to the first real suspension; a task that never suspends is
// done when create_task returns; what the step raises is kept in the task.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "semantic/support.hpp"

namespace {

namespace asyncio = concurrence::asyncio;
using asyncio::CancelledError;
using semantic::Log;
using semantic::set_flag;
using testing::ElementsAre;

void use_eager_factory() { asyncio::get_running_loop().set_task_factory(asyncio::eager_task_factory); }

bool contains(const std::vector<asyncio::TaskRef>& tasks, const asyncio::TaskRef& t) {
    return std::find(tasks.begin(), tasks.end(), t) != tasks.end();
}

template <class T>
asyncio::TaskRef ref(const asyncio::Task<T>& t) {
    return asyncio::TaskRef(t.core());
}

asyncio::Coro<> noop() { co_return; }

asyncio::Coro<std::string> hello() { co_return "hello"; }

asyncio::Coro<std::string> finished_after_blocking() {
    co_await asyncio::sleep(0.001);
    co_return "finished after blocking";
}

// ---- the factory

asyncio::Coro<> factory_set_main() {
    auto& loop = asyncio::get_running_loop();
    EXPECT_EQ(loop.get_task_factory(), asyncio::TaskFactory::standard);
    use_eager_factory();
    EXPECT_EQ(loop.get_task_factory(), asyncio::eager_task_factory);
    auto t = asyncio::create_task(noop());
    co_await t;
    EXPECT_TRUE(t.done());
}

TEST(EagerTask, EagerTaskFactorySet) {
    // test_eager_task_factory.py test_eager_task_factory_set.
    asyncio::run(factory_set_main());
}

asyncio::Coro<> set_result(asyncio::Future<std::string> fut, std::string val) {
    fut.set_result(std::move(val));
    co_return;
}

asyncio::Coro<std::string> await_future_during_eager_step_main() {
    use_eager_factory();
    auto fut = asyncio::get_running_loop().create_future<std::string>();
    auto t = asyncio::create_task(set_result(fut, "my message"));
    EXPECT_TRUE(t.done());  // the eager step completed the task
    co_return co_await fut;
}

TEST(EagerTask, AwaitFutureDuringEagerStep) {
    // test_eager_task_factory.py test_await_future_during_eager_step.
    EXPECT_EQ(asyncio::run(await_future_during_eager_step_main()), "my message");
}

asyncio::Coro<std::string> eager_completion_main() {
    use_eager_factory();
    auto t = asyncio::create_task(hello());
    EXPECT_TRUE(t.done());  // the eager step completed the task
    EXPECT_EQ(t.result(), "hello");
    co_return co_await t;
}

TEST(EagerTask, EagerCompletion) {
    // test_eager_task_factory.py test_eager_completion.
    EXPECT_EQ(asyncio::run(eager_completion_main()), "hello");
}

asyncio::Coro<int> await_done_future(asyncio::Future<int> fut) { co_return co_await fut; }

asyncio::Coro<int> await_done_future_main() {
    use_eager_factory();
    auto fut = asyncio::get_running_loop().create_future<int>();
    fut.set_result(9);
    auto t = asyncio::create_task(await_done_future(fut));
    EXPECT_TRUE(t.done());  // awaiting a done future does not suspend
    co_return co_await t;
}

TEST(EagerTask, AwaitingADoneFutureInTheEagerStepDoesNotSuspend) {
    // test_eager_task_factory.py test_eager_completion, with `await fut` on a done future
    // (Future.__await__ does not yield when done).
    EXPECT_EQ(asyncio::run(await_done_future_main()), 9);
}

asyncio::Coro<std::string> block_after_eager_step_main() {
    use_eager_factory();
    auto t = asyncio::create_task(finished_after_blocking());
    EXPECT_FALSE(t.done());
    std::string result = co_await t;
    EXPECT_TRUE(t.done());
    co_return result;
}

TEST(EagerTask, BlockAfterEagerStep) {
    // test_eager_task_factory.py test_block_after_eager_step.
    EXPECT_EQ(asyncio::run(block_after_eager_step_main()), "finished after blocking");
}

// ---- cancellation

asyncio::Coro<std::string> finished_without_blocking() { co_return "finished without blocking"; }

asyncio::Coro<std::string> cancellation_after_eager_completion_main() {
    use_eager_factory();
    auto t = asyncio::create_task(finished_without_blocking());
    EXPECT_FALSE(t.cancel());  // a finished task cannot be cancelled
    std::string result = co_await t;
    EXPECT_FALSE(t.cancelled());
    co_return result;
}

TEST(EagerTask, CancellationAfterEagerCompletion) {
    // test_eager_task_factory.py test_cancellation_after_eager_completion.
    EXPECT_EQ(asyncio::run(cancellation_after_eager_completion_main()), "finished without blocking");
}

asyncio::Coro<std::string> cancellation_after_eager_step_blocks_main() {
    use_eager_factory();
    auto t = asyncio::create_task(finished_after_blocking());
    EXPECT_TRUE(t.cancel("cancellation message"));
    EXPECT_GT(t.cancelling(), 0);
    try {
        (void)co_await t;
    } catch (const CancelledError& e) {
        EXPECT_TRUE(t.cancelled());
        co_return e.what();
    }
    co_return "no CancelledError";
}

TEST(EagerTask, CancellationAfterEagerStepBlocks) {
    // test_eager_task_factory.py test_cancellation_after_eager_step_blocks.
    EXPECT_EQ(asyncio::run(cancellation_after_eager_step_blocks_main()), "cancellation message");
}

asyncio::Coro<int> cancel_self_and_return() {
    asyncio::current_task().cancel();
    co_return 12;
}

asyncio::Coro<> cancel_at_end_eager_main() {
    use_eager_factory();
    auto t = asyncio::create_task(cancel_self_and_return());
    EXPECT_TRUE(t.done());
    EXPECT_TRUE(t.cancelled());
    EXPECT_THROW(co_await t, CancelledError);
}

TEST(EagerTask, CancelAtEndOfTheEagerStep) {
    // test_tasks.py test_cancel_at_end, as an eager task: the request made during the step
    // cancels the task that returns right after it.
    asyncio::run(cancel_at_end_eager_main());
}

// ---- current_task() and all_tasks()

asyncio::Coro<> capture_current(asyncio::TaskRef* captured) {
    *captured = asyncio::current_task();
    co_await asyncio::sleep(0.001);
    // The task before and after blocking is the same.
    EXPECT_TRUE(asyncio::current_task() == *captured);
}

asyncio::Coro<> current_task_main() {
    use_eager_factory();
    asyncio::TaskRef me = asyncio::current_task();
    asyncio::TaskRef captured;
    auto t = asyncio::create_task(capture_current(&captured));
    EXPECT_TRUE(captured == ref(t));
    EXPECT_TRUE(asyncio::current_task() == me);  // restored after the eager step
    co_await t;
}

TEST(EagerTask, CurrentTask) {
    // test_eager_task_factory.py test_current_task.
    asyncio::run(current_task_main());
}

asyncio::Coro<> capture_name(std::string* name) {
    *name = asyncio::current_task().get_name();
    co_return;
}

asyncio::Coro<> eager_start_name_main() {
    use_eager_factory();
    std::string name;
    auto t = asyncio::create_task(capture_name(&name), "example");
    EXPECT_TRUE(t.done());
    EXPECT_EQ(name, "example");
    co_await t;
}

TEST(EagerTask, EagerStartTrue) {
    // test_tasks.py test_eager_start_true: the task already has its name during its eager step.
    asyncio::run(eager_start_name_main());
}

asyncio::Coro<> capture_all_tasks(std::vector<asyncio::TaskRef>* captured) {
    *captured = asyncio::all_tasks();
    co_return;
}

asyncio::Coro<> all_tasks_eager_completion_main() {
    use_eager_factory();
    std::vector<asyncio::TaskRef> captured;
    auto t = asyncio::create_task(capture_all_tasks(&captured));
    EXPECT_TRUE(contains(captured, ref(t)));
    EXPECT_FALSE(contains(asyncio::all_tasks(), ref(t)));
    co_await t;
}

TEST(EagerTask, AllTasksWithEagerCompletion) {
    // test_eager_task_factory.py test_all_tasks_with_eager_completion.
    asyncio::run(all_tasks_eager_completion_main());
}

asyncio::Coro<> capture_then_block(std::vector<asyncio::TaskRef>* captured, asyncio::Future<void> fut1,
                                   asyncio::Future<void> fut2) {
    *captured = asyncio::all_tasks();
    co_await fut1;
    fut2.set_result();
}

asyncio::Coro<> all_tasks_with_blocking_main() {
    use_eager_factory();
    auto& loop = asyncio::get_running_loop();
    auto fut1 = loop.create_future();
    auto fut2 = loop.create_future();
    std::vector<asyncio::TaskRef> captured;
    auto t = asyncio::create_task(capture_then_block(&captured, fut1, fut2));
    EXPECT_TRUE(contains(captured, ref(t)));
    EXPECT_TRUE(contains(asyncio::all_tasks(), ref(t)));
    fut1.set_result();
    co_await fut2;
    EXPECT_FALSE(contains(asyncio::all_tasks(), ref(t)));
}

TEST(EagerTask, AllTasksWithBlocking) {
    // test_eager_task_factory.py test_all_tasks_with_blocking.
    asyncio::run(all_tasks_with_blocking_main());
}

// ---- what the eager step raises

asyncio::Coro<int> raise_now() {
    throw concurrence::ValueError("eager boom");
    co_return 0;
}

asyncio::Coro<> exception_in_eager_step_main() {
    use_eager_factory();
    asyncio::Task<int> t;
    EXPECT_NO_THROW(t = asyncio::create_task(raise_now()));  // not thrown out of create_task
    if (!t.core()) co_return;
    EXPECT_TRUE(t.done());
    EXPECT_FALSE(t.cancelled());
    EXPECT_TRUE(semantic::holds<concurrence::ValueError>(t.exception()));
    EXPECT_THROW(co_await t, concurrence::ValueError);
}

TEST(EagerTask, ExceptionInTheEagerStepIsStoredInTheTask) {
    // tasks.py Task.__eager_start: the step runs through __step_run_and_handle_result, which
    // stores the coroutine's exception in the task (super().set_exception(exc)).
    asyncio::run(exception_in_eager_step_main());
}

// ---- ordering

asyncio::Coro<int> two_steps(Log* log) {
    log->push_back("step 1");
    co_await asyncio::sleep(0);
    log->push_back("step 2");
    co_return 3;
}

asyncio::Coro<int> suspending_main(Log* log) {
    use_eager_factory();
    auto t = asyncio::create_task(two_steps(log));
    log->push_back("created");
    EXPECT_FALSE(t.done());
    co_await asyncio::sleep(0);
    log->push_back("main resumed");
    co_return co_await t;
}

TEST(EagerTask, EagerTaskThatSuspendsContinuesLikeAnyTask) {
    // test_eager_task_factory.py test_block_after_eager_step: the rest of the task runs from
    // the ready queue, after the creator yields (here: at the creator's sleep(0)).
    Log log;
    EXPECT_EQ(asyncio::run(suspending_main(&log)), 3);
    EXPECT_THAT(log, ElementsAre("step 1", "created", "step 2", "main resumed"));
}

asyncio::Coro<int> create_in_awaited_coroutine(Log* log) {
    auto t = asyncio::create_task(two_steps(log));
    log->push_back("helper after create");
    int v = co_await t;
    co_return v * 10;
}

asyncio::Coro<int> nested_chain_main(Log* log) {
    use_eager_factory();
    int v = co_await create_in_awaited_coroutine(log);
    log->push_back("main after helper");
    co_return v;
}

TEST(EagerTask, EagerTaskCreatedInsideAnAwaitedCoroutine) {
    // test_eager_task_factory.py test_awaitables_chain: the eager step runs in the middle of
    // the creator's chain of awaited coroutines, which then goes on where it was.
    Log log;
    EXPECT_EQ(asyncio::run(nested_chain_main(&log)), 30);
    EXPECT_THAT(log, ElementsAre("step 1", "helper after create", "step 2", "main after helper"));
}

asyncio::Coro<int> inner_eager(Log* log) {
    log->push_back("inner eager step");
    co_await asyncio::sleep(0);
    log->push_back("inner resumed");
    co_return 2;
}

asyncio::Coro<int> outer_eager(Log* log) {
    asyncio::TaskRef me = asyncio::current_task();
    auto it = asyncio::create_task(inner_eager(log));
    log->push_back("outer after create");
    EXPECT_TRUE(asyncio::current_task() == me);
    EXPECT_FALSE(it.done());
    co_return co_await it + 1;
}

asyncio::Coro<int> nested_eager_main(Log* log) {
    use_eager_factory();
    asyncio::TaskRef me = asyncio::current_task();
    auto ot = asyncio::create_task(outer_eager(log));
    log->push_back("main after create");
    EXPECT_TRUE(asyncio::current_task() == me);
    co_return co_await ot;
}

TEST(EagerTask, EagerTaskCreatedDuringAnotherEagerStep) {
    // tasks.py _swap_current_task around each eager step (test_eager_task_factory.py
    // test_current_task, nested): each step runs as its own task and gives the current task
    // back to its creator.
    Log log;
    EXPECT_EQ(asyncio::run(nested_eager_main(&log)), 3);
    EXPECT_THAT(log, ElementsAre("inner eager step", "outer after create", "main after create", "inner resumed"));
}

asyncio::Coro<> from_callback_main(Log* log) {
    use_eager_factory();
    auto& loop = asyncio::get_running_loop();
    asyncio::Task<int> created;
    loop.call_soon([log, &created] {
        created = asyncio::create_task(two_steps(log));
        log->push_back(asyncio::current_task() ? "current task after create" : "no current task after create");
    });
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    EXPECT_EQ(co_await created, 3);
}

TEST(EagerTask, EagerTaskCreatedFromACallback) {
    // tasks.py Task.__init__: `if eager_start and self._loop.is_running(): self.__eager_start()`
    // (also from a plain callback); afterwards there is no current task again.
    Log log;
    asyncio::run(from_callback_main(&log));
    EXPECT_THAT(log, ElementsAre("step 1", "no current task after create", "step 2"));
}


TEST(EagerTask, NotEagerWhileTheLoopIsNotRunning) {
    // tasks.py Task.__init__: the eager start needs a running loop; otherwise the first step is
    // scheduled with call_soon.
    asyncio::EventLoop loop;
    loop.set_task_factory(asyncio::eager_task_factory);
    bool ran = false;
    auto t = loop.create_task(set_flag(&ran));
    EXPECT_FALSE(ran);
    EXPECT_FALSE(t.done());
    loop.run_until_complete(t);
    EXPECT_TRUE(ran);
}

// ---- gather of eagerly completed children

asyncio::Coro<int> number(int i) { co_return i; }

asyncio::Coro<> eager_gather_main() {
    use_eager_factory();
    auto g = asyncio::gather(number(1), number(2));
    // Python >= 3.12: "in the special case that *all* futures finished eagerly, this will
    // effectively complete the gather eagerly".
    EXPECT_TRUE(g.done());
    auto [a, b] = co_await g;
    EXPECT_EQ(a, 1);
    EXPECT_EQ(b, 2);
}

TEST(EagerTask, GatherOfEagerlyCompletedChildrenIsDoneAtOnce) {
    // test_eager_task_factory.py test_recursive_gather (EagerTests: expected_task_count 0).
    asyncio::run(eager_gather_main());
}

}  // namespace
