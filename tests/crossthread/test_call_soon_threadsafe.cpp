// call_soon_threadsafe and loops in several threads (run under ThreadSanitizer too).
// No sleep is used to synchronise: threads meet through latches, condition variables and
// the loop itself; bounds on time are upper bounds of seconds, only to catch a hang.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <concurrence/asyncio.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <ctime>
#include <future>
#include <latch>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace asyncio = concurrence::asyncio;
using namespace std::chrono_literals;
using testing::ElementsAre;

constexpr int kThreads = 4;
constexpr int kPerThread = 10'000;
constexpr int kTotal = kThreads * kPerThread;

// What the loop thread observed; only the loop thread writes it while it runs.
struct Tally {
    std::vector<int> runs = std::vector<int>(kTotal, 0);
    std::vector<int> last_index = std::vector<int>(kThreads, -1);  // per producer, for FIFO
    int fifo_violations = 0;
    int count = 0;

    void record(int producer, int i) {
        ++runs[static_cast<std::size_t>(producer * kPerThread + i)];
        if (i <= last_index[static_cast<std::size_t>(producer)]) ++fifo_violations;
        last_index[static_cast<std::size_t>(producer)] = i;
        ++count;
    }
};

// Starts kThreads producers that each post kPerThread callbacks once released by `go`.
// The callback that brings the count to kTotal calls `on_last`.
template <class OnLast>
std::vector<std::thread> start_producers(asyncio::EventLoop& loop, Tally& tally, std::latch& go, OnLast on_last) {
    std::vector<std::thread> producers;
    for (int p = 0; p < kThreads; ++p) {
        producers.emplace_back([&loop, &tally, &go, on_last, p] {
            go.arrive_and_wait();
            for (int i = 0; i < kPerThread; ++i) {
                loop.call_soon_threadsafe([&tally, on_last, p, i] {
                    tally.record(p, i);
                    if (tally.count == kTotal) on_last();
                });
            }
        });
    }
    return producers;
}

void expect_all_exactly_once(const Tally& tally) {
    EXPECT_EQ(tally.count, kTotal);
    EXPECT_EQ(tally.fifo_violations, 0);
    int wrong = 0;
    for (int r : tally.runs) wrong += r != 1;
    EXPECT_EQ(wrong, 0) << "callbacks run zero times or more than once";
}

TEST(CallSoonThreadsafe, ManyThreadsIntoRunForeverEveryCallbackRunsOnce) {
    asyncio::EventLoop loop;
    Tally tally;
    std::latch go(kThreads + 1);
    auto producers = start_producers(loop, tally, go, [&loop] { loop.stop(); });
    // The loop has no timer and nothing ready: it blocks until the posts wake it.
    loop.call_soon([&go] { go.count_down(); });
    loop.run_forever();
    for (auto& t : producers) t.join();
    expect_all_exactly_once(tally);
}

asyncio::Coro<> long_sleeper() { co_await asyncio::sleep(60); }

asyncio::Coro<> wait_for_all(asyncio::Future<void> all_done, std::latch* go) {
    auto sleeper = asyncio::create_task(long_sleeper());  // a long timer: the poll timeout is long
    go->count_down();
    co_await all_done;
    sleeper.cancel();
}

TEST(CallSoonThreadsafe, ManyThreadsIntoALoopInALongSleepEveryCallbackRunsOnce) {
    asyncio::EventLoop loop;
    Tally tally;
    std::latch go(kThreads + 1);
    auto all_done = loop.create_future<void>();
    // A pointer, not a copy: a Future's handle count belongs to the loop's thread.
    auto* done = &all_done;
    auto producers = start_producers(loop, tally, go, [done] { done->set_result(); });
    loop.run_until_complete(wait_for_all(all_done, &go));
    for (auto& t : producers) t.join();
    expect_all_exactly_once(tally);
}

TEST(CallSoonThreadsafe, PostsMadeBeforeTheLoopRunsAreKept) {
    asyncio::EventLoop loop;
    std::vector<int> seen;
    std::thread producer([&] {
        for (int i = 0; i < 100; ++i) loop.call_soon_threadsafe([&seen, i] { seen.push_back(i); });
    });
    producer.join();
    loop.call_soon_threadsafe([&loop] { loop.stop(); });
    loop.run_forever();
    ASSERT_EQ(seen.size(), 100u);
    for (int i = 0; i < 100; ++i) EXPECT_EQ(seen[static_cast<std::size_t>(i)], i);
}

TEST(CallSoonThreadsafe, WakesALoopBlockedWithNoTimersPromptly) {
    asyncio::EventLoop loop;
    std::promise<void> running;
    loop.call_soon([&running] { running.set_value(); });
    std::chrono::steady_clock::time_point posted;
    std::thread waker([&] {
        running.get_future().wait();  // the loop ran its first callback; it then blocks
        posted = std::chrono::steady_clock::now();
        loop.call_soon_threadsafe([&loop] { loop.stop(); });
    });
    loop.run_forever();
    const auto returned = std::chrono::steady_clock::now();
    waker.join();
    EXPECT_LT(returned - posted, 10s);
}

// CPU time the calling thread has used.
std::chrono::nanoseconds thread_cpu_time() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

// "No busy loop": between posts, the loop thread sleeps in its poller. Posts arrive every few
// milliseconds; over the run, the loop thread's CPU time stays a small fraction of the time
// that passed (a spinning loop would use nearly all of its share, even on a loaded machine).
TEST(CallSoonThreadsafe, ALoopWaitingForPostsSleepsInsteadOfSpinning) {
    constexpr int posts = 40;
    asyncio::EventLoop loop;
    std::chrono::nanoseconds cpu_at_start{}, cpu_at_end{};
    std::chrono::steady_clock::time_point wall_at_start, wall_at_end;
    std::promise<void> running;
    loop.call_soon([&] {
        cpu_at_start = thread_cpu_time();
        wall_at_start = std::chrono::steady_clock::now();
        running.set_value();
    });
    int seen = 0;
    std::thread poster([&] {
        running.get_future().wait();
        for (int i = 0; i < posts; ++i) {
            std::this_thread::sleep_for(5ms);  // idle time for the loop, not synchronisation
            loop.call_soon_threadsafe([&seen] { ++seen; });
        }
        loop.call_soon_threadsafe([&] {
            cpu_at_end = thread_cpu_time();
            wall_at_end = std::chrono::steady_clock::now();
            loop.stop();
        });
    });
    loop.run_forever();
    poster.join();
    EXPECT_EQ(seen, posts);
    const auto cpu = cpu_at_end - cpu_at_start;
    const auto wall = wall_at_end - wall_at_start;
    EXPECT_LT(cpu * 5, wall) << "loop thread used " << cpu.count() << " ns of CPU in " << wall.count() << " ns";
}

TEST(CallSoonThreadsafe, PingPongWithABlockedLoopLosesNoWakeup) {
    // Each ping is posted only after the loop answered the previous one, so most arrive while
    // the loop is blocked in its poller with no timer. A lost wake-up would hang: a watchdog
    // reports it (and re-posts, so the test ends).
    constexpr int rounds = 2000;
    asyncio::EventLoop loop;
    std::mutex m;
    std::condition_variable cv;
    int answered = 0;  // guarded by m
    bool finished = false;
    int pings = 0;  // loop thread only

    std::thread pinger([&] {
        for (int r = 0; r < rounds; ++r) {
            {
                std::unique_lock lock(m);
                cv.wait(lock, [&] { return answered == r; });
            }
            loop.call_soon_threadsafe([&] {
                ++pings;
                {
                    std::lock_guard lock(m);
                    ++answered;
                }
                cv.notify_all();
                if (pings == rounds) loop.stop();
            });
        }
    });
    std::atomic<bool> watchdog_fired{false};
    std::thread watchdog([&] {
        std::unique_lock lock(m);
        if (!cv.wait_for(lock, 60s, [&] { return finished; })) {
            watchdog_fired = true;
            lock.unlock();
            loop.call_soon_threadsafe([&loop] { loop.stop(); });
        }
    });
    loop.run_forever();
    pinger.join();
    {
        std::lock_guard lock(m);
        finished = true;
    }
    cv.notify_all();
    watchdog.join();
    EXPECT_FALSE(watchdog_fired.load());
    EXPECT_EQ(pings, rounds);
}

TEST(CallSoonThreadsafe, FromTheLoopThreadItselfRunsInTheNextIteration) {
    asyncio::EventLoop loop;
    std::vector<std::string> log;
    loop.call_soon([&] {
        log.push_back("first");
        loop.call_soon_threadsafe([&] { log.push_back("threadsafe"); });
    });
    loop.call_soon([&] { log.push_back("second"); });
    loop.call_soon([&] { loop.stop(); });
    loop.run_forever();
    EXPECT_THAT(log, ElementsAre("first", "second"));
    loop.call_soon([&] { loop.stop(); });
    loop.run_forever();
    EXPECT_THAT(log, ElementsAre("first", "second", "threadsafe"));
}

TEST(CallSoonThreadsafe, KeepsOrderWithCallSoonOfTheLoopThread) {
    // test_events.py test_call_soon_threadsafe: a callback posted by another thread before the
    // loop thread's call_soon runs first (Python appends both to the same ready deque).
    asyncio::EventLoop loop;
    std::vector<std::string> results;
    std::thread t([&] { loop.call_soon_threadsafe([&] { results.push_back("hello"); }); });
    t.join();  // "hello" is posted before "world" is scheduled
    loop.call_soon([&] { results.push_back("world"); });
    loop.call_soon([&] { loop.stop(); });
    loop.run_forever();
    loop.call_soon([&] { loop.stop(); });
    loop.run_forever();
    EXPECT_THAT(results, ElementsAre("hello", "world"));
}

TEST(CallSoonThreadsafe, HandleCancelledByThePosterNeverRuns) {
    asyncio::EventLoop loop;
    std::atomic<int> ran{0};
    std::latch posted(1);
    std::thread poster([&] {
        for (int i = 0; i < 1000; ++i) {
            asyncio::Handle h = loop.call_soon_threadsafe([&ran] { ++ran; });
            h.cancel();
        }
        posted.count_down();
    });
    posted.wait();
    poster.join();
    loop.call_soon_threadsafe([&loop] { loop.stop(); });
    loop.run_forever();
    EXPECT_EQ(ran.load(), 0);
}

TEST(CallSoonThreadsafe, HandlesReleasedOnEitherThread) {
    // The poster keeps every other Handle and drops it while the loop may be running it: the
    // reference count is shared between the threads.
    asyncio::EventLoop loop;
    int ran = 0;  // loop thread only
    constexpr int n = 5000;
    std::latch go(2);
    std::thread poster([&] {
        std::vector<asyncio::Handle> kept;
        go.arrive_and_wait();
        for (int i = 0; i < n; ++i) {
            asyncio::Handle h = loop.call_soon_threadsafe([&] {
                if (++ran == n) loop.stop();
            });
            if (i % 2 == 0) kept.push_back(std::move(h));
        }
        kept.clear();
    });
    loop.call_soon([&go] { go.count_down(); });
    loop.run_forever();
    poster.join();
    EXPECT_EQ(ran, n);
}

TEST(CallSoonThreadsafe, AfterCloseTheLoopDropsWhatWasPosted) {
    std::atomic<int> ran{0};
    {
        asyncio::EventLoop loop;
        std::thread poster([&] {
            for (int i = 0; i < 100; ++i) loop.call_soon_threadsafe([&ran] { ++ran; });
        });
        poster.join();
        loop.close();  // the posted callbacks are released without running
    }
    EXPECT_EQ(ran.load(), 0);
}

// ---- several loops, one per thread

asyncio::Coro<int> child(int v) {
    co_await asyncio::sleep(0.001);
    co_return v;
}

asyncio::Coro<long> busy_main(int seed) {
    long sum = 0;
    for (int round = 0; round < 20; ++round) {
        std::vector<asyncio::Task<int>> tasks;
        for (int i = 0; i < 50; ++i) tasks.push_back(asyncio::create_task(child(seed + i)));
        for (int v : co_await asyncio::gather(std::move(tasks))) sum += v;
        co_await asyncio::sleep(0);
    }
    co_return sum;
}

TEST(Loops, OneLoopPerThreadRunIndependently) {
    // test_free_threading.py: each thread with its own asyncio.run.
    std::vector<long> sums(kThreads, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&sums, t] { sums[static_cast<std::size_t>(t)] = asyncio::run(busy_main(t * 1000)); });
    for (auto& th : threads) th.join();
    for (int t = 0; t < kThreads; ++t) {
        long expected = 0;
        for (int i = 0; i < 50; ++i) expected += t * 1000 + i;
        EXPECT_EQ(sums[static_cast<std::size_t>(t)], expected * 20);
    }
}

TEST(Loops, GetRunningLoopIsPerThread) {
    asyncio::EventLoop loop;
    bool other_thread_saw_none = false;
    loop.call_soon([&] {
        std::thread other([&] { other_thread_saw_none = asyncio::running_loop_or_null() == nullptr; });
        other.join();
        loop.stop();
    });
    loop.run_forever();
    EXPECT_TRUE(other_thread_saw_none);
}

constexpr int kRally = 1000;

// A ball sent from loop a to loop b and back, kRally times; a ends the rally.
struct Rally {
    asyncio::EventLoop* a;
    asyncio::EventLoop* b;
    int* hits_a;  // loop a's thread only
    int* hits_b;  // loop b's thread only

    void serve() const {  // on a's thread
        const Rally self = *this;
        b->call_soon_threadsafe([self] {
            ++*self.hits_b;
            self.a->call_soon_threadsafe([self] {
                ++*self.hits_a;
                if (*self.hits_a < kRally) {
                    self.serve();
                    return;
                }
                self.b->call_soon_threadsafe([self] { self.b->stop(); });
                self.a->stop();
            });
        });
    }
};

TEST(Loops, TwoLoopsPingPongThroughCallSoonThreadsafe) {
    asyncio::EventLoop a;
    asyncio::EventLoop b;
    int hits_a = 0;
    int hits_b = 0;
    std::promise<void> b_running;
    std::thread tb([&] {
        b.call_soon([&] { b_running.set_value(); });
        b.run_forever();
    });
    b_running.get_future().wait();
    const Rally rally{&a, &b, &hits_a, &hits_b};
    a.call_soon([rally] { rally.serve(); });
    a.run_forever();
    tb.join();
    EXPECT_EQ(hits_a, kRally);
    EXPECT_EQ(hits_b, kRally);
}

asyncio::Coro<int> answer() { co_return 42; }

asyncio::Coro<int> main_keeping_a_task(asyncio::Task<int>* out) {
    *out = asyncio::create_task(answer());
    co_return co_await *out;
}

TEST(Loops, TaskHandleOutlivesItsThreadAndLoop) {
    // The frame was allocated on the worker thread; its last handle goes on this one.
    asyncio::Task<int> kept;
    std::thread worker([&] { EXPECT_EQ(asyncio::run(main_keeping_a_task(&kept)), 42); });
    worker.join();
    EXPECT_TRUE(kept.done());
    EXPECT_EQ(kept.result(), 42);
    kept = asyncio::Task<int>();
}

}  // namespace
