// contextvars (CPython's Lib/test/test_context.py and test_asyncio/test_context.py, in part):
// ContextVar get/set/reset with Python's errors, Context.run and copy_context, and asyncio
// tasks each running in a copy of the context they were created in.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "semantic/support.hpp"

namespace {

namespace asyncio = concurrence::asyncio;
namespace contextvars = concurrence::contextvars;
using concurrence::LookupError;
using concurrence::RuntimeError;
using concurrence::ValueError;
using testing::ElementsAre;
using testing::HasSubstr;
using testing::MatchesRegex;
using testing::StartsWith;

// ---------------------------------------------------------------- ContextVar

TEST(ContextVar, GetSetResetInTheThreadsContext) {
    contextvars::ContextVar<int> var("cv_basic");
    contextvars::ContextVar<std::string> with_default("cv_default", "none");
    EXPECT_EQ(with_default.get(), "none");
    EXPECT_EQ(var.get(7), 7);
    std::string missing;
    try {
        var.get();
    } catch (const LookupError& e) {
        missing = e.what();
    }
    EXPECT_THAT(missing, MatchesRegex("<ContextVar name='cv_basic' at 0x[0-9a-f]+>"));

    auto first = var.set(1);
    EXPECT_FALSE(first.old_value().has_value());  // Token.MISSING
    auto second = var.set(2);
    EXPECT_EQ(second.old_value(), 1);
    EXPECT_EQ(var.get(), 2);
    var.reset(second);
    EXPECT_EQ(var.get(), 1);
    var.reset(first);
    EXPECT_EQ(var.get(-1), -1);  // unset again
    EXPECT_THROW(var.get(), LookupError);
}

// Python 3.14's `with var.set(x):` is scoped_set: reset at the end of the scope, however it
// is left, nested scopes undone in order.
TEST(ContextVar, ScopedSetResetsWhenTheScopeEnds) {
    contextvars::ContextVar<std::string> var("cv_scoped", "-");
    {
        auto outer = var.scoped_set("a");
        EXPECT_EQ(var.get(), "a");
        EXPECT_EQ(outer.token().old_value(), std::nullopt);  // Token.MISSING
        {
            auto inner = var.scoped_set("b");
            EXPECT_EQ(var.get(), "b");
            EXPECT_EQ(inner.token().old_value(), "a");
        }
        EXPECT_EQ(var.get(), "a");
    }
    EXPECT_EQ(var.get(), "-");
    try {
        auto scope = var.scoped_set("c");
        throw ValueError("leaving by an exception");
    } catch (const ValueError&) {
    }
    EXPECT_EQ(var.get(), "-");
}

TEST(ContextVar, ScopedSetResetEarlyOnce) {
    contextvars::ContextVar<int> var("cv_scoped_early", 0);
    auto scope = var.scoped_set(5);
    scope.reset();
    EXPECT_EQ(var.get(), 0);
    auto again = var.scoped_set(6);
    scope.reset();  // ended already: nothing
    EXPECT_EQ(var.get(), 6);
}

// A scope entered in one context and left in another: reset() raises Python's ValueError; the
// destructor, which cannot throw, reports it.
TEST(ContextVar, ScopedSetLeftInAnotherContext) {
    contextvars::ContextVar<int> var("cv_scoped_ctx", 0);
    contextvars::Context ctx;
    std::optional<contextvars::ScopedSet<int>> scope;
    ctx.run([&] { scope.emplace(var, var.set(1)); });
    try {
        scope->reset();
        ADD_FAILURE() << "no error";
    } catch (const ValueError& e) {
        EXPECT_THAT(e.what(), HasSubstr("was created in a different Context"));
    }
    std::optional<contextvars::ScopedSet<int>> other;
    ctx.run([&] { other.emplace(var, var.set(2)); });
    testing::internal::CaptureStderr();
    other.reset();
    EXPECT_THAT(testing::internal::GetCapturedStderr(),
                HasSubstr("contextvars: the scope of <ContextVar name='cv_scoped_ctx' default=... at 0x"));
}

asyncio::Coro<std::vector<std::string>> cv_scope_across_awaits(contextvars::ContextVar<std::string>& var) {
    std::vector<std::string> seen;
    {
        auto scope = var.scoped_set("in task");
        co_await asyncio::sleep(0);
        seen.push_back(var.get());
    }
    seen.push_back(var.get());
    co_return seen;
}

TEST(ContextVar, ScopedSetAcrossAwaitsInATask) {
    contextvars::ContextVar<std::string> var("cv_scoped_task", "-");
    EXPECT_THAT(asyncio::run(cv_scope_across_awaits(var)), ElementsAre("in task", "-"));
}

TEST(ContextVar, ATokenServesOnceAndOnlyItsVariable) {
    contextvars::ContextVar<int> a("cv_a");
    contextvars::ContextVar<int> b("cv_b");
    auto token = a.set(1);
    std::string other_var;
    try {
        b.reset(token);
    } catch (const ValueError& e) {
        other_var = e.what();
    }
    EXPECT_THAT(other_var, HasSubstr("was created by a different ContextVar"));
    a.reset(token);
    std::string twice;
    try {
        a.reset(token);
    } catch (const RuntimeError& e) {
        twice = e.what();
    }
    EXPECT_THAT(twice, MatchesRegex("<Token var=<ContextVar name='cv_a' at 0x[0-9a-f]+> at 0x[0-9a-f]+> has already been used once"));
}

TEST(ContextVar, ATokenFromAnotherContextIsRefused) {
    contextvars::ContextVar<int> var("cv_other_ctx");
    auto token = var.set(1);
    std::string refused;
    contextvars::Context().run([&] {
        try {
            var.reset(token);
        } catch (const ValueError& e) {
            refused = e.what();
        }
    });
    EXPECT_THAT(refused, HasSubstr("was created in a different Context"));
    var.reset(token);
}

// ---------------------------------------------------------------- Context

TEST(Context, RunKeepsItsChangesInsideAndCopiesAreIndependent) {
    contextvars::ContextVar<int> var("cv_run");
    auto outer = var.set(1);
    contextvars::Context ctx = contextvars::copy_context();
    EXPECT_EQ(ctx.size(), 1u);
    EXPECT_TRUE(ctx.contains(var));
    const int seen = ctx.run([&](int add) {
        EXPECT_EQ(var.get(), 1);
        var.set(10 + add);
        return var.get();
    }, 5);
    EXPECT_EQ(seen, 15);
    EXPECT_EQ(var.get(), 1);   // the thread's context is untouched
    EXPECT_EQ(ctx.get(var), 15);  // the change stayed in ctx
    EXPECT_EQ(ctx.run([&] { return var.get(); }), 15);
    contextvars::Context copy = ctx.copy();
    copy.run([&] { var.set(99); });
    EXPECT_EQ(ctx.get(var), 15);
    EXPECT_EQ(copy.get(var), 99);
    EXPECT_FALSE(contextvars::Context().contains(var));
    var.reset(outer);
}

TEST(Context, EnteringAContextTwiceIsRefused) {
    contextvars::Context ctx;
    std::string refused;
    ctx.run([&] {
        try {
            ctx.run([] {});
        } catch (const RuntimeError& e) {
            refused = e.what();
        }
    });
    EXPECT_THAT(refused, MatchesRegex("cannot enter context: <Context object at 0x[0-9a-f]+> is already entered"));
    ctx.run([] {});  // left properly: enterable again
}

TEST(Context, AnExceptionLeavesTheContext) {
    contextvars::ContextVar<int> var("cv_throw");
    contextvars::Context ctx;
    EXPECT_THROW(ctx.run([&] {
        var.set(3);
        throw ValueError("boom");
    }),
                 ValueError);
    EXPECT_EQ(var.get(0), 0);
    EXPECT_EQ(ctx.get(var), 3);
    ctx.run([] {});
}

// ---------------------------------------------------------------- asyncio tasks

asyncio::Coro<std::string> cv_task_reads(contextvars::ContextVar<std::string>* var) {
    co_await asyncio::sleep(0);
    co_return var->get("unset");
}

asyncio::Coro<std::vector<std::string>> cv_copied_at_creation(contextvars::ContextVar<std::string>* var) {
    var->set("before");
    auto task = asyncio::create_task(cv_task_reads(var));
    var->set("after");  // the task's copy was made at create_task
    std::string in_task = co_await task;  // (g++ 12: no co_await inside a braced list)
    co_return std::vector<std::string>{in_task, var->get()};
}

TEST(ContextTasks, ATaskRunsInACopyMadeAtCreation) {
    contextvars::ContextVar<std::string> var("cv_copy");
    EXPECT_THAT(asyncio::run(cv_copied_at_creation(&var)), ElementsAre("before", "after"));
}

asyncio::Coro<int> cv_sets_and_sleeps(contextvars::ContextVar<int>* var, int value) {
    var->set(value);
    for (int i = 0; i < 3; ++i) {
        co_await asyncio::sleep(0);
        if (var->get() != value) co_return -1;
    }
    co_return var->get();
}

asyncio::Coro<std::vector<int>> cv_siblings(contextvars::ContextVar<int>* var) {
    var->set(0);
    std::vector<asyncio::Task<int>> tasks;
    for (int i = 1; i <= 5; ++i) tasks.push_back(asyncio::create_task(cv_sets_and_sleeps(var, i)));
    std::vector<int> out = co_await asyncio::gather(std::move(tasks));
    out.push_back(var->get());  // the parent's value is its own
    co_return out;
}

TEST(ContextTasks, ConcurrentTasksKeepTheirOwnValues) {
    // CPython's test_asyncio/test_context.py test_context_1.
    contextvars::ContextVar<int> var("cv_siblings");
    EXPECT_THAT(asyncio::run(cv_siblings(&var)), ElementsAre(1, 2, 3, 4, 5, 0));
}

asyncio::Coro<int> cv_grandchild(contextvars::ContextVar<int>* var) { co_return var->get(-1); }

asyncio::Coro<int> cv_child_sets_then_spawns(contextvars::ContextVar<int>* var) {
    var->set(42);
    co_return co_await asyncio::create_task(cv_grandchild(var));
}

asyncio::Coro<std::vector<int>> cv_nested(contextvars::ContextVar<int>* var) {
    const int from_grandchild = co_await asyncio::create_task(cv_child_sets_then_spawns(var));
    co_return std::vector<int>{from_grandchild, var->get(-1)};
}

TEST(ContextTasks, ATaskCreatedInATaskInheritsItsValuesAndNothingLeaksUp) {
    contextvars::ContextVar<int> var("cv_nested");
    EXPECT_THAT(asyncio::run(cv_nested(&var)), ElementsAre(42, -1));
}

asyncio::Coro<std::vector<int>> cv_eager(contextvars::ContextVar<int>* var) {
    asyncio::get_running_loop().set_task_factory(asyncio::eager_task_factory);
    var->set(5);
    auto task = asyncio::create_task(cv_sets_and_sleeps(var, 6));  // its first step runs here
    const int parent_meanwhile = var->get();
    const int in_task = co_await task;
    co_return std::vector<int>{in_task, parent_meanwhile};
}

TEST(ContextTasks, AnEagerTaskRunsInItsOwnCopyToo) {
    contextvars::ContextVar<int> var("cv_eager");
    EXPECT_THAT(asyncio::run(cv_eager(&var)), ElementsAre(6, 5));
}

asyncio::AsyncGenerator<int> cv_generator(contextvars::ContextVar<int>* var) {
    co_yield var->get(-1);
    var->set(8);  // the consumer's task context: the body runs inline in it
    co_yield var->get(-1);
}

asyncio::Coro<std::vector<int>> cv_generator_main(contextvars::ContextVar<int>* var) {
    var->set(7);
    std::vector<int> out;
    auto gen = cv_generator(var);
    while (auto v = co_await gen.next()) out.push_back(*v);
    out.push_back(var->get());
    co_return out;
}

TEST(ContextTasks, AnAsyncGeneratorSeesItsConsumersContext) {
    contextvars::ContextVar<int> var("cv_generator");
    EXPECT_THAT(asyncio::run(cv_generator_main(&var)), ElementsAre(7, 8, 8));
}

asyncio::Coro<> cv_set_in_main(contextvars::ContextVar<int>* var) {
    var->set(1);
    co_return;
}

TEST(ContextTasks, WhatAsyncioRunsMainSetsStaysInItsTask) {
    contextvars::ContextVar<int> var("cv_main");
    asyncio::run(cv_set_in_main(&var));
    EXPECT_EQ(var.get(-1), -1);  // the thread's own context
}

// ---------------------------------------------------------------- callbacks

asyncio::Coro<std::vector<std::string>> cv_callbacks(contextvars::ContextVar<std::string>* var) {
    auto& loop = asyncio::get_running_loop();
    std::vector<std::string> seen;
    var->set("at call_soon");
    loop.call_soon([&] { seen.push_back("soon: " + var->get("unset")); });
    var->set("at call_later");
    loop.call_later(0.001, [&] { seen.push_back("later: " + var->get("unset")); });
    var->set("at add_done_callback");
    asyncio::Future<int> fut = loop.create_future<int>();
    fut.add_done_callback([&] { seen.push_back("done: " + var->get("unset")); });
    var->set("changed since");
    fut.set_result(1);
    co_await asyncio::sleep(0.02);
    co_return seen;
}

TEST(ContextCallbacks, ACallbackRunsInTheContextItWasScheduledIn) {
    // Python's Handle and Future.add_done_callback capture copy_context() when called.
    contextvars::ContextVar<std::string> var("cv_callbacks");
    EXPECT_THAT(asyncio::run(cv_callbacks(&var)),
                ElementsAre("soon: at call_soon", "done: at add_done_callback", "later: at call_later"));
}

TEST(ContextCallbacks, WhatACallbackSetsStaysInItsCopy) {
    contextvars::ContextVar<int> var("cv_callback_sets");
    asyncio::EventLoop loop;
    auto token = var.set(1);
    int inside = 0;
    loop.call_soon([&] {
        var.set(2);
        inside = var.get();
    });
    semantic::run_once(loop);
    EXPECT_EQ(inside, 2);
    EXPECT_EQ(var.get(), 1);
    var.reset(token);
    loop.close();
}

// ---------------------------------------------------------------- a context given

asyncio::Coro<int> cv_reads_then_sets(contextvars::ContextVar<int>* var) {
    const int seen = var->get(-1);
    var->set(seen + 100);
    co_return seen;
}

asyncio::Coro<std::vector<int>> cv_given_context(contextvars::ContextVar<int>* var) {
    var->set(1);
    contextvars::Context ctx;  // empty: not the creator's
    ctx.run([&] { var->set(5); });
    const int in_task = co_await asyncio::create_task(cv_reads_then_sets(var), "given", ctx);
    std::vector<int> out{in_task, ctx.get(*var).value_or(-1), var->get()};
    auto& loop = asyncio::get_running_loop();
    loop.call_soon([&] { out.push_back(var->get(-1)); }, ctx);
    loop.call_later(0.001, [&] { out.push_back(var->get(-1) + 1000); }, ctx);
    loop.call_soon_threadsafe([&] { out.push_back(var->get(-1) + 2000); }, ctx);
    co_await asyncio::sleep(0.01);
    co_return out;
}

TEST(ContextGiven, ATaskOrACallbackGivenAContextRunsInItItself) {
    // Python's create_task(coro, context=ctx) and call_soon(cb, context=ctx): not a copy.
    contextvars::ContextVar<int> var("cv_given");
    EXPECT_THAT(asyncio::run(cv_given_context(&var)), ElementsAre(5, 105, 1, 105, 2105, 1105));
}

}  // namespace
