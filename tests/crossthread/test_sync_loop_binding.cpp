// Loop binding of the asyncio primitives and queues (Python's _LoopBoundMixin, made strict:
// see include/concurrence/sync/loop_bound.hpp). For each of Lock, Event, Condition,
// Semaphore, Barrier and Queue<int>:
//   - used in one loop, then in another loop: RuntimeError "<repr> is bound to a different
//     event loop" (Python: test_locks.py ConditionTests.test_ambiguous_loops, and
//     mixins._LoopBoundMixin._get_loop);
//   - used from another std::thread while bound: RuntimeError mentioning another thread;
//   - used before any loop runs (even from another thread): allowed;
//   - used on the loop's own thread after asyncio::run returned: allowed.
// Runs under ThreadSanitizer too: threads meet only through std::thread start/join and
// atomics; the foreign thread's call throws before it touches the object's state.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <concurrence/asyncio.hpp>

#include <atomic>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace {

namespace asyncio = concurrence::asyncio;
using testing::HasSubstr;

// What() of the RuntimeError f throws ("" and a test failure if it throws nothing or
// something else).
template <class F>
std::string runtime_error_of(F&& f) {
    try {
        f();
    } catch (const concurrence::RuntimeError& e) {
        return e.what();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "not a RuntimeError: " << e.what();
        return {};
    }
    ADD_FAILURE() << "no RuntimeError";
    return {};
}

// Runs f in a new std::thread (no loop running there) and returns the RuntimeError's what().
template <class F>
std::string runtime_error_in_thread(F f) {
    std::string what;
    bool threw = false;
    std::thread t([&] {
        try {
            f();
        } catch (const concurrence::RuntimeError& e) {
            what = e.what();
            threw = true;
        } catch (...) {
        }
    });
    t.join();
    EXPECT_TRUE(threw) << "no RuntimeError in the other thread";
    return what;
}

// --- One traits struct per primitive --------------------------------------------------------
// use(o):    a normal round of use inside a loop; leaves the object as it found it. Its first
//            operation is checked against the object's own loop binding.
// probe(o):  a synchronous operation checked against the binding (has_probe false: none exists,
//            every checked Barrier operation is a coroutine).
// before(o): synchronous operations before any loop; after_before(o) (in a loop) sees them.
// leave(o):  in a loop, leaves some state behind; after(o) (no loop, same thread) takes it back.

struct LockCase {
    using Object = asyncio::Lock;
    static constexpr bool has_probe = true;
    static std::unique_ptr<Object> make() { return std::make_unique<Object>(); }
    static asyncio::Coro<> use(Object& o) {
        co_await o.acquire();
        o.release();
    }
    static void probe(Object& o) { (void)o.locked(); }
    static void before(Object& o) { EXPECT_FALSE(o.locked()); }
    static asyncio::Coro<> after_before(Object& o) {
        auto held = co_await o.scoped();
        EXPECT_TRUE(o.locked());
    }
    static asyncio::Coro<> leave(Object& o) { co_await o.acquire(); }
    static void after(Object& o) {
        EXPECT_TRUE(o.locked());
        o.release();
        EXPECT_FALSE(o.locked());
    }
};

struct EventCase {
    using Object = asyncio::Event;
    static constexpr bool has_probe = true;
    static std::unique_ptr<Object> make() { return std::make_unique<Object>(); }
    static asyncio::Coro<> use(Object& o) {
        o.set();
        co_await o.wait();
        o.clear();
    }
    static void probe(Object& o) { (void)o.is_set(); }
    static void before(Object& o) { o.set(); }
    static asyncio::Coro<> after_before(Object& o) {
        EXPECT_TRUE(o.is_set());
        EXPECT_TRUE(co_await o.wait());  // already set: no wait
    }
    static asyncio::Coro<> leave(Object& o) {
        o.set();
        co_return;
    }
    static void after(Object& o) {
        EXPECT_TRUE(o.is_set());
        o.clear();
        EXPECT_FALSE(o.is_set());
    }
};

struct ConditionCase {
    using Object = asyncio::Condition;
    static constexpr bool has_probe = true;
    static std::unique_ptr<Object> make() { return std::make_unique<Object>(); }
    static asyncio::Coro<> use(Object& o) {
        // notify() checks the Condition's own binding first (acquire() checks its Lock's);
        // bound here, it throws "cannot notify on un-acquired lock".
        try {
            o.notify();
            ADD_FAILURE() << "notify() without the lock did not throw";
        } catch (const concurrence::RuntimeError& e) {
            if (std::string(e.what()) != "cannot notify on un-acquired lock") throw;
        }
        auto held = co_await o.scoped();
        o.notify_all();
    }
    // Throws the binding error when bound elsewhere, else "cannot notify on un-acquired lock".
    static void probe(Object& o) { o.notify(); }
    static void before(Object& o) { EXPECT_FALSE(o.locked()); }
    static asyncio::Coro<> after_before(Object& o) {
        auto held = co_await o.scoped();
        EXPECT_EQ(co_await o.wait_for([] { return 7; }), 7);
    }
    static asyncio::Coro<> leave(Object& o) {
        co_await o.acquire();  // binds the Condition's Lock
        o.notify();            // binds the Condition
    }
    static void after(Object& o) {
        EXPECT_TRUE(o.locked());
        o.notify_all();
        o.release();
        EXPECT_FALSE(o.locked());
    }
};

struct SemaphoreCase {
    using Object = asyncio::Semaphore;
    static constexpr bool has_probe = true;
    static std::unique_ptr<Object> make() { return std::make_unique<Object>(1); }
    static asyncio::Coro<> use(Object& o) {
        co_await o.acquire();
        o.release();
    }
    static void probe(Object& o) { (void)o.locked(); }
    static void before(Object& o) { o.release(); }  // value 2
    static asyncio::Coro<> after_before(Object& o) {
        co_await o.acquire();
        co_await o.acquire();
        EXPECT_TRUE(o.locked());
        o.release();
        o.release();
    }
    static asyncio::Coro<> leave(Object& o) { co_await o.acquire(); }
    static void after(Object& o) {
        EXPECT_TRUE(o.locked());
        o.release();
        EXPECT_FALSE(o.locked());
    }
};

struct BarrierCase {
    using Object = asyncio::Barrier;
    static constexpr bool has_probe = false;
    static std::unique_ptr<Object> make() { return std::make_unique<Object>(1); }
    static asyncio::Coro<> use(Object& o) {
        EXPECT_EQ(co_await o.wait(), 0u);
        co_await o.reset();
    }
    static void probe(Object&) {}
    static void before(Object& o) {
        EXPECT_EQ(o.parties(), 1u);
        EXPECT_EQ(o.n_waiting(), 0u);
        EXPECT_FALSE(o.broken());
    }
    static asyncio::Coro<> after_before(Object& o) { EXPECT_EQ(co_await o.wait(), 0u); }
    static asyncio::Coro<> leave(Object& o) { co_await o.abort(); }
    static void after(Object& o) {
        EXPECT_TRUE(o.broken());
        EXPECT_THAT(o.repr(), HasSubstr("[broken]"));
    }
};

struct QueueCase {
    using Object = asyncio::Queue<int>;
    static constexpr bool has_probe = true;
    static std::unique_ptr<Object> make() { return std::make_unique<Object>(); }
    static asyncio::Coro<> use(Object& o) {
        o.put_nowait(1);
        EXPECT_EQ(co_await o.get(), 1);
    }
    static void probe(Object& o) { (void)o.qsize(); }
    static void before(Object& o) {
        o.put_nowait(1);
        o.put_nowait(2);
    }
    static asyncio::Coro<> after_before(Object& o) {
        EXPECT_EQ(co_await o.get(), 1);
        EXPECT_EQ(co_await o.get(), 2);
        EXPECT_TRUE(o.empty());
    }
    static asyncio::Coro<> leave(Object& o) {
        co_await o.put(5);
        co_await o.put(6);
    }
    static void after(Object& o) {
        EXPECT_EQ(o.qsize(), 2u);
        EXPECT_EQ(o.get_nowait(), 5);
        o.put_nowait(7);
        EXPECT_EQ(o.get_nowait(), 6);
        EXPECT_EQ(o.get_nowait(), 7);
        EXPECT_THROW(o.get_nowait(), asyncio::QueueEmpty);
    }
};

template <class C>
class SyncLoopBinding : public testing::Test {};

using Cases = testing::Types<LockCase, EventCase, ConditionCase, SemaphoreCase, BarrierCase, QueueCase>;

class CaseNames {
public:
    template <class C>
    static std::string GetName(int) {
        if constexpr (std::is_same_v<C, LockCase>) return "Lock";
        if constexpr (std::is_same_v<C, EventCase>) return "Event";
        if constexpr (std::is_same_v<C, ConditionCase>) return "Condition";
        if constexpr (std::is_same_v<C, SemaphoreCase>) return "Semaphore";
        if constexpr (std::is_same_v<C, BarrierCase>) return "Barrier";
        if constexpr (std::is_same_v<C, QueueCase>) return "Queue";
        return "?";
    }
};
TYPED_TEST_SUITE(SyncLoopBinding, Cases, CaseNames);

// How the binding errors name an object: its repr without the state ("<asyncio::Lock at
// 0x...>"), since the state may be changing in the loop's thread meanwhile.
template <class O>
std::string bound_name(const O& o) {
    const std::string r = o.repr();
    const std::size_t state = r.find(" [");
    return state == std::string::npos ? r : r.substr(0, state) + ">";
}

// Used in one loop, then in another (both loops alive, same thread): RuntimeError
// "<repr> is bound to a different event loop". The first loop can still use it.
TYPED_TEST(SyncLoopBinding, UseInAnotherLoopIsRuntimeError) {
    using C = TypeParam;
    auto o = C::make();
    asyncio::EventLoop first;
    asyncio::EventLoop second;
    first.run_until_complete(C::use(*o));

    const std::string repr = bound_name(*o);
    std::string what = runtime_error_of([&] { second.run_until_complete(C::use(*o)); });
    EXPECT_THAT(what, HasSubstr(repr + " is bound to a different event loop"));
    if constexpr (C::has_probe) {
        what = runtime_error_of([&] {
            second.run_until_complete([](typename C::Object& obj) -> asyncio::Coro<> {
                C::probe(obj);
                co_return;
            }(*o));
        });
        EXPECT_THAT(what, HasSubstr(repr + " is bound to a different event loop"));
    }

    // Still bound to the first loop, which may go on using it.
    first.run_until_complete(C::use(*o));
}

// Python: an object bound to the loop of a finished asyncio.run() and used by the next
// asyncio.run() raises "is bound to a different event loop" (the old loop is closed), even
// when the new loop happens to be allocated at the old one's address (it has another serial).
TYPED_TEST(SyncLoopBinding, UseInALaterAsyncioRunIsRuntimeError) {
    using C = TypeParam;
    auto o = C::make();
    asyncio::run(C::use(*o));
    const std::string repr = bound_name(*o);
    std::string what = runtime_error_of([&] { asyncio::run(C::use(*o)); });
    EXPECT_THAT(what, HasSubstr(repr + " is bound to a different event loop"));
}

// Used from another std::thread (no loop there) while its loop runs: RuntimeError naming
// another thread. Barrier has no synchronous checked operation: the other thread runs a loop
// of its own, which is "a different event loop".
TYPED_TEST(SyncLoopBinding, UseFromAnotherThreadWhileBoundIsRuntimeError) {
    using C = TypeParam;
    auto o = C::make();
    auto main = [](typename C::Object& obj) -> asyncio::Coro<> {
        co_await C::use(obj);  // binds
        const std::string repr = bound_name(obj);
        std::string what;
        if constexpr (C::has_probe) {
            what = runtime_error_in_thread([&obj] { C::probe(obj); });
            EXPECT_THAT(what, HasSubstr(repr + " is bound to an event loop of another thread"));
        } else {
            what = runtime_error_in_thread([&obj] { asyncio::run(C::use(obj)); });
            EXPECT_THAT(what, HasSubstr(repr + " is bound to a different event loop"));
        }
        // Nothing changed: the loop goes on using it.
        co_await C::use(obj);
    };
    asyncio::run(main(*o));
}

// After asyncio::run returned, the object is still bound: its own thread may use it (no loop
// runs), another thread may not.
TYPED_TEST(SyncLoopBinding, UseOnOwnThreadAfterRunReturnedIsAllowed) {
    using C = TypeParam;
    auto o = C::make();
    asyncio::run(C::leave(*o));
    C::after(*o);  // same thread, no loop running: allowed
    if constexpr (C::has_probe) {
        const std::string repr = bound_name(*o);
        std::string what = runtime_error_in_thread([&] { C::probe(*o); });
        EXPECT_THAT(what, HasSubstr(repr));
        EXPECT_THAT(what, HasSubstr("another thread"));
    }
}

// Before any loop has used it, any thread may use it (Python fills queues before
// asyncio.run); the first loop then binds it.
TYPED_TEST(SyncLoopBinding, UseBeforeAnyLoopIsAllowed) {
    using C = TypeParam;
    auto o = C::make();
    C::before(*o);
    asyncio::run(C::after_before(*o));
}

TYPED_TEST(SyncLoopBinding, UseFromAnotherThreadBeforeAnyLoopIsAllowed) {
    using C = TypeParam;
    auto o = C::make();
    bool ok = false;
    std::thread t([&] {
        C::before(*o);
        ok = true;
    });
    t.join();
    EXPECT_TRUE(ok);
    asyncio::run(C::after_before(*o));  // the main thread's loop binds it now
}

// A loop running in a worker thread holds a queue (waiting in get()); the main thread, with
// no loop, may not touch it: RuntimeError, and the worker's loop is unaffected.
TEST(SyncLoopBindingRunning, QueueOfALoopRunningInAnotherThread) {
    asyncio::Queue<int> q;
    std::atomic<bool> bound{false};
    std::atomic<bool> done_probing{false};
    int got = 0;
    std::thread worker([&] {
        auto main = [&]() -> asyncio::Coro<> {
            q.put_nowait(1);  // binds to this thread's loop
            got = co_await q.get();
            bound.store(true, std::memory_order_release);
            while (!done_probing.load(std::memory_order_acquire)) co_await asyncio::sleep(0.001);
            q.put_nowait(2);
            got += co_await q.get();
        };
        asyncio::run(main());
    });
    while (!bound.load(std::memory_order_acquire)) std::this_thread::yield();
    std::string what = runtime_error_of([&] { q.put_nowait(3); });
    EXPECT_THAT(what, HasSubstr("<asyncio::Queue"));
    EXPECT_THAT(what, HasSubstr("another thread"));
    what = runtime_error_of([&] { (void)q.qsize(); });
    EXPECT_THAT(what, HasSubstr("another thread"));
    done_probing.store(true, std::memory_order_release);
    worker.join();
    EXPECT_EQ(got, 3);
}

// The foreign thread's call must fail without reading what the owning loop is changing (the
// message names the object by type and address only; ThreadSanitizer checks it).
TEST(SyncLoopBindingRunning, ForeignProbeWhileTheLoopIsBusyDoesNotRace) {
    asyncio::Queue<int> q;
    std::atomic<bool> bound{false};
    std::atomic<bool> stop{false};
    std::thread worker([&] {
        auto main = [&]() -> asyncio::Coro<> {
            q.put_nowait(0);  // binds to this thread's loop
            (void)co_await q.get();
            bound.store(true, std::memory_order_release);
            int i = 0;
            while (!stop.load(std::memory_order_acquire)) {
                q.put_nowait(++i);
                (void)co_await q.get();
                co_await asyncio::sleep(0);
            }
        };
        asyncio::run(main());
    });
    while (!bound.load(std::memory_order_acquire)) std::this_thread::yield();
    const int probes = 2000;
    int errors = 0;
    for (int k = 0; k < probes; ++k) {
        try {
            (void)q.qsize();
        } catch (const concurrence::RuntimeError&) {
            ++errors;
        }
    }
    stop.store(true, std::memory_order_release);
    worker.join();
    EXPECT_EQ(errors, probes);
}

}  // namespace
