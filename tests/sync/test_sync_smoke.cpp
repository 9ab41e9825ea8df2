// First contact with each primitive: the happy path, end to end.
#include <gtest/gtest.h>

#include "semantic/support.hpp"

namespace {
namespace asyncio = concurrence::asyncio;

TEST(SyncSmoke, LockSerializesTasksInFifoOrder) {
    semantic::Log log;
    auto main = [&]() -> asyncio::Coro<> {
        asyncio::Lock lock;
        auto worker = [&](std::string name) -> asyncio::Coro<> {
            auto held = co_await lock.scoped();
            log.push_back(name + " in");
            co_await asyncio::sleep(0);
            log.push_back(name + " out");
        };
        co_await asyncio::gather(worker("a"), worker("b"), worker("c"));
        EXPECT_FALSE(lock.locked());
    };
    asyncio::run(main());
    EXPECT_EQ(log, (semantic::Log{"a in", "a out", "b in", "b out", "c in", "c out"}));
}

TEST(SyncSmoke, QueuePingPong) {
    auto main = []() -> asyncio::Coro<int> {
        asyncio::Queue<int> ping(1), pong(1);
        auto echo = [&]() -> asyncio::Coro<> {
            for (int i = 0; i < 1000; ++i) co_await pong.put(co_await ping.get() + 1);
        };
        auto t = asyncio::create_task(echo());
        int sum = 0;
        for (int i = 0; i < 1000; ++i) {
            co_await ping.put(i);
            sum += co_await pong.get();
        }
        co_await t;
        co_return sum;
    };
    EXPECT_EQ(asyncio::run(main()), 1000 * 999 / 2 + 1000);
}

TEST(SyncSmoke, EventSemaphoreConditionBarrier) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Event ev;
        asyncio::Semaphore sem(2);
        asyncio::Condition cond;
        asyncio::Barrier barrier(3);
        int ready = 0;
        auto waiter = [&]() -> asyncio::Coro<std::size_t> {
            co_await ev.wait();
            {
                auto held = co_await sem.scoped();
                co_await asyncio::sleep(0);
            }
            {
                auto held = co_await cond.scoped();
                ++ready;
                cond.notify_all();
                co_await cond.wait_for([&] { return ready == 3; });
            }
            co_return co_await barrier.wait();
        };
        auto a = asyncio::create_task(waiter());
        auto b = asyncio::create_task(waiter());
        auto c = asyncio::create_task(waiter());
        co_await asyncio::sleep(0);
        ev.set();
        auto [x, y, z] = co_await asyncio::gather(a, b, c);
        EXPECT_EQ(x + y + z, 3u);
    };
    asyncio::run(main());
}

}  // namespace

namespace {
namespace asyncio = concurrence::asyncio;

// Python's `await asyncio.wait_for(q.get(), 0.01)`: any awaiter runs in a task of its own.
TEST(SyncSmoke, AwaitersWorkInWaitForAndGather) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Queue<int> q;
        asyncio::Lock lock;
        co_await lock.acquire();
        std::exception_ptr e = co_await semantic::error_of(asyncio::wait_for(q.get(), 0.01));
        EXPECT_TRUE(asyncio::exception_is<concurrence::TimeoutError>(e));
        e = co_await semantic::error_of(asyncio::wait_for(lock.acquire(), 0.01));
        EXPECT_TRUE(asyncio::exception_is<concurrence::TimeoutError>(e));
        EXPECT_EQ(q.qsize(), 0u);
        lock.release();
        q.put_nowait(7);
        auto [v, acquired] = co_await asyncio::gather(q.get(), lock.acquire());
        EXPECT_EQ(v, 7);
        EXPECT_TRUE(acquired);
        EXPECT_TRUE(lock.locked());
    };
    asyncio::run(main());
}

}  // namespace

namespace {
namespace asyncio = concurrence::asyncio;

// Python's asyncio.create_task(lock.acquire()) and create_task(q.get()): an awaiter runs in a
// task of its own.
TEST(SyncSmoke, CreateTaskOfAnAwaiter) {
    auto main = []() -> asyncio::Coro<> {
        asyncio::Lock lock;
        asyncio::Queue<int> q;
        co_await lock.acquire();
        asyncio::Task<bool> acquirer = asyncio::create_task(lock.acquire(), "acquirer");
        asyncio::Task<int> getter = asyncio::create_task(q.get());
        co_await asyncio::sleep(0);
        EXPECT_FALSE(acquirer.done());
        EXPECT_EQ(acquirer.get_name(), "acquirer");
        lock.release();
        q.put_nowait(5);
        EXPECT_TRUE(co_await acquirer);
        EXPECT_EQ(co_await getter, 5);
        EXPECT_TRUE(lock.locked());
    };
    asyncio::run(main());
}

}  // namespace
