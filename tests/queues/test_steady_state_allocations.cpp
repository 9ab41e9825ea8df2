// Waiting allocates nothing: in the steady state, put/get (waiting or not), lock
// acquire/release with contention, a semaphore, an event and a condition make no heap
// allocation (the waiters are the awaiters, in the coroutine frames; Python allocates a future
// per wait). Counted by replacing the global operator new in this test program.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "concurrence/detail/frame_pool.hpp"
#include "semantic/support.hpp"

#include "allocation_counter.hpp"

namespace {
namespace asyncio = concurrence::asyncio;

struct Primitives {
    asyncio::Queue<int> to_pong{1};
    asyncio::Queue<int> to_ping{1};
    asyncio::Lock lock;
    asyncio::Semaphore sem{1};
    asyncio::Event event;
    asyncio::Condition cond;
    int turn = 0;
};

// Each round: ping holds the lock across a put and a yield, so pong's acquire waits; both
// sides wait in get; the semaphore and the condition are waited on too.
asyncio::Coro<> pong(Primitives& p, int rounds) {
    for (int i = 0; i < rounds; ++i) {
        const int v = co_await p.to_pong.get();
        {
            auto held = co_await p.lock.scoped();  // waits: ping holds it
        }
        {
            auto slot = co_await p.sem.scoped();
        }
        co_await p.event.wait();
        {
            auto held = co_await p.cond.scoped();
            co_await p.cond.wait_for([&] { return p.turn > i; });
        }
        co_await p.to_ping.put(v + 1);
    }
}

TEST(SteadyStateAllocations, WaitingOnQueuesAndLocksAllocatesNothing) {
    // Condition::wait and wait_for are coroutines: their frames come from the frame pool,
    // which AddressSanitizer builds turn off (frames then come from operator new).
    if (!concurrence::detail::pool_enabled) GTEST_SKIP() << "the frame pool is off under AddressSanitizer";
    auto main = []() -> asyncio::Coro<long> {
        Primitives p;
        bool wrong = false;
        constexpr int warm_up = 200;
        constexpr int measured = 2000;
        long before = 0;
        auto other = asyncio::create_task(pong(p, warm_up + measured));
        // The rounds run inline in this one coroutine: a coroutine frame larger than the
        // frame pool's biggest class (512 bytes) would be a heap allocation of its own.
        for (int i = 0; i < warm_up + measured; ++i) {
            if (i == warm_up) before = allocation_counter::allocations.load();
            {
                auto held = co_await p.lock.scoped();
                co_await p.to_pong.put(i);
                co_await asyncio::sleep(0);
                co_await asyncio::sleep(0);
            }
            {
                auto slot = co_await p.sem.scoped();
                co_await asyncio::sleep(0);
            }
            p.event.set();
            co_await asyncio::sleep(0);
            p.event.clear();
            {
                auto held = co_await p.cond.scoped();
                p.turn = i + 1;
                p.cond.notify_all();
            }
            if (co_await p.to_ping.get() != i + 1) wrong = true;
        }
        const long after = allocation_counter::allocations.load();
        co_await other;
        EXPECT_FALSE(wrong);
        co_return after - before;
    };
    EXPECT_EQ(asyncio::run(main()), 0);
}

}  // namespace
