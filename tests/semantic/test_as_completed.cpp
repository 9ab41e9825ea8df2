// asyncio::as_completed, ported from CPython's Lib/test/test_asyncio/test_tasks.py
// (test_as_completed*, Python 3.13's version with both iteration styles):
//   plain iterator  `for f in as_completed(aws): await f`   → `for (auto next : ac) co_await next`
//   async iterator  `async for t in as_completed(aws)`      → `while (auto t = co_await ac.next())`
// Completion order, timeouts (TimeoutError for what is left, nothing cancelled), duplicates,
// tasks already done, exceptions, resuming an iterator, and exhaustion.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "semantic/support.hpp"

namespace {

namespace asyncio = concurrence::asyncio;
using asyncio::CancelledError;
using testing::ElementsAre;
using testing::UnorderedElementsAre;

using StrTasks = std::vector<asyncio::Task<std::string>>;
using StrCoros = std::vector<asyncio::Coro<std::string>>;

asyncio::Coro<std::string> sleeper(double delay, std::string x) {
    co_await asyncio::sleep(delay);
    co_return x;
}

asyncio::Coro<std::string> text(std::string s) { co_return s; }

asyncio::Coro<int> number(int i) { co_return i; }

asyncio::Coro<std::string> fail_after(double delay, std::string msg) {
    co_await asyncio::sleep(delay);
    throw concurrence::ValueError(msg);
}

StrCoros three_sleepers() {
    StrCoros cs;
    cs.push_back(sleeper(0.002, "b"));
    cs.push_back(sleeper(0.05, "c"));
    cs.push_back(sleeper(0.001, "a"));
    return cs;
}

// ---- completion order

asyncio::Coro<std::vector<std::string>> completion_order_plain() {
    std::vector<std::string> values;
    for (auto next : asyncio::as_completed(three_sleepers())) values.push_back(co_await next);
    co_return values;
}

asyncio::Coro<std::vector<std::string>> completion_order_async() {
    std::vector<std::string> values;
    auto ac = asyncio::as_completed(three_sleepers());
    while (auto t = co_await ac.next()) values.push_back(co_await *t);
    co_return values;
}

TEST(AsCompleted, AsCompleted) {
    // test_tasks.py test_as_completed (try_iterator and try_async_iterator).
    for (auto* body : {&completion_order_plain, &completion_order_async}) {
        std::vector<std::string> res = asyncio::run(body());
        ASSERT_EQ(res.size(), 3u);
        EXPECT_THAT((std::vector<std::string>{res[0], res[1]}), UnorderedElementsAre("a", "b"));
        EXPECT_EQ(res[2], "c");
    }
}

asyncio::Coro<> same_tasks_in_as_out_main() {
    auto ta = asyncio::create_task(text("a"));
    auto tb = asyncio::create_task(text("b"));
    auto tc = asyncio::create_task(text("c"));
    StrTasks out;
    auto ac = asyncio::as_completed(StrTasks{ta, tb, tc});
    while (auto t = co_await ac.next()) out.push_back(*t);
    // Tasks come back as they are (the same task objects).
    EXPECT_THAT(out, UnorderedElementsAre(ta, tb, tc));

    // Coroutines come back as the tasks made for them.
    std::set<int> results;
    std::vector<asyncio::Coro<int>> cs;
    for (int i = 0; i < 4; ++i) cs.push_back(number(i));
    auto ac2 = asyncio::as_completed(std::move(cs));
    while (auto t = co_await ac2.next()) results.insert(t->result());
    EXPECT_EQ(results, (std::set<int>{0, 1, 2, 3}));
}

TEST(AsCompleted, AsCompletedSameTasksInAsOut) {
    // test_tasks.py test_as_completed_same_tasks_in_as_out.
    asyncio::run(same_tasks_in_as_out_main());
}

// ---- timeouts

asyncio::Coro<std::vector<std::string>> with_timeout_plain() {
    auto a = asyncio::create_task(sleeper(0.001, "a"));
    auto b = asyncio::create_task(sleeper(10, "b"));
    std::vector<std::string> values;
    for (auto next : asyncio::as_completed(StrTasks{a, b}, 0.1)) {
        try {
            values.push_back("1 " + co_await next);
        } catch (const concurrence::TimeoutError&) {
            values.push_back("2 TimeoutError");
        }
    }
    EXPECT_FALSE(b.done());  // nothing is cancelled
    EXPECT_EQ(b.cancelling(), 0);
    b.cancel();
    co_return values;
}

asyncio::Coro<std::vector<std::string>> with_timeout_async() {
    auto a = asyncio::create_task(sleeper(0.001, "a"));
    auto b = asyncio::create_task(sleeper(10, "b"));
    std::vector<std::string> values;
    auto ac = asyncio::as_completed(StrTasks{a, b}, 0.1);
    try {
        while (auto t = co_await ac.next()) values.push_back("1 " + co_await *t);
    } catch (const concurrence::TimeoutError&) {
        values.push_back("2 TimeoutError");
    }
    auto after = co_await ac.next();  // every task was accounted for: StopAsyncIteration
    EXPECT_FALSE(after.has_value());
    EXPECT_FALSE(b.done());
    EXPECT_EQ(b.cancelling(), 0);
    b.cancel();
    co_return values;
}

TEST(AsCompleted, AsCompletedWithTimeout) {
    // test_tasks.py test_as_completed_with_timeout (both iteration styles).
    EXPECT_THAT(asyncio::run(with_timeout_plain()), ElementsAre("1 a", "2 TimeoutError"));
    EXPECT_THAT(asyncio::run(with_timeout_async()), ElementsAre("1 a", "2 TimeoutError"));
}

asyncio::Coro<std::string> unused_timeout_plain() {
    std::string v;
    StrCoros cs;
    cs.push_back(sleeper(0.001, "a"));
    for (auto next : asyncio::as_completed(std::move(cs), 1)) v += co_await next;
    co_return v;
}

asyncio::Coro<std::string> unused_timeout_async() {
    std::string v;
    StrCoros cs;
    cs.push_back(sleeper(0.001, "a"));
    auto ac = asyncio::as_completed(std::move(cs), 1);
    while (auto t = co_await ac.next()) v += co_await *t;
    co_return v;
}

TEST(AsCompleted, AsCompletedWithUnusedTimeout) {
    // test_tasks.py test_as_completed_with_unused_timeout.
    EXPECT_EQ(asyncio::run(unused_timeout_plain()), "a");
    EXPECT_EQ(asyncio::run(unused_timeout_async()), "a");
}

// ---- resuming, duplicates, tasks already done

std::vector<asyncio::Coro<int>> four_numbers() {
    std::vector<asyncio::Coro<int>> cs;
    for (int i = 0; i < 4; ++i) cs.push_back(number(i));
    return cs;
}

asyncio::Coro<std::vector<int>> resume_plain() {
    auto ac = asyncio::as_completed(four_numbers());
    std::vector<int> collected;
    int iterations = 0;
    for (auto next : ac) {
        collected.push_back(co_await next);
        if (++iterations == 2) break;
    }
    EXPECT_EQ(collected.size(), 2u);
    for (auto next : ac) collected.push_back(co_await next);  // resume the same iterator
    co_return collected;
}

asyncio::Coro<std::vector<int>> resume_async() {
    auto ac = asyncio::as_completed(four_numbers());
    std::vector<int> collected;
    int iterations = 0;
    while (auto t = co_await ac.next()) {
        collected.push_back(t->result());
        if (++iterations == 2) break;
    }
    EXPECT_EQ(collected.size(), 2u);
    while (auto t = co_await ac.next()) collected.push_back(t->result());
    co_return collected;
}

TEST(AsCompleted, AsCompletedResumeIterator) {
    // test_tasks.py test_as_completed_resume_iterator.
    EXPECT_THAT(asyncio::run(resume_plain()), UnorderedElementsAre(0, 1, 2, 3));
    EXPECT_THAT(asyncio::run(resume_async()), UnorderedElementsAre(0, 1, 2, 3));
}

asyncio::Coro<std::vector<std::string>> duplicates_plain() {
    auto c = asyncio::create_task(text("ham"));
    std::vector<std::string> result;
    for (auto next : asyncio::as_completed(StrTasks{c, c, asyncio::create_task(text("spam"))}))
        result.push_back(co_await next);
    co_return result;
}

asyncio::Coro<std::vector<std::string>> duplicates_async() {
    auto c = asyncio::create_task(text("ham"));
    std::vector<std::string> result;
    auto ac = asyncio::as_completed(StrTasks{c, c, asyncio::create_task(text("spam"))});
    while (auto t = co_await ac.next()) result.push_back(t->result());
    co_return result;
}

TEST(AsCompleted, AsCompletedDuplicateCoroutines) {
    // test_tasks.py test_as_completed_duplicate_coroutines (a C++ coroutine cannot be passed
    // twice: the same task is): each awaitable once.
    EXPECT_THAT(asyncio::run(duplicates_plain()), UnorderedElementsAre("ham", "spam"));
    EXPECT_THAT(asyncio::run(duplicates_async()), UnorderedElementsAre("ham", "spam"));
}

asyncio::Coro<std::vector<std::string>> already_done_main() {
    auto a = asyncio::create_task(text("a"));
    auto b = asyncio::create_task(text("b"));
    co_await asyncio::sleep(0);
    EXPECT_TRUE(a.done());
    EXPECT_TRUE(b.done());
    std::vector<std::string> out;
    for (auto next : asyncio::as_completed(StrTasks{a, b})) out.push_back(co_await next);
    auto ac = asyncio::as_completed(StrTasks{b, a}, 0);  // a timeout of 0: they are all done already
    while (auto t = co_await ac.next()) out.push_back(t->result());
    co_return out;
}

TEST(AsCompleted, AsCompletedOfTasksAlreadyDone) {
    // test_tasks.py test_as_completed_concurrent with awaitables already done: each is handed
    // out once (their done callbacks are scheduled with call_soon), even with a timeout of 0.
    EXPECT_THAT(asyncio::run(already_done_main()), UnorderedElementsAre("a", "b", "a", "b"));
}

// ---- exceptions

asyncio::Coro<std::vector<std::string>> exceptions_plain() {
    StrCoros cs;
    cs.push_back(sleeper(0.01, "late"));
    cs.push_back(fail_after(0.001, "early failure"));
    std::vector<std::string> out;
    for (auto next : asyncio::as_completed(std::move(cs))) {
        try {
            out.push_back(co_await next);
        } catch (const concurrence::ValueError& e) {
            out.push_back(std::string("raised ") + e.what());
        }
    }
    co_return out;
}

asyncio::Coro<std::vector<std::string>> exceptions_async() {
    StrCoros cs;
    cs.push_back(sleeper(0.01, "late"));
    cs.push_back(fail_after(0.001, "early failure"));
    std::vector<std::string> out;
    auto ac = asyncio::as_completed(std::move(cs));
    while (auto t = co_await ac.next()) {
        // The async form hands out the task itself: its exception stays in it.
        if (std::exception_ptr e = t->exception())
            out.push_back("task failed: " + semantic::what_of(e));
        else
            out.push_back(t->result());
    }
    co_return out;
}

TEST(AsCompleted, ExceptionsComeOutInCompletionOrder) {
    // test_tasks.py test_as_completed: "If a given awaitable raises an exception, the
    // corresponding coroutine raises the same exception" (plain iterator); the async iterator
    // yields the failed task.
    EXPECT_THAT(asyncio::run(exceptions_plain()), ElementsAre("raised early failure", "late"));
    EXPECT_THAT(asyncio::run(exceptions_async()), ElementsAre("task failed: early failure", "late"));
}

// ---- exhaustion

asyncio::Coro<> exhaustion_main() {
    auto ac = asyncio::as_completed(StrTasks{asyncio::create_task(text("only"))});
    EXPECT_EQ(ac.remaining(), 1u);
    auto first = co_await ac.next();
    EXPECT_TRUE(first.has_value());
    if (first) {
        EXPECT_EQ(first->result(), "only");
    }
    EXPECT_EQ(ac.remaining(), 0u);
    EXPECT_FALSE((co_await ac.next()).has_value());
    EXPECT_FALSE((co_await ac.next()).has_value());  // StopAsyncIteration again

    auto empty = asyncio::as_completed(StrTasks{}, 0.01);
    EXPECT_FALSE((co_await empty.next()).has_value());
    int iterations = 0;
    for (auto next : empty) {
        next.close();
        ++iterations;
    }
    EXPECT_EQ(iterations, 0);
}

TEST(AsCompleted, NextAfterExhaustionGivesNullopt) {
    // tasks.py _AsCompletedIterator.__anext__: StopAsyncIteration once _todo_left is 0, and
    // for an empty input at once.
    asyncio::run(exhaustion_main());
}

// ---- the plain iterator yields one coroutine per awaitable, eagerly

StrCoros two_sleepers(double a, double b) {
    StrCoros cs;
    cs.push_back(sleeper(a, "a"));
    cs.push_back(sleeper(b, "b"));
    return cs;
}

// Collects what the plain iterator yields, as Python's list(as_completed(fs)) does; stops at 3
// so that an iterator that never ends does not hang the test.
StrCoros collect_plain(asyncio::AsCompleted<asyncio::Task<std::string>>& ac) {
    StrCoros futs;
    for (auto next : ac) {
        futs.push_back(std::move(next));
        if (futs.size() > 2) break;
    }
    return futs;
}

asyncio::Coro<> reverse_wait_main() {
    auto ac = asyncio::as_completed(two_sleepers(0.005, 0.05));
    StrCoros futs = collect_plain(ac);
    EXPECT_EQ(futs.size(), 2u);
    if (futs.size() != 2) {
        for (auto& f : futs) f.close();
        co_return;
    }
    EXPECT_EQ(co_await futs[1], "a");  // the first awaited gets the first to complete
    EXPECT_EQ(co_await futs[0], "b");
}

TEST(AsCompleted, AsCompletedReverseWait) {
    // test_tasks.py test_as_completed_reverse_wait.
    asyncio::run(reverse_wait_main());
}

asyncio::Coro<std::set<std::string>> concurrent_plain_main() {
    auto ac = asyncio::as_completed(two_sleepers(0.005, 0.005));
    StrCoros futs = collect_plain(ac);
    EXPECT_EQ(futs.size(), 2u);
    if (futs.size() != 2) {
        for (auto& f : futs) f.close();
        co_return {};
    }
    StrTasks tasks;
    for (auto& f : futs) tasks.push_back(asyncio::create_task(std::move(f)));
    auto [done, pending] = co_await asyncio::wait(tasks);
    std::set<std::string> results;
    for (auto& t : done) results.insert(t.result());
    co_return results;
}

TEST(AsCompleted, AsCompletedConcurrentPlainIterator) {
    // test_tasks.py test_as_completed_concurrent (try_iterator): the yielded coroutines can be
    // awaited concurrently.
    EXPECT_EQ(asyncio::run(concurrent_plain_main()), (std::set<std::string>{"a", "b"}));
}

asyncio::Coro<std::set<std::string>> concurrent_async_main() {
    auto ac = asyncio::as_completed(two_sleepers(0.005, 0.005));
    StrTasks futs;
    while (auto t = co_await ac.next()) futs.push_back(*t);
    EXPECT_EQ(futs.size(), 2u);
    auto [done, pending] = co_await asyncio::wait(futs);
    std::set<std::string> results;
    for (auto& t : done) results.insert(t.result());
    co_return results;
}

TEST(AsCompleted, AsCompletedConcurrentAsyncIterator) {
    // test_tasks.py test_as_completed_concurrent (try_async_iterator).
    EXPECT_EQ(asyncio::run(concurrent_async_main()), (std::set<std::string>{"a", "b"}));
}

// ---- a next() whose task is cancelled

asyncio::Coro<> take_one(asyncio::AsCompleted<asyncio::Task<int>>* ac) { (void)co_await ac->next(); }

asyncio::Coro<int> int_after(double delay, int v) {
    co_await asyncio::sleep(delay);
    co_return v;
}

asyncio::Coro<int> cancelled_next_main() {
    auto t1 = asyncio::create_task(int_after(0.005, 1));
    auto t2 = asyncio::create_task(int_after(0.01, 2));
    auto ac = asyncio::as_completed(std::vector<asyncio::Task<int>>{t1, t2});
    auto w = asyncio::create_task(take_one(&ac));
    co_await asyncio::sleep(0);  // w waits in next()
    EXPECT_TRUE(w.cancel());
    EXPECT_THROW(co_await w, CancelledError);
    int handed_out = 0;
    while (auto t = co_await ac.next()) ++handed_out;
    co_return handed_out;
}

TEST(AsCompleted, CancelledNextStillCountsAsOneIteration) {
    // tasks.py _AsCompletedIterator.__anext__ (3.13): `self._todo_left -= 1` then
    // `return await self._wait_for_one()`.
    EXPECT_EQ(asyncio::run(cancelled_next_main()), 1);
}

}  // namespace
