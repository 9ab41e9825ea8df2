// contextvars across threads: asyncio.to_thread runs its function in a copy of the caller's
// context (Python's), run_in_executor does not (nor does Python's), and a new thread starts
// with an empty context (Python's default, threads not inheriting it).
#include <gtest/gtest.h>

#include <concurrence/asyncio.hpp>
#include <concurrence/contextvars.hpp>
#include <concurrence/threading.hpp>
#include <string>
#include <vector>

namespace {

namespace asyncio = concurrence::asyncio;
namespace contextvars = concurrence::contextvars;
namespace threading = concurrence::threading;

int ctx_read_and_set(contextvars::ContextVar<int>* var) {
    const int seen = var->get(-1);
    var->set(100);  // in the copy: the caller does not see it
    return seen;
}

asyncio::Coro<std::vector<int>> ctx_to_thread(contextvars::ContextVar<int>* var) {
    var->set(7);
    const int in_to_thread = co_await asyncio::to_thread(&ctx_read_and_set, var);
    const int in_executor = co_await asyncio::get_running_loop().run_in_executor(nullptr, &ctx_read_and_set, var);
    co_return std::vector<int>{in_to_thread, in_executor, var->get()};
}

TEST(ContextThreads, ToThreadRunsInACopyOfTheCallersContext) {
    contextvars::ContextVar<int> var("ctx_to_thread");
    const std::vector<int> out = asyncio::run(ctx_to_thread(&var));
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[0], 7);    // to_thread: the caller's value
    EXPECT_NE(out[1], 7);    // run_in_executor: the worker thread's own context
    EXPECT_EQ(out[2], 7);    // nothing leaked back
}

TEST(ContextThreads, ANewThreadStartsWithAnEmptyContext) {
    contextvars::ContextVar<int> var("ctx_thread");
    auto token = var.set(1);
    int seen = 0;
    int after_set = 0;
    threading::Thread t([&] {
        seen = var.get(-1);
        var.set(2);
        after_set = var.get();
    });
    t.start();
    t.join();
    EXPECT_EQ(seen, -1);
    EXPECT_EQ(after_set, 2);
    EXPECT_EQ(var.get(), 1);
    var.reset(token);
}

TEST(ContextThreads, AThreadGivenAContextRunsInIt) {
    // Python 3.14's Thread(context=): copy_context() to start from the caller's values.
    contextvars::ContextVar<int> var("ctx_thread_given");
    auto token = var.set(1);
    contextvars::Context given = contextvars::copy_context();
    int seen = 0;
    threading::Thread t({.context = given}, [&] {
        seen = var.get(-1);
        var.set(2);
    });
    t.start();
    t.join();
    EXPECT_EQ(seen, 1);
    EXPECT_EQ(given.get(var), 2);  // the thread ran in `given` itself
    EXPECT_EQ(var.get(), 1);
    var.reset(token);
}

}  // namespace
