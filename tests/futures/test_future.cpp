// futures::Future: states and transitions, result()/exception() with and without timeouts,
// cancel() in every state, done-callbacks (once, in order, at once when done, on cancel,
// exceptions reported and ignored), set_running_or_notify_cancel, InvalidStateError, repr,
// handles (copies, identity, hashing), void and move-only results, wake-ups across threads.
// Ports CPython's Lib/test/test_concurrent_futures/test_future.py (FutureTests) and the
// exception classes of test_class_str.
#include "concurrence/futures/future.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <type_traits>
#include <unordered_set>
#include <vector>

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

// ---- exception classes (test_class_str)

static_assert(std::is_base_of_v<futures::Error, futures::CancelledError>);
static_assert(std::is_base_of_v<futures::Error, futures::InvalidStateError>);
static_assert(std::is_base_of_v<std::runtime_error, futures::Error>);
static_assert(std::is_base_of_v<concurrence::RuntimeError, futures::BrokenExecutor>);
static_assert(std::is_base_of_v<futures::BrokenExecutor, futures::BrokenThreadPool>);
static_assert(std::is_same_v<futures::TimeoutError, concurrence::TimeoutError>);
static_assert(!std::is_base_of_v<concurrence::asyncio::CancelledError, futures::CancelledError>);
static_assert(!std::is_base_of_v<futures::CancelledError, concurrence::asyncio::CancelledError>);

// ---- callbacks

TEST(FutureCallbacks, DoneCallbackWithResult) {
    int callback_result = 0;
    futures::Future<int> f;
    f.add_done_callback([&](futures::Future<int> done) { callback_result = done.result(); });
    f.set_result(5);
    EXPECT_EQ(callback_result, 5);
}

TEST(FutureCallbacks, DoneCallbackWithException) {
    std::exception_ptr callback_exception;
    futures::Future<int> f;
    f.add_done_callback([&](const futures::Future<int>& done) { callback_exception = done.exception(); });
    f.set_exception(concurrence::ValueError("test"));
    ASSERT_TRUE(callback_exception);
    EXPECT_THAT([&] { std::rethrow_exception(callback_exception); },
                ThrowsMessage<concurrence::ValueError>(StrEq("test")));
}

TEST(FutureCallbacks, DoneCallbackWithCancel) {
    bool was_cancelled = false;
    futures::Future<int> f;
    f.add_done_callback([&](futures::Future<int>& done) { was_cancelled = done.cancelled(); });
    EXPECT_TRUE(f.cancel());
    EXPECT_TRUE(was_cancelled);
}

TEST(FutureCallbacks, RaisingCallbackIsReportedAndTheNextOneStillRuns) {
    bool raising_was_called = false;
    bool fn_was_called = false;
    futures::Future<int> f;
    f.add_done_callback([&](futures::Future<int>) {
        raising_was_called = true;
        throw std::runtime_error("doh!");
    });
    f.add_done_callback([&](futures::Future<int>) { fn_was_called = true; });
    testing::internal::CaptureStderr();
    f.set_result(5);
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_TRUE(raising_was_called);
    EXPECT_TRUE(fn_was_called);
    EXPECT_THAT(err, MatchesRegex("exception calling callback for <Future at 0x[0-9a-f]+ state=finished returned "
                                  "int>\nstd::runtime_error: doh!\n"));
}

TEST(FutureCallbacks, AddedToASuccessfulFutureRunsAtOnce) {
    int callback_result = 0;
    futures::Future<int> f;
    f.set_result(5);
    f.add_done_callback([&](futures::Future<int> done) { callback_result = done.result(); });
    EXPECT_EQ(callback_result, 5);
}

TEST(FutureCallbacks, AddedToAFailedFutureRunsAtOnce) {
    std::exception_ptr callback_exception;
    futures::Future<int> f;
    f.set_exception(concurrence::ValueError("test"));
    f.add_done_callback([&](futures::Future<int> done) { callback_exception = done.exception(); });
    EXPECT_TRUE(concurrence::exception_is<concurrence::ValueError>(callback_exception));
}

TEST(FutureCallbacks, AddedToACancelledFutureRunsAtOnce) {
    bool was_cancelled = false;
    futures::Future<int> f;
    EXPECT_TRUE(f.cancel());
    f.add_done_callback([&](futures::Future<int> done) { was_cancelled = done.cancelled(); });
    EXPECT_TRUE(was_cancelled);
}

TEST(FutureCallbacks, RaisingCallbackAddedToADoneFutureIsReported) {
    futures::Future<int> f;
    f.set_result(5);
    testing::internal::CaptureStderr();
    f.add_done_callback([](futures::Future<int>) { throw concurrence::ValueError("doh!"); });
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_THAT(err, HasSubstr("exception calling callback for"));
    EXPECT_THAT(err, HasSubstr("ValueError: doh!"));
}

TEST(FutureCallbacks, RunOnceEachInTheOrderAdded) {
    std::vector<int> calls;
    futures::Future<int> f;
    for (int i = 0; i < 5; ++i) f.add_done_callback([&calls, i](futures::Future<int>) { calls.push_back(i); });
    f.set_result(1);
    EXPECT_FALSE(f.cancel());
    EXPECT_THROW(f.set_result(2), futures::InvalidStateError);
    EXPECT_EQ(calls, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(FutureCallbacks, RunInTheThreadThatCompletes) {
    futures::Future<int> f;
    std::thread::id ran_in;
    f.add_done_callback([&](futures::Future<int>) { ran_in = std::this_thread::get_id(); });
    std::thread::id setter;
    threading::Thread t([&] {
        setter = std::this_thread::get_id();
        f.set_result(1);
    });
    t.start();
    t.join();
    EXPECT_EQ(ran_in, setter);
    EXPECT_NE(ran_in, std::this_thread::get_id());
}

TEST(FutureCallbacks, TakesMoveOnlyAndLargeCallables) {
    int seen = 0;
    futures::Future<int> f;
    f.add_done_callback([&seen, own = std::make_unique<int>(10)](futures::Future<int> done) { seen += *own + done.result(); });
    std::string big(100, 'x');
    f.add_done_callback([&seen, big](futures::Future<int>) { seen += static_cast<int>(big.size()); });  // boxed
    f.set_result(1);
    EXPECT_EQ(seen, 111);
}

TEST(FutureCallbacks, ACallbackMayAddAnotherWhichRunsAtOnce) {
    std::vector<int> calls;
    futures::Future<int> f;
    f.add_done_callback([&](futures::Future<int> done) {
        calls.push_back(1);
        done.add_done_callback([&](futures::Future<int>) { calls.push_back(2); });
        calls.push_back(3);
    });
    f.set_result(0);
    EXPECT_EQ(calls, (std::vector<int>{1, 2, 3}));
}

TEST(FutureCallbacks, NotRunWhenTheFutureIsNeverDone) {
    bool called = false;
    {
        futures::Future<int> f;
        f.add_done_callback([&](futures::Future<int>) { called = true; });
        f.set_running_or_notify_cancel();
    }
    EXPECT_FALSE(called);
}

// ---- repr

TEST(FutureRepr, EveryState) {
    EXPECT_THAT(pending_future().repr(), MatchesRegex("<Future at 0x[0-9a-f]+ state=pending>"));
    EXPECT_THAT(running_future().repr(), MatchesRegex("<Future at 0x[0-9a-f]+ state=running>"));
    EXPECT_THAT(cancelled_future().repr(), MatchesRegex("<Future at 0x[0-9a-f]+ state=cancelled>"));
    EXPECT_THAT(cancelled_and_notified_future().repr(), MatchesRegex("<Future at 0x[0-9a-f]+ state=cancelled>"));
    EXPECT_THAT(exception_future().repr(), MatchesRegex("<Future at 0x[0-9a-f]+ state=finished raised ValueError>"));
    EXPECT_THAT(successful_future().repr(), MatchesRegex("<Future at 0x[0-9a-f]+ state=finished returned int>"));
}

TEST(FutureRepr, TypeNamesAndStreaming) {
    futures::Future<void> v;
    v.set_result();
    EXPECT_THAT(v.repr(), MatchesRegex("<Future at 0x[0-9a-f]+ state=finished returned NoneType>"));
    futures::Future<std::string> s;
    s.set_result("x");
    EXPECT_THAT(s.repr(), MatchesRegex("<Future at 0x[0-9a-f]+ state=finished returned std::string>"));
    futures::Future<int> c;
    c.set_exception(futures::CancelledError());
    EXPECT_THAT(c.repr(), MatchesRegex("<Future at 0x[0-9a-f]+ state=finished raised CancelledError>"));
    std::ostringstream out;
    out << c;
    EXPECT_EQ(out.str(), c.repr());
    // The address is the future's identity: every handle shows the same one.
    futures::Future<int> copy = c;
    EXPECT_EQ(copy.repr(), c.repr());
}

// ---- states

TEST(FutureStates, CancelInEveryState) {
    futures::Future<int> f1 = pending_future();
    futures::Future<int> f2 = running_future();
    futures::Future<int> f3 = cancelled_future();
    futures::Future<int> f4 = cancelled_and_notified_future();
    futures::Future<int> f5 = exception_future();
    futures::Future<int> f6 = successful_future();

    EXPECT_TRUE(f1.cancel());
    EXPECT_TRUE(f1.cancelled());
    EXPECT_FALSE(f2.cancel());
    EXPECT_TRUE(f2.running());
    EXPECT_TRUE(f3.cancel());
    EXPECT_TRUE(f3.cancelled());
    EXPECT_TRUE(f4.cancel());
    EXPECT_TRUE(f4.cancelled());
    EXPECT_FALSE(f5.cancel());
    EXPECT_FALSE(f5.cancelled());
    EXPECT_FALSE(f6.cancel());
    EXPECT_EQ(f6.result(), 42);
}

TEST(FutureStates, CancelledDoneRunning) {
    struct Row {
        futures::Future<int> f;
        bool cancelled, done, running;
    };
    const Row rows[] = {
        {pending_future(), false, false, false},       {running_future(), false, false, true},
        {cancelled_future(), true, true, false},       {cancelled_and_notified_future(), true, true, false},
        {exception_future(), false, true, false},      {successful_future(), false, true, false},
    };
    int i = 0;
    for (const Row& r : rows) {
        EXPECT_EQ(r.f.cancelled(), r.cancelled) << i;
        EXPECT_EQ(r.f.done(), r.done) << i;
        EXPECT_EQ(r.f.running(), r.running) << i;
        ++i;
    }
}

TEST(FutureStates, SetRunningOrNotifyCancel) {
    futures::Future<int> pending;
    EXPECT_TRUE(pending.set_running_or_notify_cancel());
    EXPECT_TRUE(pending.running());

    futures::Future<int> cancelled = cancelled_future();
    EXPECT_FALSE(cancelled.set_running_or_notify_cancel());
    EXPECT_TRUE(cancelled.cancelled());
    EXPECT_THAT(cancelled.repr(), HasSubstr("state=cancelled"));

    testing::internal::CaptureStderr();
    futures::Future<int> running = running_future();
    EXPECT_THAT([&] { running.set_running_or_notify_cancel(); },
                ThrowsMessage<concurrence::RuntimeError>(StrEq("Future in unexpected state")));
    futures::Future<int> finished = successful_future();
    EXPECT_THROW(finished.set_running_or_notify_cancel(), concurrence::RuntimeError);
    futures::Future<int> notified = cancelled_and_notified_future();
    EXPECT_THROW(notified.set_running_or_notify_cancel(), concurrence::RuntimeError);
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_THAT(err, MatchesRegex("Future [0-9]+ in unexpected state: RUNNING\nFuture [0-9]+ in unexpected state: "
                                  "FINISHED\nFuture [0-9]+ in unexpected state: CANCELLED_AND_NOTIFIED\n"));
}

TEST(FutureStates, SetResultOnARunningFuture) {
    futures::Future<int> f = running_future();
    f.set_result(3);
    EXPECT_TRUE(f.done());
    EXPECT_EQ(f.result(), 3);
}

// ---- result() and exception()

TEST(FutureResult, WithZeroTimeoutInEveryState) {
    EXPECT_THROW(pending_future().result(0), futures::TimeoutError);
    EXPECT_THROW(running_future().result(0), futures::TimeoutError);
    EXPECT_THROW(cancelled_future().result(0), futures::CancelledError);
    EXPECT_THROW(cancelled_and_notified_future().result(0), futures::CancelledError);
    EXPECT_THAT([] { exception_future().result(0); }, ThrowsMessage<concurrence::ValueError>(StrEq("boom")));
    EXPECT_EQ(successful_future().result(0), 42);
    EXPECT_EQ(successful_future().result(), 42);
    EXPECT_EQ(successful_future().result(-1), 42);
}

TEST(FutureResult, TimeoutErrorHasPythonsEmptyMessageAndWaitsTheTimeout) {
    futures::Future<int> f;
    const auto start = std::chrono::steady_clock::now();
    EXPECT_THAT([&] { f.result(0.05); }, ThrowsMessage<futures::TimeoutError>(StrEq("")));
    const auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_GE(elapsed, 50ms);
    EXPECT_LT(elapsed, 30s);
    EXPECT_THROW(f.result(1ms), futures::TimeoutError);
    EXPECT_THROW(f.exception(1ms), futures::TimeoutError);
}

TEST(FutureResult, WaitsForAResultSetByAnotherThread) {
    futures::Future<int> f;
    threading::Thread t([f]() mutable {
        std::this_thread::sleep_for(20ms);
        f.set_result(42);
    });
    t.start();
    EXPECT_EQ(f.result(30), 42);
    t.join();
}

TEST(FutureResult, ACancelFromAnotherThreadWakesTheWaiter) {
    futures::Future<int> f;
    threading::Thread t([f]() mutable {
        std::this_thread::sleep_for(20ms);
        f.cancel();
    });
    t.start();
    EXPECT_THROW(f.result(30), futures::CancelledError);
    t.join();
}

TEST(FutureResult, ExceptionWithZeroTimeoutInEveryState) {
    EXPECT_THROW(pending_future().exception(0), futures::TimeoutError);
    EXPECT_THROW(running_future().exception(0), futures::TimeoutError);
    EXPECT_THROW(cancelled_future().exception(0), futures::CancelledError);
    EXPECT_THROW(cancelled_and_notified_future().exception(0), futures::CancelledError);
    EXPECT_TRUE(concurrence::exception_is<concurrence::ValueError>(exception_future().exception(0)));
    EXPECT_EQ(successful_future().exception(0), nullptr);
}

TEST(FutureResult, ExceptionSetByAnotherThread) {
    futures::Future<int> f;
    threading::Thread t([f]() mutable {
        std::this_thread::sleep_for(20ms);
        f.set_exception(std::make_exception_ptr(concurrence::ValueError("late")));
    });
    t.start();
    EXPECT_TRUE(concurrence::exception_is<concurrence::ValueError>(f.exception(30)));
    EXPECT_THROW(f.result(), concurrence::ValueError);
    t.join();
}

TEST(FutureResult, ManyWaitersAllWake) {
    futures::Future<int> f;
    std::atomic<int> woke{0};
    std::vector<threading::Thread> threads;
    for (int i = 0; i < 6; ++i) {
        threads.emplace_back([&, i] {
            if ((i % 2 ? f.result() : f.result(60)) == 7) woke.fetch_add(1);
        });
        threads.back().start();
    }
    std::this_thread::sleep_for(10ms);
    f.set_result(7);
    for (auto& t : threads) t.join();
    EXPECT_EQ(woke.load(), 6);
}

TEST(FutureResult, NoLostWakeUpsUnderRaces) {
    // One thread completes the futures one after the other while this one waits on each: the
    // waits race with the completions (sleeping, spinning, or finding them done).
    constexpr int n = 3000;
    std::vector<futures::Future<int>> fs(n);
    threading::Thread setter([fs]() mutable {
        for (int i = 0; i < n; ++i) {
            for (int spin = 0; spin < (i * 7919) % 500; ++spin) std::atomic_signal_fence(std::memory_order_seq_cst);
            if (i % 3 == 2) std::this_thread::yield();
            fs[i].set_result(i);
        }
    });
    setter.start();
    long sum = 0;
    for (int i = 0; i < n; ++i) sum += (i % 2) ? fs[i].result() : fs[i].result(30);
    setter.join();
    EXPECT_EQ(sum, static_cast<long>(n) * (n - 1) / 2);
}

TEST(FutureResult, ResultIsTheSameValueEachCall) {
    futures::Future<std::string> f;
    f.set_result("hello");
    EXPECT_EQ(f.result(), "hello");
    EXPECT_EQ(f.result(), "hello");
}

TEST(FutureResult, MoveOnlyValueIsReturnedByReference) {
    futures::Future<std::unique_ptr<int>> f;
    f.set_result(std::make_unique<int>(5));
    std::unique_ptr<int>& ref = f.result();
    EXPECT_EQ(*ref, 5);
    std::unique_ptr<int> taken = std::move(f.result());
    EXPECT_EQ(*taken, 5);
    EXPECT_EQ(f.result(), nullptr);
}

TEST(FutureResult, VoidFuture) {
    futures::Future<void> f;
    EXPECT_THROW(f.result(0), futures::TimeoutError);
    f.set_result();
    f.result();
    EXPECT_TRUE(f.done());
    EXPECT_EQ(f.exception(), nullptr);
}

// ---- set_result / set_exception errors

TEST(FutureSetters, SetResultTwiceIsInvalidState) {
    futures::Future<int> f;
    f.set_result(1);
    EXPECT_THAT([&] { f.set_result(2); },
                ThrowsMessage<futures::InvalidStateError>(
                    MatchesRegex("FINISHED: <Future at 0x[0-9a-f]+ state=finished returned int>")));
    EXPECT_TRUE(f.done());
    EXPECT_EQ(f.result(), 1);
}

TEST(FutureSetters, SetExceptionTwiceIsInvalidState) {
    futures::Future<int> f;
    f.set_exception(concurrence::ValueError("first"));
    EXPECT_THAT([&] { f.set_exception(std::runtime_error("second")); },
                ThrowsMessage<futures::InvalidStateError>(
                    MatchesRegex("FINISHED: <Future at 0x[0-9a-f]+ state=finished raised ValueError>")));
    EXPECT_THAT([&] { f.result(); }, ThrowsMessage<concurrence::ValueError>(StrEq("first")));
}

TEST(FutureSetters, SettingACancelledFutureIsInvalidState) {
    futures::Future<int> f = cancelled_future();
    EXPECT_THAT([&] { f.set_result(1); },
                ThrowsMessage<futures::InvalidStateError>(MatchesRegex("CANCELLED: <Future at 0x[0-9a-f]+ state=cancelled>")));
    futures::Future<int> g = cancelled_and_notified_future();
    EXPECT_THAT([&] { g.set_exception(concurrence::ValueError("x")); },
                ThrowsMessage<futures::InvalidStateError>(
                    MatchesRegex("CANCELLED_AND_NOTIFIED: <Future at 0x[0-9a-f]+ state=cancelled>")));
}

TEST(FutureSetters, NullExceptionIsRejected) {
    futures::Future<int> f;
    EXPECT_THROW(f.set_exception(std::exception_ptr()), concurrence::ValueError);
    EXPECT_FALSE(f.done());
}

TEST(FutureSetters, AThrowingValueConstructorLeavesTheFuturePending) {
    struct Throws {
        Throws() = default;
        Throws(const Throws&) { throw std::runtime_error("copy"); }
    };
    futures::Future<Throws> f;
    const Throws value;
    EXPECT_THROW(f.set_result(value), std::runtime_error);
    EXPECT_FALSE(f.done());
    f.set_exception(concurrence::ValueError("x"));
    EXPECT_TRUE(f.done());
}

// ---- handles

TEST(FutureHandles, CopiesShareOneFutureAndCompareByIdentity) {
    futures::Future<int> a;
    futures::Future<int> b = a;
    futures::Future<int> c;
    EXPECT_TRUE(a == b);
    EXPECT_FALSE(a == c);
    b.set_result(9);
    EXPECT_EQ(a.result(), 9);
    std::unordered_set<futures::Future<int>> set{a, b, c};
    EXPECT_EQ(set.size(), 2u);
    futures::Future<int> moved = std::move(b);
    EXPECT_TRUE(moved == a);
    b = c;  // a moved-from handle may be assigned to
    EXPECT_TRUE(b == c);
}

TEST(FutureHandles, TheStateLivesAsLongAsAHandle) {
    auto alive = std::make_shared<int>(1);
    std::weak_ptr<int> watch = alive;
    {
        futures::Future<std::shared_ptr<int>> f;
        f.set_result(std::move(alive));
        futures::Future<std::shared_ptr<int>> g = f;
        f = futures::Future<std::shared_ptr<int>>();
        EXPECT_FALSE(watch.expired());
    }
    EXPECT_TRUE(watch.expired());
}

}  // namespace
