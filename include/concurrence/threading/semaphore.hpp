// threading.Semaphore and threading.BoundedSemaphore: a counter that acquire() takes from and
// release() gives back to.
//
//     threading::Semaphore slots(3);                 // slots = threading.Semaphore(3)
//     if (slots.acquire(true, 0.5)) { ...; slots.release(); }   // slots.acquire(timeout=0.5)
//     { std::lock_guard guard(slots); ... }          // with slots:
//
// As Python's: a Condition over a Lock, so waiters are served in the order they came, and
// release(n) wakes n of them. A BoundedSemaphore throws ValueError "Semaphore released too many
// times" when a release would lift the value above its initial one.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "concurrence/base/timeout.hpp"
#include "concurrence/threading/condition.hpp"
#include "concurrence/threading/lock.hpp"
#include "concurrence/threading/lockable.hpp"

namespace concurrence::threading {

class Semaphore : public detail::Lockable<Semaphore> {
public:
    // Throws ValueError "semaphore initial value must be >= 0".
    explicit Semaphore(long value = 1);
    Semaphore(const Semaphore&) = delete;
    Semaphore& operator=(const Semaphore&) = delete;
    virtual ~Semaphore() = default;

    // Takes one unit, waiting for it if need be (without a timeout: forever). Returns false if
    // blocking is false and none was free, or if the timeout passed (a timeout <= 0 only polls).
    // Throws ValueError "can't specify timeout for non-blocking acquire".
    bool acquire(bool blocking = true, std::optional<Delay> timeout = std::nullopt);
    template <Seconds S>
    bool acquire(S) = delete;  // acquire(0.5) would mean blocking=true: write acquire(true, 0.5)

    // Gives back n units and wakes up to n waiters. Throws ValueError "n must be one or more".
    virtual void release(long n = 1);

    // The current value (Python's private _value, handy in tests and for monitoring).
    [[nodiscard]] long value() const;
    // "<threading.Semaphore at 0x...: value=1>" (BoundedSemaphore: "...: value=1/3>").
    [[nodiscard]] virtual std::string repr() const;

    // Lockable (detail::Lockable): `with sem:` is std::lock_guard on it.

protected:
    // Adds n to the value under the lock, after check(value, n) (which may throw), and wakes.
    template <class Check>
    void release_checked(long n, Check check);

    mutable Lock lock_;
    Condition cond_{lock_};
    long value_;
};

class BoundedSemaphore final : public Semaphore {
public:
    explicit BoundedSemaphore(long value = 1) : Semaphore(value), initial_value_(value) {}

    // Throws ValueError "Semaphore released too many times" (and "n must be one or more").
    void release(long n = 1) override;
    [[nodiscard]] std::string repr() const override;

private:
    long initial_value_;
};

}  // namespace concurrence::threading
