// CPython's QueuePutTests (test_queues.py), plus the put-side cancellation cases.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "queues/queue_support.hpp"

namespace {

using namespace queues_test;

TEST(QueuePut, BlockingPut) {
    auto body = []() -> asyncio::Coro<int> {
        asyncio::Queue<int> q;
        co_await q.put(1);  // no maxsize: does not block
        co_return co_await q.get();
    };
    EXPECT_EQ(asyncio::run(body()), 1);
}

TEST(QueuePut, BlockingPutWait) {
    auto body = []() -> asyncio::Coro<> {
        asyncio::Queue<int> q(1);
        asyncio::Event started;
        bool finished = false;
        auto queue_put = [&]() -> asyncio::Coro<> {
            started.set();
            co_await q.put(1);
            co_await q.put(2);
            finished = true;
        };
        asyncio::get_running_loop().call_later(0.01, [&q] { (void)q.get_nowait(); });
        auto t = asyncio::create_task(queue_put());
        co_await started.wait();
        EXPECT_FALSE(finished);
        co_await t;
        EXPECT_TRUE(finished);
        EXPECT_EQ(q.get_nowait(), 2);
    };
    asyncio::run(body());
}

TEST(QueuePut, NonblockingPut) {
    asyncio::Queue<int> q;
    q.put_nowait(1);
    EXPECT_EQ(q.get_nowait(), 1);
}

TEST(QueuePut, NonblockingPutException) {
    asyncio::Queue<int> q(1);
    q.put_nowait(1);
    EXPECT_THROW(q.put_nowait(2), asyncio::QueueFull);
    EXPECT_EQ(q.qsize(), 1u);
}

// test_put_cancel_drop: a putter woken for a free slot and cancelled before it runs does not
// put; the retried put does, once.
TEST(QueuePut, PutCancelDrop) {
    auto body = []() -> asyncio::Coro<> {
        asyncio::Queue<int> q(1);
        q.put_nowait(1);
        auto writer = put_task(q, 2);  // has to block (qsize = 1)
        co_await asyncio::sleep(0);
        EXPECT_EQ(q.get_nowait(), 1);
        writer.cancel();
        bool cancelled = false;
        try {
            co_await writer;
        } catch (const asyncio::CancelledError&) {
            cancelled = true;  // (no co_await inside a handler in C++)
        }
        if (cancelled) {
            writer = put_task(q, 2);  // try again
            co_await writer;
        }
        EXPECT_EQ(q.get_nowait(), 2);
        EXPECT_EQ(q.qsize(), 0u);
    };
    asyncio::run(body());
}

// test_put_cancelled (a misnomer kept from Python): a put into an unbounded queue, got.
TEST(QueuePut, PutCancelled) {
    auto body = []() -> asyncio::Coro<> {
        asyncio::Queue<int> q;
        auto queue_put = [&]() -> asyncio::Coro<bool> {
            co_await q.put(1);
            co_return true;
        };
        auto t = asyncio::create_task(queue_put());
        EXPECT_EQ(co_await q.get(), 1);
        EXPECT_TRUE(t.done());
        EXPECT_TRUE(t.result());
    };
    asyncio::run(body());
}

TEST(QueuePut, PutCancelledRace) {
    auto body = []() -> asyncio::Coro<> {
        asyncio::Queue<std::string> q(1);
        auto put_a = put_task(q, "a");
        auto put_b = put_task(q, "b");
        auto put_c = put_task(q, "X");
        co_await asyncio::sleep(0);
        EXPECT_TRUE(put_a.done());
        EXPECT_FALSE(put_b.done());
        put_c.cancel();
        co_await asyncio::sleep(0);
        EXPECT_TRUE(put_c.done());
        EXPECT_TRUE(put_c.cancelled());
        EXPECT_EQ(q.get_nowait(), "a");
        co_await asyncio::sleep(0);
        EXPECT_EQ(q.get_nowait(), "b");
        co_await put_b;
        EXPECT_TRUE(q.empty());  // "X" was never put
    };
    asyncio::run(body());
}

TEST(QueuePut, PutWithWaitingGetters) {
    auto body = []() -> asyncio::Coro<> {
        asyncio::Queue<std::string> q;
        auto t = get_task(q);
        co_await asyncio::sleep(0);
        co_await q.put("a");
        EXPECT_EQ(co_await t, "a");
    };
    asyncio::run(body());
}

// test_why_are_putters_waiting: four putters into two slots, a getter that empties the queue
// once; every putter finishes.
TEST(QueuePut, WhyArePuttersWaiting) {
    auto body = []() -> asyncio::Coro<> {
        asyncio::Queue<int> q(2);
        auto getter = [&]() -> asyncio::Coro<> {
            co_await asyncio::sleep(0);
            const std::size_t num = q.qsize();
            for (std::size_t i = 0; i < num; ++i) (void)q.get_nowait();
        };
        auto g = asyncio::create_task(getter());
        std::vector<asyncio::Task<void>> putters;
        for (int i = 0; i < 4; ++i) putters.push_back(put_task(q, i));
        co_await g;
        co_await asyncio::wait_for(asyncio::gather(putters), 5.0);  // bound, not measured
        EXPECT_EQ(q.qsize(), 2u);
        EXPECT_EQ(q.get_nowait(), 2);
        EXPECT_EQ(q.get_nowait(), 3);
    };
    asyncio::run(body());
}

TEST(QueuePut, CancelledPutsNotBeingHeldInSelfPutters) {
    auto body = []() -> asyncio::Coro<> {
        asyncio::Queue<int> q(1);
        q.put_nowait(1);
        auto put = put_task(q, 1);
        co_await asyncio::sleep(0);
        EXPECT_NE(q.repr().find("_putters[1]"), std::string::npos) << q.repr();
        put.cancel();
        EXPECT_TRUE(co_await ends_cancelled(put));
        EXPECT_EQ(q.repr().find("_putters"), std::string::npos) << q.repr();
        // A new get frees the slot for nobody: the queue is just empty after it.
        EXPECT_EQ(q.get_nowait(), 1);
        EXPECT_TRUE(q.empty());
    };
    asyncio::run(body());
}

// test_cancelled_put_silence_value_error_exception: get_nowait() wakes the putter (removing it
// from the putters), then the putter is cancelled: it ends with CancelledError, nothing else.
TEST(QueuePut, CancelledPutSilenceValueErrorException) {
    auto body = []() -> asyncio::Coro<> {
        asyncio::Queue<int> q(1);
        q.put_nowait(1);
        auto put = put_task(q, 2);
        co_await asyncio::sleep(0);
        EXPECT_EQ(q.get_nowait(), 1);
        put.cancel();
        std::exception_ptr e = co_await error_of(put);
        EXPECT_TRUE(holds<asyncio::CancelledError>(e)) << what_of(e);
        EXPECT_TRUE(q.empty());  // the cancelled put did not put
    };
    asyncio::run(body());
}

// The woken putter's wake-up passes on to the next putter when it is cancelled before it runs.
TEST(QueuePut, CancelledWokenPutterPassesSlotToNext) {
    auto body = []() -> asyncio::Coro<> {
        asyncio::Queue<int> q(1);
        q.put_nowait(0);
        auto p1 = put_task(q, 1);
        auto p2 = put_task(q, 2);
        co_await asyncio::sleep(0);
        EXPECT_EQ(q.get_nowait(), 0);  // wakes p1
        p1.cancel();
        EXPECT_TRUE(co_await ends_cancelled(p1));
        co_await asyncio::wait_for(p2, 5.0);  // bound, not measured
        EXPECT_EQ(q.get_nowait(), 2);
        EXPECT_TRUE(q.empty());
    };
    asyncio::run(body());
}

// Waiting putters put in the order they started waiting.
TEST(QueuePut, WaitingPuttersServedInOrder) {
    auto body = []() -> asyncio::Coro<> {
        asyncio::Queue<int> q(1);
        q.put_nowait(0);
        std::vector<asyncio::Task<void>> putters;
        for (int i = 1; i <= 4; ++i) {
            putters.push_back(put_task(q, i));
            co_await asyncio::sleep(0);
        }
        std::vector<int> got;
        for (int i = 0; i < 5; ++i) got.push_back(co_await q.get());
        EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3, 4}));
        for (auto& p : putters) co_await p;
    };
    asyncio::run(body());
}

// A put that times out under wait_for does not put its item.
TEST(QueuePut, PutTimedOutUnderWaitForDoesNotPut) {
    auto body = []() -> asyncio::Coro<> {
        asyncio::Queue<int> q(1);
        q.put_nowait(1);
        auto e = co_await error_of(asyncio::wait_for(q.put(2), 0.01));
        EXPECT_TRUE(holds<asyncio::TimeoutError>(e)) << what_of(e);
        EXPECT_EQ(q.qsize(), 1u);
        EXPECT_EQ(q.get_nowait(), 1);
        EXPECT_TRUE(q.empty());
        EXPECT_EQ(q.repr().find("_putters"), std::string::npos) << q.repr();
    };
    asyncio::run(body());
}

}  // namespace

namespace {

using namespace queues_test;

// Python 3.12+: wait_for(q.put(x), t) awaits q.put(x) directly (no inner task): a put that
// ends with CancelledError did not put x, whatever the delay between the free slot and the
// cancel.
TEST(QueuePut, WaitForPutCancelledAfterAnyDelayDoesNotPut) {
    for (int delay = 0; delay < 4; ++delay) {
        auto body = [delay]() -> asyncio::Coro<> {
            asyncio::Queue<int> q(1);
            q.put_nowait(0);
            auto producer = [&]() -> asyncio::Coro<> { co_await asyncio::wait_for(q.put(1), 100.0); };
            auto t = asyncio::create_task(producer());
            co_await yield_n(2);
            EXPECT_EQ(q.get_nowait(), 0);  // frees the slot: wakes the putter
            co_await yield_n(delay);
            t.cancel();
            std::exception_ptr e = co_await error_of(t);
            if (holds<asyncio::CancelledError>(e)) {
                EXPECT_TRUE(q.empty()) << "delay " << delay << ": a cancelled put put its item";
            } else {
                EXPECT_FALSE(e) << what_of(e);
                EXPECT_EQ(q.qsize(), 1u);
            }
        };
        asyncio::run(body());
    }
}

}  // namespace
