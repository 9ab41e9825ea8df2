// current_thread(), main_thread(), dummy threads, get_ident(), active_count(), enumerate().
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <string>
#include <thread>

#include "concurrence/threading/event.hpp"
#include "concurrence/threading/thread.hpp"

namespace {

namespace threading = concurrence::threading;
using concurrence::RuntimeError;
using testing::StartsWith;
using testing::StrEq;
using testing::ThrowsMessage;

void noop() {}

bool listed(const threading::Thread& thread) {
    auto alive = threading::enumerate();
    return std::any_of(alive.begin(), alive.end(), [&](const threading::Thread& t) { return t == thread; });
}

// GoogleTest runs the tests in the process's main thread.
TEST(CurrentThread, TheMainThreadIsMainThread) {
    threading::Thread& main = threading::main_thread();
    EXPECT_EQ(&threading::current_thread(), &main);
    EXPECT_EQ(main.name(), "MainThread");
    EXPECT_FALSE(main.daemon());
    EXPECT_TRUE(main.is_alive());
    EXPECT_EQ(main.ident(), threading::get_ident());
    EXPECT_EQ(main.native_id(), threading::get_native_id());
    EXPECT_EQ(threading::get_native_id(), static_cast<unsigned long>(getpid()));
    EXPECT_TRUE(listed(main));
}

TEST(CurrentThread, TheMainThreadCannotJoinItself) {
    EXPECT_THAT([] { threading::main_thread().join(); },
                ThrowsMessage<RuntimeError>(StrEq("cannot join current thread")));
    EXPECT_THAT([] { threading::main_thread().start(); },
                ThrowsMessage<RuntimeError>(StrEq("threads can only be started once")));
}

TEST(CurrentThread, InATargetItIsTheStartedThread) {
    struct Seen {
        bool same = false;
        bool is_main = true;
        std::string name;
        bool alive = false;
        bool daemon = false;
        std::optional<unsigned long> ident;
        std::string start_error;
    } seen;
    threading::Thread* owner = nullptr;
    threading::Thread t({.name = "inside", .daemon = true}, [&] {
        threading::Thread& me = threading::current_thread();
        seen.same = me == *owner;
        seen.is_main = me == threading::main_thread();
        seen.name = me.name();
        seen.alive = me.is_alive();
        seen.daemon = me.daemon();
        seen.ident = me.ident();
        try {
            me.start();
        } catch (const RuntimeError& e) {
            seen.start_error = e.what();
        }
    });
    owner = &t;
    t.start();
    t.join();
    EXPECT_TRUE(seen.same);
    EXPECT_FALSE(seen.is_main);
    EXPECT_EQ(seen.name, "inside");
    EXPECT_TRUE(seen.alive);
    EXPECT_TRUE(seen.daemon);
    EXPECT_EQ(seen.ident, t.ident());
    EXPECT_EQ(seen.start_error, "threads can only be started once");
}

TEST(CurrentThread, AThreadWeDidNotStartIsADummy) {
    std::string name;
    std::string name_again;
    bool same_object = false;
    bool daemon = false;
    bool alive = false;
    bool ident_matches = false;
    std::string join_error;
    std::thread foreign([&] {
        threading::Thread& me = threading::current_thread();
        name = me.name();
        same_object = &threading::current_thread() == &me;
        name_again = threading::current_thread().name();
        daemon = me.daemon();
        alive = me.is_alive();
        ident_matches = me.ident() == threading::get_ident();
        try {
            me.join();
        } catch (const RuntimeError& e) {
            join_error = e.what();
        }
    });
    foreign.join();
    EXPECT_THAT(name, StartsWith("Dummy-"));
    EXPECT_EQ(name_again, name);
    EXPECT_TRUE(same_object);
    EXPECT_TRUE(daemon);
    EXPECT_TRUE(alive);
    EXPECT_TRUE(ident_matches);
    EXPECT_EQ(join_error, "cannot join a dummy thread");
}

TEST(CurrentThread, DummyAndThreadNamesShareOneCounter) {
    threading::Thread before(noop);
    std::string dummy_name;
    std::thread foreign([&] { dummy_name = threading::current_thread().name(); });
    foreign.join();
    threading::Thread after(noop);
    const auto n = std::stoul(before.name().substr(std::string("Thread-").size()));
    EXPECT_EQ(dummy_name, "Dummy-" + std::to_string(n + 1));
    EXPECT_EQ(after.name(), "Thread-" + std::to_string(n + 2));
}

TEST(CurrentThread, ADummyIsListedWhileItsThreadRuns) {
    const auto before = threading::active_count();
    threading::Event registered;
    threading::Event release;
    std::thread foreign([&] {
        (void)threading::current_thread();
        registered.set();
        release.wait();
    });
    registered.wait();
    EXPECT_EQ(threading::active_count(), before + 1);
    release.set();
    foreign.join();  // the dummy leaves the list as its thread exits
    EXPECT_EQ(threading::active_count(), before);
}

TEST(CurrentThread, EnumerateListsAliveStartedThreads) {
    const auto before = threading::active_count();
    threading::Event release;
    threading::Thread t([&] { release.wait(); });
    EXPECT_FALSE(listed(t));
    t.start();
    EXPECT_TRUE(listed(t));
    EXPECT_EQ(threading::active_count(), before + 1);
    release.set();
    t.join();
    EXPECT_FALSE(listed(t));
    EXPECT_EQ(threading::active_count(), before);
}

TEST(CurrentThread, EnumerateGivesViewsThatDoNotJoin) {
    threading::Event release;
    threading::Thread t([&] { release.wait(); });
    t.start();
    { auto views = threading::enumerate(); }  // destroying views must not wait for t
    EXPECT_TRUE(t.is_alive());
    release.set();
    t.join();
}

TEST(CurrentThread, GetIdentDiffersBetweenLiveThreads) {
    threading::Event release;
    unsigned long other = 0;
    threading::Event reported;
    threading::Thread t([&] {
        other = threading::get_ident();
        reported.set();
        release.wait();
    });
    t.start();
    reported.wait();
    EXPECT_NE(other, threading::get_ident());
    release.set();
    t.join();
}

}  // namespace
