// threading::local<T>: one value per thread, made from copies of the constructor's arguments,
// destroyed when its thread ends or when the local goes, whichever comes first. Ports the
// relevant parts of CPython's Lib/test/test_threading_local.py (test_local_refs: values go
// with their threads; test_derived / test_arguments: a subclass's __init__ arguments are used
// again in each thread; test_cycle_collection: values go with the local;
// test_threading_local_clear_race: threads ending while the local goes), plus the C++ side:
// locals made and dropped at run time, many locals, values whose destructors use locals.
#include "concurrence/threading/local.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "concurrence/threading/barrier.hpp"
#include "concurrence/threading/event.hpp"
#include "concurrence/threading/thread.hpp"

namespace {

namespace threading = concurrence::threading;
using namespace std::chrono_literals;

struct Counts {
    std::atomic<int> made{0};
    std::atomic<int> destroyed{0};
};

// Counts its constructions and destructions.
class Counted {
public:
    explicit Counted(Counts* counts, int initial = 0) : value(initial), counts_(counts) { counts_->made.fetch_add(1); }
    Counted(const Counted&) = delete;
    Counted& operator=(const Counted&) = delete;
    ~Counted() { counts_->destroyed.fetch_add(1); }

    int value;

private:
    Counts* counts_;
};

void run_in_thread(const std::function<void()>& f) {
    threading::Thread t(f);
    t.start();
    t.join();
}

TEST(Local, EachThreadHasItsOwnValue) {
    threading::local<int> number;
    *number = 1;
    constexpr int n = 4;
    threading::Barrier all_set(n, {}, 30.0);
    std::atomic<int> wrong{0};
    std::vector<threading::Thread> threads;
    for (int i = 1; i <= n; ++i) {
        threads.emplace_back([&, i] {
            if (number.get() != 0) wrong.fetch_add(1);  // a fresh int, not the main thread's
            *number = i * 10;
            all_set.wait();  // every thread has written its own
            if (*number != i * 10) wrong.fetch_add(1);
        });
        threads.back().start();
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(wrong.load(), 0);
    EXPECT_EQ(*number, 1);
}

TEST(Local, AccessorsGiveThisThreadsObject) {
    threading::local<std::string> text;
    std::string* here = &text.get();
    EXPECT_EQ(&*text, here);
    EXPECT_EQ(text.operator->(), here);
    text->append("main");
    std::string* there = nullptr;
    std::string seen_there = "unset";
    run_in_thread([&] {
        there = &text.get();
        seen_there = *text;
    });
    EXPECT_NE(there, here);
    EXPECT_EQ(seen_there, "");
    EXPECT_EQ(*text, "main");
}

TEST(Local, ConstructorArgumentsAreCopiedForEachThread) {  // test_derived, test_arguments
    threading::local<std::vector<int>> vec(3, 7);
    EXPECT_EQ(*vec, (std::vector<int>{7, 7, 7}));
    vec->push_back(1);
    std::string original = "abc";
    threading::local<std::string> text(original);
    original = "changed";  // the local keeps its own copy of the argument
    std::vector<std::vector<int>> seen_vec(3);
    std::vector<std::string> seen_text(3);
    std::vector<threading::Thread> threads;
    for (std::size_t i = 0; i < 3; ++i) {
        threads.emplace_back([&, i] {
            seen_vec[i] = *vec;  // fresh from the arguments, without the main thread's push_back
            vec->push_back(static_cast<int>(i));
            seen_text[i] = *text;
            text->append("!");
        });
        threads.back().start();
    }
    for (auto& t : threads) t.join();
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(seen_vec[i], (std::vector<int>{7, 7, 7}));
        EXPECT_EQ(seen_text[i], "abc");
    }
    EXPECT_EQ(*vec, (std::vector<int>{7, 7, 7, 1}));
    EXPECT_EQ(*text, "abc");
}

TEST(Local, AValueIsMadeOnFirstUseOnly) {
    Counts counts;
    threading::local<Counted> value(&counts, 5);
    EXPECT_EQ(counts.made.load(), 0);
    run_in_thread([] {});  // a thread that never uses it makes nothing
    EXPECT_EQ(counts.made.load(), 0);
    EXPECT_EQ(value->value, 5);
    value->value = 6;
    EXPECT_EQ(value.get().value, 6);
    EXPECT_EQ(counts.made.load(), 1);
}

TEST(Local, AThreadsValueIsDestroyedWhenTheThreadEnds) {  // test_local_refs
    Counts counts;
    threading::local<Counted> value(&counts);
    value->value = 1;
    threading::Event used;
    threading::Event finish;
    threading::Thread t([&] {
        value->value = 2;
        used.set();
        finish.wait();
    });
    t.start();
    ASSERT_TRUE(used.wait(30s));
    EXPECT_EQ(counts.made.load(), 2);
    EXPECT_EQ(counts.destroyed.load(), 0);  // the thread still runs
    finish.set();
    t.join();
    EXPECT_EQ(counts.destroyed.load(), 1);  // its value went with it
    EXPECT_EQ(value->value, 1);             // the main thread's stays
    EXPECT_EQ(counts.made.load(), 2);
}

TEST(Local, AThreadNotStartedThroughThreadLosesItsValueToo) {
    Counts counts;
    threading::local<Counted> value(&counts);
    std::thread t([&] { value->value = 3; });
    t.join();
    EXPECT_EQ(counts.made.load(), 1);
    EXPECT_EQ(counts.destroyed.load(), 1);
}

TEST(Local, ValuesAreDestroyedWhenTheLocalIsDestroyed) {  // test_cycle_collection
    Counts counts;
    std::optional<threading::local<Counted>> value(std::in_place, &counts);
    (*value)->value = 1;
    threading::Event used;
    threading::Event finish;
    threading::Thread t([&] {
        (*value)->value = 2;
        used.set();
        finish.wait();  // still running when the local goes
    });
    t.start();
    ASSERT_TRUE(used.wait(30s));
    EXPECT_EQ(counts.made.load(), 2);
    value.reset();
    EXPECT_EQ(counts.destroyed.load(), 2);  // both, the live thread's included
    finish.set();
    t.join();
    EXPECT_EQ(counts.destroyed.load(), 2);  // the thread's end destroys nothing twice
}

TEST(Local, ALocalMadeWhereAnotherWasGetsFreshValues) {
    // The per-thread cache must not hand a new local the value of a destroyed one, which the
    // allocator is likely to have put at the same address.
    std::unique_ptr<threading::local<int>> number;
    for (int round = 0; round < 5; ++round) {
        number = std::make_unique<threading::local<int>>();
        EXPECT_EQ(number->get(), 0);
        number->get() = round + 100;
        EXPECT_EQ(**number, round + 100);
        number.reset();
    }
    Counts counts;
    std::unique_ptr<threading::local<Counted>> counted;
    for (int round = 0; round < 5; ++round) {
        counted = std::make_unique<threading::local<Counted>>(&counts, round);
        EXPECT_EQ((*counted)->value, round);
        counted.reset();
    }
    EXPECT_EQ(counts.made.load(), 5);
    EXPECT_EQ(counts.destroyed.load(), 5);
}

TEST(Local, ManyLocals) {
    constexpr int locals = 200;
    constexpr int n = 4;
    Counts counts;
    std::vector<std::unique_ptr<threading::local<Counted>>> all;
    for (int i = 0; i < locals; ++i) all.push_back(std::make_unique<threading::local<Counted>>(&counts, i));
    for (int i = 0; i < locals; ++i) (*all[static_cast<std::size_t>(i)])->value += 1000;
    std::atomic<int> wrong{0};
    std::vector<threading::Thread> threads;
    for (int k = 1; k <= n; ++k) {
        threads.emplace_back([&, k] {
            for (int i = 0; i < locals; ++i) {
                auto& v = (*all[static_cast<std::size_t>(i)])->value;
                if (v != i) wrong.fetch_add(1);
                v = i * 10 + k;
            }
            for (int i = locals - 1; i >= 0; --i)  // each kept its own, in any order of access
                if ((*all[static_cast<std::size_t>(i)])->value != i * 10 + k) wrong.fetch_add(1);
        });
        threads.back().start();
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(wrong.load(), 0);
    EXPECT_EQ(counts.made.load(), locals * (n + 1));
    EXPECT_EQ(counts.destroyed.load(), locals * n);
    for (int i = 0; i < locals; ++i) EXPECT_EQ((*all[static_cast<std::size_t>(i)])->value, i + 1000);
    all.clear();
    EXPECT_EQ(counts.destroyed.load(), locals * (n + 1));
}

TEST(Local, ALocalStillWorksAfterManyThreadsEnded) {
    Counts counts;
    threading::local<Counted> value(&counts, 7);
    constexpr int batches = 5;
    constexpr int per_batch = 10;
    std::atomic<int> wrong{0};
    for (int b = 0; b < batches; ++b) {
        std::vector<threading::Thread> threads;
        for (int i = 0; i < per_batch; ++i) {
            threads.emplace_back([&, i] {
                if (value->value != 7) wrong.fetch_add(1);
                value->value = i;
            });
            threads.back().start();
        }
        for (auto& t : threads) t.join();
    }
    EXPECT_EQ(wrong.load(), 0);
    EXPECT_EQ(counts.made.load(), batches * per_batch);
    EXPECT_EQ(counts.destroyed.load(), batches * per_batch);
    EXPECT_EQ(value->value, 7);  // the main thread's value is made now, fresh
    EXPECT_EQ(counts.made.load(), batches * per_batch + 1);
    run_in_thread([&] {
        if (value->value != 7) wrong.fetch_add(1);
    });
    EXPECT_EQ(wrong.load(), 0);
    EXPECT_EQ(counts.destroyed.load(), batches * per_batch + 1);
}

TEST(Local, ThreadsEndingWhileTheLocalIsDestroyed) {  // test_threading_local_clear_race
    // Each value is destroyed once, whether its thread's end or the local's destruction
    // gets to it first (ThreadSanitizer and ASan watch the race).
    constexpr int n = 8;
    Counts counts;
    std::optional<threading::local<Counted>> value(std::in_place, &counts);
    threading::Barrier all_used(n + 1, {}, 30.0);
    threading::Event go;
    std::vector<threading::Thread> threads;
    for (int i = 0; i < n; ++i) {
        threads.emplace_back([&] {
            (*value)->value = 1;
            all_used.wait();
            go.wait();
        });
        threads.back().start();
    }
    all_used.wait();
    go.set();
    value.reset();
    for (auto& t : threads) t.join();
    EXPECT_EQ(counts.made.load(), n);
    EXPECT_EQ(counts.destroyed.load(), n);
}

TEST(Local, ConcurrentFirstUses) {
    constexpr int n = 8;
    threading::local<int> a;
    threading::local<std::string> b("x");
    threading::local<std::vector<int>> c;
    threading::Event go;
    std::atomic<int> wrong{0};
    std::vector<threading::Thread> threads;
    for (int i = 0; i < n; ++i) {
        threads.emplace_back([&, i] {
            go.wait();
            for (int round = 0; round < 100; ++round) {
                if (*a != round * i) wrong.fetch_add(1);
                *a = (round + 1) * i;
                if (b->size() != static_cast<std::size_t>(round + 1)) wrong.fetch_add(1);
                b->push_back('y');
                c->push_back(i);
            }
            for (int v : *c)
                if (v != i) wrong.fetch_add(1);
        });
        threads.back().start();
    }
    go.set();
    for (auto& t : threads) t.join();
    EXPECT_EQ(wrong.load(), 0);
}

// A value whose destructor uses another local, as Python code may touch locals in __del__.
struct UsesOther {
    explicit UsesOther(threading::local<Counted>* other) : other_(other) {}
    UsesOther(const UsesOther&) = delete;
    UsesOther& operator=(const UsesOther&) = delete;
    ~UsesOther() { (*other_)->value = 99; }

    threading::local<Counted>* other_;
};

TEST(Local, AValueDestructorMayUseALocalWhileItsThreadEnds) {
    Counts counts;
    std::optional<threading::local<Counted>> other(std::in_place, &counts);
    {
        threading::local<UsesOther> user(&*other);
        run_in_thread([&] { (void)user.get(); });
        // The value made by the ending thread's destructor call lives as long as `other`.
        EXPECT_EQ(counts.made.load(), 1);
        EXPECT_EQ(counts.destroyed.load(), 0);
        run_in_thread([&] {
            (void)other->get();  // this thread used `other` first: its value goes with it
            (void)user.get();
        });
        EXPECT_GE(counts.made.load(), 2);
    }
    EXPECT_EQ((*other)->value, 0);  // the main thread's own value is untouched
    other.reset();
    EXPECT_EQ(counts.destroyed.load(), counts.made.load());  // nothing leaked, nothing twice
}

}  // namespace
