// The shared state behind concurrent.futures.Future (internal): what every Future handle to one
// future points to.
//
// One allocation holds everything: the reference count, the state word, the exception or the
// value, the first done-callback, the links of the threads waiting in wait()/as_completed(),
// and, for an executor's task (task_state.hpp), the callable and its arguments and the link of
// the executor's work queue. It comes from a per-thread free list (state_allocator.hpp).
//
// Design notes:
//   - One 32-bit word carries Python's _state (PENDING ... FINISHED) and four flags: a lock bit
//     (Python's _condition: it guards the callbacks, the waiters and the result slot while a
//     future changes), two "somebody sleeps in a futex wait on this word" bits (one until the
//     future is done, one until the lock bit is free: whoever makes that happen wakes them) and
//     "listeners" (callbacks or waiters are registered). So completing a future that nobody
//     waits for is two atomic instructions (take the lock bit, store the new state) and no
//     system call; a thread that sleeps sets its bit before it sleeps on the very word the
//     completer writes, so no wake-up is lost. Waiters spin a little before they sleep.
//   - The lock bit is held for a handful of instructions (never while user code runs): taking it
//     spins briefly, then sleeps on the word like any other waiter.
//   - Python's two cancelled states are kept: cancel() makes a future CANCELLED (done, cancelled,
//     its result() throws) but wait() and as_completed() only learn of it once the executor
//     calls set_running_or_notify_cancel() (CANCELLED_AND_NOTIFIED), exactly as in CPython.
//
// Thread safety: every member function may be called from any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include "concurrence/base/timeout.hpp"
#include "concurrence/futures/done_callback.hpp"
#include "concurrence/futures/errors.hpp"
#include "concurrence/futures/state_allocator.hpp"

namespace concurrence::futures::detail {

class Waiter;

// Python's future states (concurrent/futures/_base.py).
enum class Status : int {
    pending = 0,
    running = 1,
    cancelled = 2,               // cancelled by the user...
    cancelled_and_notified = 3,  // ...and the waiters told (set_running_or_notify_cancel)
    finished = 4,
};

// The link of an executor's work queue: a task's state is its own queue node.
struct QueueLink {
    std::atomic<QueueLink*> next_in_queue{nullptr};
};

// One wait()/as_completed() call waiting on one future: a node of the future's list of waiters,
// owned by the Waiter (waiter.hpp).
struct WaiterLink {
    WaiterLink* prev = nullptr;
    WaiterLink* next = nullptr;
    Waiter* waiter = nullptr;
    std::size_t index = 0;  // the future's position in the waiter's list
    bool linked = false;
};

// What a worker calls between running a task and publishing its result (an executor's
// bookkeeping that must happen before anybody can see the task done).
struct BeforePublish {
    void (*fn)(void*) noexcept = nullptr;
    void* context = nullptr;
    void operator()() const noexcept {
        if (fn) fn(context);
    }
};

class StateCore : public QueueLink {
public:
    StateCore(const StateCore&) = delete;
    StateCore& operator=(const StateCore&) = delete;

    // States come from their own allocator (state_allocator.hpp); `delete this` passes the size
    // of the most derived type (the destructor is virtual).
    static void* operator new(std::size_t size) { return allocate_state(size); }
    static void operator delete(void* p, std::size_t size) noexcept { deallocate_state(p, size); }

    // ---- references (Future handles, an executor's queue, a running worker)
    void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
    void release() noexcept {
        if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
    }

    // ---- observers
    Status status() const noexcept { return status_of(word_.load(std::memory_order_acquire)); }
    bool cancelled() const noexcept {
        const Status s = status();
        return s == Status::cancelled || s == Status::cancelled_and_notified;
    }
    bool running() const noexcept { return status() == Status::running; }
    bool done() const noexcept { return is_done(status()); }

    // ---- Python's Future methods (the typed parts are in FutureState<T>)
    bool cancel();
    bool set_running_or_notify_cancel();
    // Throws InvalidStateError when done, ValueError for a null exception.
    void set_exception(std::exception_ptr e);

    // Waits until done or the timeout passes (none: forever; <= 0 or NaN: only looks). Then
    // throws CancelledError if cancelled, the stored exception if it failed, TimeoutError if not
    // done; returns if it finished with a value.
    void wait_for_result(const std::optional<Delay>& timeout) const {
        if (finished_with_value(word_.load(std::memory_order_acquire))) return;
        wait_for_result_slow(timeout);
    }
    // Python's exception(timeout): the stored exception, or null if it finished with a value.
    std::exception_ptr wait_for_exception(const std::optional<Delay>& timeout) const;

    // Calls `callback` at once (in this thread) if done, else stores it for the completing
    // thread. An exception escaping a callback is reported on stderr and dropped.
    void add_done_callback(DoneCallback callback);

    // "<Future at 0x... state=finished returned int>"
    std::string repr() const;
    // Python's _state names, "PENDING" ... "FINISHED".
    static const char* status_name(Status s) noexcept;

    // ---- for wait() and as_completed()
    // Links `link` unless the future is already done (finished, or cancelled and notified);
    // returns the status seen then. A done future reports itself to the waiter at once.
    Status add_waiter(WaiterLink& link);
    void remove_waiter(WaiterLink& link) noexcept;

    // ---- for executors
    // Runs an executor's task: set_running_or_notify_cancel(), the call, `before_publish`, the
    // result. Only TaskState overrides it.
    virtual void run_task(BeforePublish before_publish) noexcept;
    // Lets go of an executor's callable and its arguments without running them.
    virtual void drop_task() noexcept {}

protected:
    // Word layout: the status in the low bits, then four flags.
    static constexpr int status_mask = 7;
    static constexpr int locked_bit = 8;         // a thread is changing the future
    static constexpr int sleepers_bit = 16;      // somebody sleeps until the future is done
    static constexpr int lock_waiters_bit = 32;  // somebody sleeps until the lock bit is free
    static constexpr int listeners_bit = 64;     // callbacks or waiters to run on completion

    explicit StateCore(int refs) noexcept : refs_(refs) {}
    virtual ~StateCore();

    static Status status_of(int word) noexcept { return static_cast<Status>(word & status_mask); }
    int word() const noexcept { return word_.load(std::memory_order_acquire); }
    static bool is_done(Status s) noexcept { return s >= Status::cancelled; }
    bool finished_with_value(int word) const noexcept {
        return status_of(word) == Status::finished && !exception_;
    }

    // Takes the lock bit; returns the word (with the bit).
    int lock() noexcept {
        int w = word_.load(std::memory_order_relaxed);
        if (!(w & locked_bit) &&
            word_.compare_exchange_weak(w, w | locked_bit, std::memory_order_acquire, std::memory_order_relaxed))
            return w | locked_bit;
        return lock_slow();
    }
    // Stores `status` (with the listeners flag as it should be now), drops the lock bit and
    // wakes the sleepers.
    void unlock(Status status) noexcept;
    // lock(), or InvalidStateError (Python's "FINISHED: <Future ...>") if the future is done.
    int lock_unless_done();
    // Under the lock, the result slot filled (or `error` given): FINISHED, waiters told, lock
    // released, callbacks run.
    void finish_locked(int word, std::exception_ptr error) noexcept;

    // The demangled name of the result type for repr ("int"; "NoneType" for void).
    virtual std::string result_type_name() const = 0;

private:
    int lock_slow() noexcept;
    void wait_for_result_slow(const std::optional<Delay>& timeout) const;
    // Sleeps until done or the deadline; returns the last word seen.
    int wait_done(const std::optional<Delay>& timeout) const;
    void notify_waiters_locked(Status status) noexcept;
    void run_callbacks() noexcept;
    void run_callback(DoneCallback& callback) noexcept;
    bool has_listeners_locked() const noexcept { return waiters_ != nullptr || first_callback_; }

    mutable std::atomic<int> word_{0};
    std::atomic<int> refs_;
    std::exception_ptr exception_;       // written under the lock, read once done
    WaiterLink* waiters_ = nullptr;      // guarded by the lock
    DoneCallbackNode* more_callbacks_ = nullptr;
    DoneCallback first_callback_;        // guarded by the lock until done, then the completer's
};

// The demangled name of a type, without "concurrence::" ("std::string" for std::string).
std::string type_name(const std::type_info& type);

template <class T>
class FutureState : public StateCore {
    struct NoValue {};
    using Slot = std::conditional_t<std::is_void_v<T>, NoValue, T>;

public:
    static_assert(!std::is_reference_v<T>, "a Future holds a value, not a reference");

    // Python's Future(): pending, one reference (the handle that creates it).
    FutureState() noexcept : StateCore(1) {}

    // Throws InvalidStateError when done, and what constructing the value throws.
    template <class... U>
    void set_result(U&&... v) {
        const int word = lock_unless_done();
        if constexpr (!std::is_void_v<T>) {
            try {
                ::new (static_cast<void*>(std::addressof(value_))) T(std::forward<U>(v)...);
            } catch (...) {
                unlock(status_of(word));
                throw;
            }
        }
        finish_locked(word, nullptr);
    }

    // The value, once finished with one (wait_for_result() returned).
    auto& value() noexcept { return value_; }

protected:
    explicit FutureState(int refs) noexcept : StateCore(refs) {}
    ~FutureState() override {
        if constexpr (!std::is_trivially_destructible_v<Slot>)
            if (finished_with_value(word())) value_.~Slot();
    }

    std::string result_type_name() const override {
        if constexpr (std::is_void_v<T>)
            return "NoneType";
        else
            return type_name(typeid(T));
    }

    // An executor's task: `v` is its return value, published only if the task still runs
    // (nobody set the future by hand meanwhile).
    template <class... U>
    void publish_task_value(U&&... v) noexcept {
        const int word = lock();
        if (status_of(word) != Status::running) {
            unlock(status_of(word));
            return;
        }
        if constexpr (!std::is_void_v<T>) {
            try {
                ::new (static_cast<void*>(std::addressof(value_))) T(std::forward<U>(v)...);
            } catch (...) {
                finish_locked(word, std::current_exception());
                return;
            }
        }
        finish_locked(word, nullptr);
    }
    void publish_task_exception(std::exception_ptr e) noexcept {
        const int word = lock();
        if (status_of(word) != Status::running) {
            unlock(status_of(word));
            return;
        }
        finish_locked(word, std::move(e));
    }

private:
    union {
        Slot value_;
    };
};

}  // namespace concurrence::futures::detail
