// Helpers shared by the queue module's tests (a port of CPython's Lib/test/test_queue.py).
//
// Python → C++:
//   do_blocking_test(block_func, args, trigger_func, args)   do_blocking_test(block, trigger)
//   threading.Thread(target=f).start() ... t.join()         Background<R> call(f); call.join()
//   with self.assertRaises(queue.Full):                     EXPECT_THROW(..., queue::Full)
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <variant>

#include "concurrence/queue.hpp"
#include "concurrence/threading/thread.hpp"

namespace thread_queue_test {

namespace queue = concurrence::queue;
namespace threading = concurrence::threading;
using namespace std::chrono_literals;

// Long enough for a thread to start and block (so that the blocking path is what runs) on a
// loaded machine; correctness never depends on it.
inline constexpr auto settle = 30ms;
// A bound no healthy test comes near: only a hang reaches it.
inline constexpr auto hang = 30s;

// A call made in another thread, which the test watches: has it returned? what did it return
// or throw? The thread is joined by the destructor at the latest.
template <class R>
class Background {
    using Value = std::conditional_t<std::is_void_v<R>, std::monostate, R>;
    struct State {
        std::atomic<bool> finished{false};
        std::optional<Value> value;
        std::exception_ptr error;
    };

public:
    template <class F>
    explicit Background(F call)
        : state_(std::make_shared<State>()), thread_([state = state_, call = std::move(call)]() mutable {
              try {
                  if constexpr (std::is_void_v<R>) {
                      call();
                      state->value.emplace();
                  } else {
                      state->value.emplace(call());
                  }
              } catch (...) {
                  state->error = std::current_exception();
              }
              state->finished.store(true, std::memory_order_release);
          }) {
        thread_.start();
    }

    // A thread still blocked after `hang` means a lost wake-up: fail fast instead of hanging in
    // the join (the queue it uses is about to be destroyed under it).
    ~Background() {
        if (!join()) {
            std::fprintf(stderr, "a test thread is still blocked after %lld s: aborting\n",
                         static_cast<long long>(std::chrono::seconds(hang).count()));
            std::abort();
        }
    }
    Background(const Background&) = delete;
    Background& operator=(const Background&) = delete;

    // The call has returned or thrown.
    [[nodiscard]] bool finished() const { return state_->finished.load(std::memory_order_acquire); }
    // Waits for the call to end; false if it is still running after `hang` (the test fails).
    bool join() {
        thread_.join(hang);
        return finished();
    }
    // After join(): what the call returned (empty if it threw) or threw.
    [[nodiscard]] std::optional<Value>& value() { return state_->value; }
    [[nodiscard]] std::exception_ptr error() const { return state_->error; }
    template <class E>
    [[nodiscard]] bool threw() const {
        return concurrence::exception_is<E>(state_->error);
    }

private:
    std::shared_ptr<State> state_;
    threading::Thread thread_;
};

template <class F>
Background(F) -> Background<std::invoke_result_t<F&>>;

// Python's do_blocking_test: runs block() here while another thread sleeps a little (so that
// block() is likely to block first), records that it started, then calls trigger(). block()
// must not return before trigger() runs: if it returned before the trigger thread started, it
// did not block, and the test fails ("blocking function appeared not to block").
template <class Block, class Trigger>
auto do_blocking_test(Block block, Trigger trigger) {
    std::atomic<bool> started{false};
    threading::Thread thread([&] {
        std::this_thread::sleep_for(settle);
        started.store(true);
        trigger();
    });
    thread.start();
    struct Joiner {
        threading::Thread& thread;
        ~Joiner() { thread.join(); }
    } joiner{thread};
    if constexpr (std::is_void_v<decltype(block())>) {
        block();
        EXPECT_TRUE(started.load()) << "blocking function appeared not to block";
    } else {
        auto result = block();
        EXPECT_TRUE(started.load()) << "blocking function appeared not to block";
        return result;
    }
}

// How long f() takes.
template <class F>
std::chrono::steady_clock::duration time_of(F f) {
    const auto start = std::chrono::steady_clock::now();
    f();
    return std::chrono::steady_clock::now() - start;
}

// The three classes of Python's BaseQueueTestMixin (QueueTest, LifoQueueTest, PriorityQueueTest),
// for typed tests, with the order each gives to Python's put(111), put(333), put(222).
using QueueTypes = testing::Types<queue::Queue<int>, queue::LifoQueue<int>, queue::PriorityQueue<int>>;

template <class Q>
struct Kind;
template <>
struct Kind<queue::Queue<int>> {
    static constexpr const char* name = "Queue";
    static constexpr int order_111_333_222[3] = {111, 333, 222};
};
template <>
struct Kind<queue::LifoQueue<int>> {
    static constexpr const char* name = "LifoQueue";
    static constexpr int order_111_333_222[3] = {222, 333, 111};
};
template <>
struct Kind<queue::PriorityQueue<int>> {
    static constexpr const char* name = "PriorityQueue";
    static constexpr int order_111_333_222[3] = {111, 222, 333};
};

struct KindNames {
    template <class Q>
    static std::string GetName(int) {
        return Kind<Q>::name;
    }
};

}  // namespace thread_queue_test
