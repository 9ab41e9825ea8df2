// futures::ThreadPoolExecutor: submit (arguments, result types, exceptions stored not reported,
// order, cancelled tasks skipped, references let go), map (order, exceptions, timeout, lazy
// iteration, cancelling the rest), max_workers, lazy workers and idle reuse, worker names,
// initializers (once per worker; a failing one breaks the pool), many submitters at once.
// Ports CPython's Lib/test/test_concurrent_futures/executor.py (ExecutorTest),
// test_thread_pool.py (ThreadPoolExecutorTest) and test_init.py (thread parts).
#include "concurrence/futures/thread_pool_executor.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "concurrence/futures/executor.hpp"
#include "concurrence/threading/event.hpp"
#include "concurrence/threading/thread.hpp"
#include "futures_support.hpp"

namespace {

namespace futures = concurrence::futures;
namespace threading = concurrence::threading;
using namespace futures_test;
using namespace std::chrono_literals;
using testing::HasSubstr;
using testing::MatchesRegex;
using testing::StrEq;
using testing::ThrowsMessage;

static_assert(futures::Executor<futures::ThreadPoolExecutor>);

// The names of the live threads that start with `prefix`.
std::vector<std::string> threads_named(const std::string& prefix) {
    std::vector<std::string> names;
    for (const threading::Thread& t : threading::enumerate())
        if (t.name().rfind(prefix, 0) == 0) names.push_back(t.name());
    return names;
}

int divide(int x, int y) {
    if (y == 0) throw concurrence::ValueError("division by zero");
    return x / y;
}

// ---- submit

TEST(ThreadPoolSubmit, ReturnsTheResult) {
    futures::ThreadPoolExecutor pool(5);
    futures::Future<int> f = pool.submit([](int base, int exp) {
        int r = 1;
        for (int i = 0; i < exp; ++i) r *= base;
        return r;
    }, 2, 8);
    EXPECT_EQ(f.result(), 256);
    EXPECT_EQ(pool.submit(mul, 2, 8).result(), 16);
}

TEST(ThreadPoolSubmit, MovesCallablesAndArgumentsInAndInvokesThemAsRvalues) {
    futures::ThreadPoolExecutor pool(2);
    auto own = std::make_unique<int>(1);
    futures::Future<int> f = pool.submit([own = std::move(own)](std::unique_ptr<int> arg) { return *own + *arg; },
                                         std::make_unique<int>(41));
    EXPECT_EQ(f.result(), 42);
    // Arguments are copied in, as std::thread does: the caller's variable is not referenced.
    int x = 1;
    futures::Future<const int*> g = pool.submit([](const int& v) { return &v; }, x);
    EXPECT_NE(g.result(), &x);
}

TEST(ThreadPoolSubmit, TheFutureHasTheDecayedResultType) {
    static const std::string name = "name";
    futures::ThreadPoolExecutor pool(1);
    futures::Future<std::string> s = pool.submit([]() -> const std::string& { return name; });
    futures::Future<void> v = pool.submit([] {});
    EXPECT_EQ(s.result(), "name");
    v.result();
    EXPECT_TRUE(v.done());
}

TEST(ThreadPoolSubmit, AnExceptionIsStoredInTheFutureAndNotReported) {
    futures::ThreadPoolExecutor pool(2);
    testing::internal::CaptureStderr();
    futures::Future<int> f = pool.submit(divide, 1, 0);
    EXPECT_THAT([&] { f.result(); }, ThrowsMessage<concurrence::ValueError>(StrEq("division by zero")));
    EXPECT_TRUE(concurrence::exception_is<concurrence::ValueError>(f.exception()));
    EXPECT_THAT(f.repr(), HasSubstr("state=finished raised ValueError"));
    pool.shutdown();
    EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

TEST(ThreadPoolSubmit, TasksStartInSubmissionOrder) {
    futures::ThreadPoolExecutor pool(1);
    std::vector<int> order;
    std::vector<futures::Future<void>> fs;
    for (int i = 0; i < 50; ++i) fs.push_back(pool.submit([&order, i] { order.push_back(i); }));
    for (auto& f : fs) f.result();
    std::vector<int> expected(50);
    for (int i = 0; i < 50; ++i) expected[i] = i;
    EXPECT_EQ(order, expected);
}

TEST(ThreadPoolSubmit, ACancelledTaskIsSkippedAndARunningOneCannotBeCancelled) {
    futures::ThreadPoolExecutor pool(1);
    threading::Event started, release;
    futures::Future<void> blocker = pool.submit([&] {
        started.set();
        release.wait();
    });
    std::atomic<bool> ran{false};
    futures::Future<void> skipped = pool.submit([&] { ran = true; });
    ASSERT_TRUE(started.wait(30));
    EXPECT_TRUE(blocker.running());
    EXPECT_FALSE(blocker.cancel());
    EXPECT_TRUE(skipped.cancel());
    release.set();
    pool.shutdown();
    EXPECT_FALSE(ran.load());
    EXPECT_TRUE(skipped.cancelled());
    EXPECT_THROW(skipped.result(), futures::CancelledError);
    EXPECT_TRUE(blocker.done());
}

TEST(ThreadPoolSubmit, TheCallableIsLetGoOnceItRan) {
    // Python's test_no_stale_references: the executor keeps no reference to what it ran.
    futures::ThreadPoolExecutor pool(2);
    auto object = std::make_shared<int>(3);
    std::weak_ptr<int> watch = object;
    futures::Future<int> f = pool.submit([object = std::move(object)] { return *object; });
    EXPECT_EQ(f.result(), 3);
    EXPECT_TRUE(watch.expired());  // though the future is alive
}

TEST(ThreadPoolSubmit, CallbacksOfAPoolFutureRunInTheWorker) {
    threading::Event release, called;  // before the pool: its tasks use them until the pool is gone
    std::string ran_in;
    futures::ThreadPoolExecutor pool({.max_workers = 1, .thread_name_prefix = "CallbackPool"});
    futures::Future<void> f = pool.submit([&] { release.wait(); });
    f.add_done_callback([&](futures::Future<void>) {
        ran_in = threading::current_thread().name();
        called.set();
    });
    release.set();
    ASSERT_TRUE(called.wait(30));
    EXPECT_EQ(ran_in, "CallbackPool_0");
}

TEST(ThreadPoolSubmit, ManySubmittersAtOnce) {
    futures::ThreadPoolExecutor pool(3);
    constexpr int per_thread = 2000;
    std::vector<threading::Thread> submitters;
    std::vector<long> sums(4, 0);
    for (int t = 0; t < 4; ++t) {
        submitters.emplace_back([&, t] {
            std::vector<futures::Future<long>> fs;
            for (long i = 0; i < per_thread; ++i) fs.push_back(pool.submit([](long v) { return v; }, i));
            for (auto& f : fs) sums[t] += f.result();
        });
        submitters.back().start();
    }
    for (auto& s : submitters) s.join();
    for (long sum : sums) EXPECT_EQ(sum, static_cast<long>(per_thread) * (per_thread - 1) / 2);
}

// ---- map

TEST(ThreadPoolMap, ResultsInInputOrder) {
    futures::ThreadPoolExecutor pool(5);
    std::vector<int> inputs{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    std::vector<int> results;
    for (int r : pool.map([](int v) { return v * v; }, inputs)) results.push_back(r);
    EXPECT_EQ(results, (std::vector<int>{0, 1, 4, 9, 16, 25, 36, 49, 64, 81}));
}

// Python's test_map with several iterables: fn gets one item of each, zip() stops at the
// shortest, and a last non-range argument is the timeout.
TEST(ThreadPoolMap, SeveralIterablesGoInStepUntilTheShortestEnds) {
    futures::ThreadPoolExecutor pool(3);
    const std::vector<int> bases{2, 3, 4, 5};
    const std::vector<long> exponents{10, 2, 0};
    std::vector<long> results;
    const auto power = [](int base, long exponent) {
        long r = 1;
        for (long i = 0; i < exponent; ++i) r *= base;
        return r;
    };
    for (long r : pool.map(power, bases, exponents)) results.push_back(r);
    EXPECT_EQ(results, (std::vector<long>{1024, 9, 1}));
    results.clear();
    for (long r : pool.map(power, bases, exponents, 30)) results.push_back(r);
    EXPECT_EQ(results, (std::vector<long>{1024, 9, 1}));
    const std::vector<std::string> words{"a", "bb"};
    std::vector<std::string> joined;
    for (std::string& w : pool.map([](const std::string& w, int n, char c) { return w + std::string(static_cast<std::size_t>(n), c); },
                                   words, bases, std::string("xyz")))
        joined.push_back(w);
    EXPECT_EQ(joined, (std::vector<std::string>{"axx", "bbyyy"}));
    EXPECT_EQ(pool.map(power, bases, std::vector<long>{}).begin(), std::default_sentinel);
}

TEST(ThreadPoolMap, AnExceptionIsRaisedAtItsTurn) {
    futures::ThreadPoolExecutor pool(5);
    std::vector<int> divisors{2, 3, 0, 5};
    auto results = pool.map([](int y) { return divide(6, y); }, divisors);
    auto it = results.begin();
    EXPECT_EQ(*it, 3);
    ++it;
    EXPECT_EQ(*it, 2);
    EXPECT_THROW(++it, concurrence::ValueError);
}

TEST(ThreadPoolMap, TimeoutCountsFromTheCall) {
    threading::Event release;  // before the pool: its tasks use it until the pool is gone
    futures::ThreadPoolExecutor pool(5);
    std::vector<int> inputs{0, 0, 1};
    std::vector<int> results;
    const auto start = std::chrono::steady_clock::now();
    try {
        for (int r : pool.map(
                 [&](int block) {
                     if (block) release.wait();
                     return block;
                 },
                 inputs, 0.05))
            results.push_back(r);
        ADD_FAILURE() << "expected TimeoutError";
    } catch (const futures::TimeoutError&) {
    }
    EXPECT_GE(std::chrono::steady_clock::now() - start, 50ms);
    EXPECT_EQ(results, (std::vector<int>{0, 0}));
    release.set();
}

TEST(ThreadPoolMap, SubmitsEverythingWithoutIteration) {
    std::mutex m;
    std::vector<int> finished;
    futures::ThreadPoolExecutor pool(5);
    std::vector<int> inputs{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    pool.map(
        [&](int n) {
            std::lock_guard g(m);
            finished.push_back(n);
        },
        inputs);
    pool.shutdown(true);
    std::sort(finished.begin(), finished.end());
    EXPECT_EQ(finished, inputs);
}

TEST(ThreadPoolMap, ATimeoutCancelsTheCurrentAndTheRemainingCalls) {
    // Python's test_executor_map_current_future_cancel.
    std::mutex m;
    std::vector<std::string> log;
    threading::Event stop;
    auto log_n_wait = [&](std::string ident) {
        {
            std::lock_guard g(m);
            log.push_back(ident + " started");
        }
        stop.wait();
        std::lock_guard g(m);
        log.push_back(ident + " stopped");
    };
    {
        futures::ThreadPoolExecutor pool(1);
        futures::Future<void> first = pool.submit(log_n_wait, std::string("first"));
        {
            auto gen = pool.map(log_n_wait, std::vector<std::string>{"second", "third"}, 0);
            EXPECT_THROW(gen.begin(), futures::TimeoutError);
        }
        stop.set();
        first.result();
    }
    EXPECT_EQ(log, (std::vector<std::string>{"first started", "first stopped"}));
}

TEST(ThreadPoolMap, LeavingTheLoopEarlyCancelsTheRest) {
    std::atomic<int> calls{0};
    threading::Event release;
    futures::ThreadPoolExecutor pool(1);
    {
        auto results = pool.map(
            [&](int v) {
                calls.fetch_add(1);
                if (v == 2) release.wait();
                return v;
            },
            std::vector<int>{1, 2, 3, 4});
        for (int r : results) {
            EXPECT_EQ(r, 1);
            break;
        }
    }
    release.set();
    pool.shutdown();
    EXPECT_LE(calls.load(), 2);  // 3 and 4 were cancelled; 2 may have started
}

TEST(ThreadPoolMap, VoidFunctionsYieldMonostate) {
    futures::ThreadPoolExecutor pool(2);
    int n = 0;
    for (std::monostate none : pool.map([](int) {}, std::vector<int>{1, 2, 3})) {
        (void)none;
        ++n;
    }
    EXPECT_EQ(n, 3);
}

TEST(ThreadPoolMap, NextReturnsNulloptAtTheEndAndMovesOnlyValuesOut) {
    futures::ThreadPoolExecutor pool(2);
    auto results = pool.map([](int v) { return std::make_unique<int>(v); }, std::vector<int>{7, 8});
    std::optional<std::unique_ptr<int>> a = results.next();
    std::optional<std::unique_ptr<int>> b = results.next();
    ASSERT_TRUE(a && b);
    EXPECT_EQ(**a, 7);
    EXPECT_EQ(**b, 8);
    EXPECT_FALSE(results.next());
}

// ---- workers

TEST(ThreadPoolWorkers, MaxWorkersMustBePositive) {
    for (int n : {0, -1})
        EXPECT_THAT([n] { futures::ThreadPoolExecutor pool(n); },
                    ThrowsMessage<concurrence::ValueError>(StrEq("max_workers must be greater than 0")));
    EXPECT_THROW(futures::ThreadPoolExecutor({.max_workers = 0}), concurrence::ValueError);
}

TEST(ThreadPoolWorkers, DefaultMaxWorkers) {
    cpu_set_t set;
    CPU_ZERO(&set);
    ASSERT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
    futures::ThreadPoolExecutor pool;
    EXPECT_EQ(pool.max_workers(), std::min(32, CPU_COUNT(&set) + 4));
    EXPECT_EQ(futures::ThreadPoolExecutor(7).max_workers(), 7);
}

TEST(ThreadPoolWorkers, SaturationStartsMaxWorkersThreads) {
    futures::ThreadPoolExecutor pool({.max_workers = 4, .thread_name_prefix = "SaturationPool"});
    threading::Event release;
    for (int i = 0; i < 15 * 4; ++i) pool.submit([&] { release.wait(); });
    EXPECT_EQ(threads_named("SaturationPool_").size(), 4u);
    release.set();
    pool.shutdown(true);
    EXPECT_TRUE(threads_named("SaturationPool_").empty());
}

TEST(ThreadPoolWorkers, WorkersStartLazily) {
    threading::Event release;  // before the pool: its tasks use it until the pool is gone
    futures::ThreadPoolExecutor pool({.max_workers = 3, .thread_name_prefix = "LazyPool"});
    EXPECT_TRUE(threads_named("LazyPool_").empty());
    pool.submit([&] { release.wait(); });
    EXPECT_EQ(threads_named("LazyPool_").size(), 1u);
    release.set();
}

TEST(ThreadPoolWorkers, AnIdleWorkerIsReused) {
    futures::ThreadPoolExecutor pool({.thread_name_prefix = "ReusePool"});
    EXPECT_EQ(pool.submit(mul, 21, 2).result(), 42);
    EXPECT_EQ(pool.submit(mul, 6, 7).result(), 42);
    EXPECT_EQ(pool.submit(mul, 3, 14).result(), 42);
    EXPECT_EQ(threads_named("ReusePool_").size(), 1u);
}

TEST(ThreadPoolWorkers, NamesWithPrefix) {
    std::vector<std::string> names;
    {
        threading::Event release;  // before the pool: its tasks use it until the pool is gone
        std::mutex m;
        futures::ThreadPoolExecutor pool({.max_workers = 5, .thread_name_prefix = "SpecialPool"});
        std::vector<futures::Future<void>> fs;
        for (int i = 0; i < 5; ++i)
            fs.push_back(pool.submit([&] {
                {
                    std::lock_guard g(m);
                    names.push_back(threading::current_thread().name());
                }
                release.wait();
            }));
        ASSERT_TRUE(eventually([&] {
            std::lock_guard g(m);
            return names.size() == 5;
        }));
        release.set();
    }
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"SpecialPool_0", "SpecialPool_1", "SpecialPool_2", "SpecialPool_3",
                                               "SpecialPool_4"}));
}

TEST(ThreadPoolWorkers, DefaultNames) {
    futures::ThreadPoolExecutor a(1);
    futures::ThreadPoolExecutor b(1);
    const std::string name_a = a.submit([] { return threading::current_thread().name(); }).result();
    const std::string name_b = b.submit([] { return threading::current_thread().name(); }).result();
    EXPECT_THAT(name_a, MatchesRegex("ThreadPoolExecutor-[0-9]+_0"));
    EXPECT_THAT(name_b, MatchesRegex("ThreadPoolExecutor-[0-9]+_0"));
    EXPECT_NE(name_a, name_b);  // each executor has its own number
}

// ---- initializer (test_init.py)

TEST(ThreadPoolInitializer, RunsOnceInEachWorkerBeforeItsTasks) {
    static thread_local const char* status = "uninitialized";
    std::atomic<int> runs{0};
    futures::ThreadPoolExecutor pool({.max_workers = 2, .initializer = [&] {
                                          status = "initialized";
                                          runs.fetch_add(1);
                                      }});
    threading::Event release;
    std::vector<futures::Future<std::string>> fs;
    for (int i = 0; i < 2; ++i)
        fs.push_back(pool.submit([&] {
            release.wait();  // both workers start
            return std::string(status);
        }));
    release.set();
    for (auto& f : fs) EXPECT_EQ(f.result(), "initialized");
    for (int i = 0; i < 10; ++i) EXPECT_EQ(pool.submit([] { return std::string(status); }).result(), "initialized");
    pool.shutdown();
    EXPECT_EQ(runs.load(), 2);
}

TEST(ThreadPoolInitializer, AFailingInitializerBreaksThePool) {
    testing::internal::CaptureStderr();
    {
        futures::ThreadPoolExecutor pool({.max_workers = 2, .initializer = [] {
                                              std::this_thread::sleep_for(20ms);  // let some futures be queued
                                              throw concurrence::ValueError("error in initializer");
                                          }});
        try {
            futures::Future<int> f = pool.submit([] { return 1; });
            EXPECT_THAT([&] { f.result(30); },
                        ThrowsMessage<futures::BrokenThreadPool>(
                            StrEq("A thread initializer failed, the thread pool is not usable anymore")));
        } catch (const futures::BrokenExecutor&) {
            // already broken
        }
        // At some point the pool breaks, and from then on submit() fails.
        ASSERT_TRUE(eventually([&] {
            try {
                pool.submit([] { return 1; }).cancel();
                return false;
            } catch (const futures::BrokenThreadPool& e) {
                return std::string(e.what()) == "A thread initializer failed, the thread pool is not usable anymore";
            }
        }));
        EXPECT_THROW(pool.submit([] { return 1; }), futures::BrokenExecutor);
    }
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_THAT(err, HasSubstr("Exception in initializer:\nValueError: error in initializer\n"));
}

}  // namespace
