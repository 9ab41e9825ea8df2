// Task.get_stack() / print_stack() (test_tasks.py: test_get_stack, test_print_stack): the
// chain of coroutines a task awaits inline, from its own coroutine inward, and Python's
// "Stack for" / "No stack for" texts.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include <concurrence/asyncio.hpp>

#include "observe/read_back.hpp"

namespace {

namespace asyncio = concurrence::asyncio;
using testing::ElementsAre;
using testing::EndsWith;

// What print_stack writes, through a temporary file.
template <class TaskHandle>
std::string ts_printed(const TaskHandle& task, std::optional<std::size_t> limit = std::nullopt) {
    std::FILE* f = std::tmpfile();
    task.print_stack(limit, f);
    std::string text = observe::read_back(f);
    std::fclose(f);
    return text;
}

std::vector<std::string> ts_functions(const std::vector<asyncio::FrameCallGraphEntry>& stack) {
    std::vector<std::string> out;
    for (const auto& e : stack) out.push_back(e.function);
    return out;
}

unsigned ts_inner_line = 0;
unsigned ts_outer_line = 0;

asyncio::Coro<> ts_inner(asyncio::Event* release) {
    ts_inner_line = __LINE__ + 1;
    co_await release->wait();
}

asyncio::Coro<> ts_outer(asyncio::Event* release) {
    ts_outer_line = __LINE__ + 1;
    co_await ts_inner(release);
}

asyncio::Coro<> ts_suspended_chain() {
    asyncio::Event release;
    asyncio::Task<> t = asyncio::create_task(ts_outer(&release), "chain");
    co_await asyncio::sleep(0);

    const std::vector<asyncio::FrameCallGraphEntry> stack = t.get_stack();
    EXPECT_THAT(ts_functions(stack), ElementsAre("ts_outer", "ts_inner"));
    if (stack.size() == 2) {
        EXPECT_THAT(stack[0].file, EndsWith("test_task_stack.cpp"));
        EXPECT_EQ(stack[0].line, ts_outer_line);
        EXPECT_EQ(stack[1].line, ts_inner_line);
    }
    EXPECT_THAT(ts_functions(t.get_stack(1)), ElementsAre("ts_outer"));  // from the task's own coroutine
    EXPECT_TRUE(t.get_stack(0).empty());

    const std::string file = stack.empty() ? "" : stack[0].file;
    EXPECT_EQ(ts_printed(t), "Stack for " + t.core()->repr() + " (most recent call last):\n" +
                                 "  File \"" + file + "\", line " + std::to_string(ts_outer_line) + ", in ts_outer\n" +
                                 "  File \"" + file + "\", line " + std::to_string(ts_inner_line) + ", in ts_inner\n");
    release.set();
    co_await t;
    EXPECT_TRUE(t.get_stack().empty());
    EXPECT_EQ(ts_printed(t), "No stack for " + t.core()->repr() + "\n");
}

TEST(TaskStack, ASuspendedTaskShowsItsChainFromItsOwnCoroutineInward) {
    asyncio::run(ts_suspended_chain());
}

asyncio::Coro<int> ts_fails() {
    co_await asyncio::sleep(0);
    throw concurrence::ValueError("boom");
}

asyncio::Coro<> ts_failed_task_printed(std::vector<std::string>* reports) {
    asyncio::get_running_loop().set_exception_handler(
        [reports](asyncio::EventLoop&, const asyncio::ExceptionContext& c) { reports->push_back(c.message); });
    {
        asyncio::Task<int> t = asyncio::create_task(ts_fails());
        co_await asyncio::sleep(0);
        co_await asyncio::sleep(0);
        EXPECT_TRUE(t.done());
        EXPECT_EQ(ts_printed(t), "No stack for " + t.core()->repr() + "\nValueError: boom\n");
        EXPECT_TRUE(reports->empty());
    }
    co_await asyncio::sleep(0);
}

TEST(TaskStack, AFailedTaskHasNoStackButItsExceptionLineAndStaysUnretrieved) {
    std::vector<std::string> reports;
    asyncio::run(ts_failed_task_printed(&reports));
    // print_stack did not mark the exception retrieved: dropping the task still reports it.
    EXPECT_THAT(reports, ElementsAre("Task exception was never retrieved"));
}

asyncio::Coro<> ts_asks_itself(std::vector<asyncio::FrameCallGraphEntry>* out, unsigned* line) {
    co_await asyncio::sleep(0);
    *line = __LINE__ + 1;
    *out = asyncio::current_task().get_stack();
}

TEST(TaskStack, TheRunningTaskSeesTheLineItAsksFrom) {
    std::vector<asyncio::FrameCallGraphEntry> stack;
    unsigned line = 0;
    asyncio::run(ts_asks_itself(&stack, &line));
    ASSERT_EQ(stack.size(), 1u);
    EXPECT_EQ(stack[0].function, "ts_asks_itself");
    EXPECT_EQ(stack[0].line, line);
}

}  // namespace
