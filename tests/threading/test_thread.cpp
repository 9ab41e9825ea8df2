// threading::Thread: lifecycle, errors, names, idents, daemon flag, destruction, moves.
#include "concurrence/threading/thread.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pthread.h>

#include <chrono>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "concurrence/threading/event.hpp"

namespace {

namespace threading = concurrence::threading;
using concurrence::RuntimeError;
using concurrence::ValueError;
using testing::StrEq;
using testing::ThrowsMessage;
using namespace std::chrono_literals;

void noop() {}

unsigned long number_in(const std::string& name, const std::string& prefix) {
    EXPECT_EQ(name.rfind(prefix, 0), 0u) << name;
    return std::stoul(name.substr(prefix.size()));
}

TEST(Thread, RunsTheTargetWithItsArguments) {
    int seen = 0;
    threading::Thread t([](int* out, int value) { *out = value; }, &seen, 42);
    t.start();
    t.join();
    EXPECT_EQ(seen, 42);
}

TEST(Thread, TakesMoveOnlyTargetsAndArguments) {
    int seen = 0;
    auto box = std::make_unique<int>(7);
    threading::Thread t([&seen, own = std::make_unique<int>(1)](std::unique_ptr<int> arg) { seen = *own + *arg; },
                        std::move(box));
    t.start();
    t.join();
    EXPECT_EQ(seen, 8);
}

TEST(Thread, IsAliveFromStartUntilTheTargetReturns) {
    threading::Event release;
    threading::Thread t([&] { release.wait(); });
    EXPECT_FALSE(t.is_alive());
    t.start();
    EXPECT_TRUE(t.is_alive());
    release.set();
    t.join();
    EXPECT_FALSE(t.is_alive());
}

TEST(Thread, StartingTwiceThrows) {
    threading::Event release;
    threading::Thread t([&] { release.wait(); });
    t.start();
    EXPECT_THAT([&] { t.start(); }, ThrowsMessage<RuntimeError>(StrEq("threads can only be started once")));
    release.set();
    t.join();
    EXPECT_THAT([&] { t.start(); }, ThrowsMessage<RuntimeError>(StrEq("threads can only be started once")));
}

TEST(Thread, JoiningBeforeStartThrows) {
    threading::Thread t(noop);
    EXPECT_THAT([&] { t.join(); }, ThrowsMessage<RuntimeError>(StrEq("cannot join thread before it is started")));
    EXPECT_THAT([&] { t.join(1); }, ThrowsMessage<RuntimeError>(StrEq("cannot join thread before it is started")));
}

TEST(Thread, JoiningItselfThrows) {
    threading::Thread* self = nullptr;
    std::string message;
    threading::Thread t([&] {
        try {
            self->join();
        } catch (const RuntimeError& e) {
            message = e.what();
        }
    });
    self = &t;
    t.start();
    t.join();
    EXPECT_EQ(message, "cannot join current thread");
}

TEST(Thread, JoinWithTimeoutReturnsWhileTheThreadRuns) {
    threading::Event release;
    threading::Thread t([&] { release.wait(); });
    t.start();
    const auto start = std::chrono::steady_clock::now();
    t.join(0.05);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_TRUE(t.is_alive());
    EXPECT_GE(elapsed, 50ms);
    EXPECT_LT(elapsed, 10s);
    t.join(10ms);
    t.join(0);
    t.join(-1);  // Python treats a negative timeout as 0
    EXPECT_TRUE(t.is_alive());
    release.set();
    t.join(60s);
    EXPECT_FALSE(t.is_alive());
}

TEST(Thread, JoinWithNanTimeoutThrows) {
    threading::Thread t(noop);
    t.start();
    EXPECT_THAT([&] { t.join(std::numeric_limits<double>::quiet_NaN()); },
                ThrowsMessage<ValueError>(StrEq("Invalid value NaN (not a number)")));
    t.join();
}

TEST(Thread, JoinCanBeRepeated) {
    threading::Thread t(noop);
    t.start();
    t.join();
    t.join();
    t.join(0);
    EXPECT_FALSE(t.is_alive());
}

TEST(Thread, SeveralThreadsCanJoinOneAtOnce) {
    threading::Event release;
    threading::Thread target([&] { release.wait(); });
    target.start();
    constexpr int joiners = 4;
    std::vector<int> saw_alive(joiners, -1);
    std::vector<threading::Thread> threads;
    for (int i = 0; i < joiners; ++i) {
        threads.emplace_back([&, i] {
            target.join();
            saw_alive[i] = target.is_alive() ? 1 : 0;
        });
        threads.back().start();
    }
    release.set();
    for (auto& t : threads) t.join();
    for (int i = 0; i < joiners; ++i) EXPECT_EQ(saw_alive[i], 0) << i;
}

TEST(Thread, DefaultNamesCountUp) {
    threading::Thread a(noop);
    threading::Thread b(noop);
    const auto n = number_in(a.name(), "Thread-");
    EXPECT_EQ(number_in(b.name(), "Thread-"), n + 1);
}

TEST(Thread, AGivenNameDoesNotUseUpANumber) {
    threading::Thread a(noop);
    threading::Thread named({.name = "worker"}, noop);
    threading::Thread b(noop);
    EXPECT_EQ(named.name(), "worker");
    EXPECT_EQ(number_in(b.name(), "Thread-"), number_in(a.name(), "Thread-") + 1);
}

TEST(Thread, EmptyNameMeansTheDefault) {
    threading::Thread t({.name = ""}, noop);
    number_in(t.name(), "Thread-");
}

TEST(Thread, SetNameIsSeenInsideAndOutside) {
    std::string inside;
    threading::Event renamed;
    threading::Thread t([&] {
        inside = threading::current_thread().name();
        threading::current_thread().set_name("renamed inside");
        renamed.set();
    });
    t.set_name("before start");
    t.start();
    renamed.wait();
    t.join();
    EXPECT_EQ(inside, "before start");
    EXPECT_EQ(t.name(), "renamed inside");
}

std::string os_thread_name() {
    char name[16] = {};
    pthread_getname_np(pthread_self(), name, sizeof name);
    return name;
}

TEST(Thread, TheOsThreadIsNamedToo) {
    std::string at_start;
    std::string after_rename;
    threading::Thread t({.name = "a-very-long-thread-name"}, [&] {
        at_start = os_thread_name();
        threading::current_thread().set_name("\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9");  // 18 bytes
        after_rename = os_thread_name();
    });
    t.start();
    t.join();
    EXPECT_EQ(at_start, "a-very-long-thr");  // the kernel keeps 15 bytes
    EXPECT_EQ(after_rename, "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9");  // cut between characters, not inside one
}

TEST(Thread, IdentAndNativeIdAreSetByStartAndKept) {
    unsigned long ident_inside = 0;
    unsigned long native_inside = 0;
    threading::Thread t([&] {
        ident_inside = threading::get_ident();
        native_inside = threading::get_native_id();
    });
    EXPECT_FALSE(t.ident().has_value());
    EXPECT_FALSE(t.native_id().has_value());
    t.start();
    EXPECT_TRUE(t.ident().has_value());
    EXPECT_TRUE(t.native_id().has_value());
    t.join();
    EXPECT_EQ(t.ident(), ident_inside);
    EXPECT_EQ(t.native_id(), native_inside);
    EXPECT_NE(ident_inside, threading::get_ident());
    EXPECT_NE(native_inside, threading::get_native_id());
}

TEST(Thread, LiveThreadsHaveDistinctIdents) {
    threading::Event release;
    threading::Thread a([&] { release.wait(); });
    threading::Thread b([&] { release.wait(); });
    a.start();
    b.start();
    EXPECT_NE(a.ident(), b.ident());
    EXPECT_NE(a.native_id(), b.native_id());
    release.set();
    a.join();
    b.join();
}

TEST(Thread, DaemonIsInheritedFromTheCreatingThread) {
    threading::Thread from_main(noop);
    EXPECT_FALSE(from_main.daemon());  // the main thread is not a daemon

    int inherited = -1;
    int overridden = -1;
    threading::Thread daemon({.daemon = true}, [&] {
        threading::Thread child(noop);
        threading::Thread explicit_child({.daemon = false}, noop);
        inherited = child.daemon() ? 1 : 0;
        overridden = explicit_child.daemon() ? 1 : 0;
    });
    EXPECT_TRUE(daemon.daemon());
    daemon.start();
    daemon.join();
    EXPECT_EQ(inherited, 1);
    EXPECT_EQ(overridden, 0);
}

TEST(Thread, DaemonCanBeSetBeforeStartOnly) {
    threading::Thread t(noop);
    t.set_daemon(true);
    EXPECT_TRUE(t.daemon());
    t.set_daemon(false);
    t.start();
    EXPECT_THAT([&] { t.set_daemon(true); },
                ThrowsMessage<RuntimeError>(StrEq("cannot set daemon status of active thread")));
    t.join();
    EXPECT_THAT([&] { t.set_daemon(true); },
                ThrowsMessage<RuntimeError>(StrEq("cannot set daemon status of active thread")));
    EXPECT_FALSE(t.daemon());
}

TEST(Thread, DestroyingAStartedThreadJoinsIt) {
    bool done = false;  // plain bool: ThreadSanitizer checks the destructor's join orders it
    {
        threading::Event go;
        threading::Thread t([&] {
            go.wait();
            done = true;
        });
        t.start();
        go.set();
    }
    EXPECT_TRUE(done);
}

TEST(Thread, DestroyingADaemonThreadLeavesItRunning) {
    threading::Event release;
    threading::Event finished;
    unsigned long ident = 0;
    {
        threading::Thread t({.daemon = true}, [&] {
            release.wait();
            finished.set();
        });
        t.start();
        ident = *t.ident();
    }  // must not wait for the thread, which waits for us
    threading::Thread* view = nullptr;
    auto alive = threading::enumerate();
    for (auto& thread : alive)
        if (thread.ident() == ident) view = &thread;
    ASSERT_NE(view, nullptr);
    EXPECT_TRUE(view->is_alive());
    release.set();
    EXPECT_TRUE(finished.wait(60s));
    view->join();  // a view can join too: the thread has let go of everything once this returns
    EXPECT_FALSE(view->is_alive());
}

TEST(Thread, DestroyingAnUnstartedThreadDoesNothing) {
    bool ran = false;
    { threading::Thread t([&] { ran = true; }); }
    EXPECT_FALSE(ran);
}

TEST(Thread, MovingKeepsTheThread) {
    threading::Event release;
    threading::Thread a({.name = "moved"}, [&] { release.wait(); });
    a.start();
    threading::Thread b(std::move(a));
    EXPECT_EQ(b.name(), "moved");
    EXPECT_TRUE(b.is_alive());
    EXPECT_THAT([&] { (void)a.is_alive(); },  // NOLINT(bugprone-use-after-move): what we test
                ThrowsMessage<RuntimeError>(StrEq("thread.__init__() not called")));
    release.set();
    b.join();
    EXPECT_FALSE(b.is_alive());
}

TEST(Thread, MoveAssignmentJoinsTheThreadItReplaces) {
    bool first_done = false;
    threading::Event go;
    threading::Thread t([&] {
        go.wait();
        first_done = true;
    });
    t.start();
    go.set();
    t = threading::Thread(noop);
    EXPECT_TRUE(first_done);
    EXPECT_FALSE(t.is_alive());
    t.start();
    t.join();
}

TEST(Thread, TheTargetIsReleasedBeforeJoinReturns) {
    auto shared = std::make_shared<int>(0);
    std::weak_ptr<int> watch = shared;
    threading::Thread t([held = std::move(shared)] { (void)held; });
    t.start();
    t.join();
    EXPECT_TRUE(watch.expired());
}

}  // namespace
