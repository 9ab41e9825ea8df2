// `async with lock:` for the primitives whose release is synchronous (Lock, Semaphore,
// BoundedSemaphore, Condition):
//
//   async with lock:                      {
//       ...                                   auto held = co_await lock.scoped();
//                                             ...
//                                         }   // released here, however the block is left
//
// scoped() acquires as acquire() does (same fairness, same cancellation); the Held it yields
// releases on destruction, so an exception or a CancelledError leaving the block releases too.
// asyncio::async_with(lock, body) works as well (the primitives have aenter/aexit).
#pragma once

#include <coroutine>
#include <utility>

namespace concurrence::asyncio {

// Ownership of one acquisition of P; move-only. release() ends it early.
template <class P>
class [[nodiscard]] Held {
public:
    explicit Held(P& primitive) : primitive_(&primitive) {}
    Held(Held&& other) noexcept : primitive_(std::exchange(other.primitive_, nullptr)) {}
    Held& operator=(Held&& other) noexcept {
        if (this != &other) {
            reset();
            primitive_ = std::exchange(other.primitive_, nullptr);
        }
        return *this;
    }
    ~Held() { reset(); }

    bool owns() const { return primitive_ != nullptr; }
    void release() { std::exchange(primitive_, nullptr)->release(); }

private:
    void reset() {
        if (primitive_) std::exchange(primitive_, nullptr)->release();
    }
    P* primitive_;
};

namespace detail {

// co_await primitive.scoped(): the primitive's acquire awaiter, yielding a Held.
template <class P, class Acquire>
class ScopedAcquire {
public:
    ScopedAcquire(P& primitive, Acquire&& acquire) : primitive_(primitive), acquire_(std::move(acquire)) {}
    ScopedAcquire(ScopedAcquire&&) = default;
    bool await_ready() { return acquire_.await_ready(); }
    template <class Q>
    void await_suspend(std::coroutine_handle<Q> h, unsigned line = __builtin_LINE()) {
        acquire_.await_suspend(h, line);
    }
    Held<P> await_resume() {
        acquire_.await_resume();
        return Held<P>(primitive_);
    }

private:
    P& primitive_;
    Acquire acquire_;
};

}  // namespace detail
}  // namespace concurrence::asyncio
