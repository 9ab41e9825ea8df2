// A primitive destroyed while tasks wait on it (a C++ lifetime bug Python cannot have: main()
// returning while a task waits on one of its locals). Its waiters are orphaned: cancelling
// them touches nothing (ASan checks it), and one that was already woken gets a RuntimeError
// naming the primitive instead of reading freed memory.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>

#include "semantic/support.hpp"

namespace {
namespace asyncio = concurrence::asyncio;
using semantic::error_of;
using semantic::what_of;
using testing::HasSubstr;

TEST(DestroyedWhileWaiting, SemaphoreWaiterCancelledAtRunShutdown) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Semaphore sem(0);
        asyncio::create_task([](asyncio::Semaphore& s) -> asyncio::Coro<> { co_await s.acquire(); }(sem));
        co_await asyncio::sleep(0);
    };
    asyncio::run(main());
}

TEST(DestroyedWhileWaiting, WokenSemaphoreWaiterGetsRuntimeError) {
    auto main = []() -> asyncio::Coro<> {
        auto sem = std::make_unique<asyncio::Semaphore>(0);
        auto t = asyncio::create_task([](asyncio::Semaphore& s) -> asyncio::Coro<> { co_await s.acquire(); }(*sem));
        co_await asyncio::sleep(0);
        sem->release();  // wakes t, which has not run yet
        sem.reset();
        std::exception_ptr e = co_await error_of(t);
        EXPECT_THAT(what_of(e), HasSubstr("asyncio::Semaphore was destroyed while a task waited on it"));
    };
    asyncio::run(main());
}

TEST(DestroyedWhileWaiting, BarrierWaitersCancelledAtRunShutdown) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Barrier barrier(3);
        for (int i = 0; i < 2; ++i)
            asyncio::create_task([](asyncio::Barrier& b) -> asyncio::Coro<> { co_await b.wait(); }(barrier));
        co_await asyncio::sleep(0);
        co_await asyncio::sleep(0);
        EXPECT_EQ(barrier.n_waiting(), 2u);
    };
    asyncio::run(main());
}

TEST(DestroyedWhileWaiting, QueueGetterAndPutterCancelledAtRunShutdown) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Queue<int> empty;
        asyncio::Queue<int> full(1);
        full.put_nowait(1);
        asyncio::create_task([](asyncio::Queue<int>& q) -> asyncio::Coro<> { (void)co_await q.get(); }(empty));
        asyncio::create_task([](asyncio::Queue<int>& q) -> asyncio::Coro<> { co_await q.put(2); }(full));
        auto joiner = asyncio::create_task([](asyncio::Queue<int>& q) -> asyncio::Coro<> { co_await q.join(); }(full));
        co_await asyncio::sleep(0);
    };
    asyncio::run(main());
}

// Woken by a put, then the queue is destroyed before the getter runs: the loop reaches the
// orphaned waiter, which resumes its task with a RuntimeError.
TEST(DestroyedWhileWaiting, WokenQueueGetterGetsRuntimeError) {
    auto main = []() -> asyncio::Coro<> {
        auto q = std::make_unique<asyncio::Queue<int>>();
        auto t = asyncio::create_task([](asyncio::Queue<int>& queue) -> asyncio::Coro<int> { co_return co_await queue.get(); }(*q));
        co_await asyncio::sleep(0);
        q->put_nowait(7);
        q.reset();
        std::exception_ptr e = co_await error_of(t);
        EXPECT_THAT(what_of(e), HasSubstr("asyncio::Queue was destroyed while a task waited on it"));
    };
    asyncio::run(main());
}

}  // namespace
