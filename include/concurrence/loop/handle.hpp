// asyncio.Handle / asyncio.TimerHandle: a callback scheduled on the loop, cancellable.
#pragma once

#include <atomic>
#include <cstdint>
#include <utility>

#include "concurrence/detail/frame_pool.hpp"
#include "concurrence/loop/runnable.hpp"

namespace concurrence::asyncio {

namespace detail {

// The shared state of a Handle. The reference count is atomic because
// call_soon_threadsafe hands a Handle to another thread.
class HandleCore : public Runnable, public concurrence::detail::PoolAllocated {
public:
    void run() final;
    bool timer_stale(std::uint64_t) const final { return cancelled(); }
    void timer_fired(EventLoop& loop, std::uint64_t) final;
    void timer_release() final {
        is_timer = false;  // out of the heap: a later cancel() must not count it (or touch the loop)
        release();
    }
    void discard_ready() final { release(); }
    // "<Handle main()::{lambda()#1}>": the callable's type, demangled.
    std::string describe() const final;

    void add_ref() { refs_.fetch_add(1, std::memory_order_relaxed); }
    void release() {
        if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) destroy();
    }
    bool cancel();  // false if it was cancelled already
    bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }

    std::int64_t when_ns = 0;  // TimerHandle only
    EventLoop* loop = nullptr;  // for cancel() of a TimerHandle (heap compaction count)
    bool is_timer = false;

protected:
    HandleCore() = default;
    ~HandleCore() = default;
    virtual void invoke() = 0;
    virtual void destroy() = 0;
    virtual const std::type_info& callable_type() const noexcept = 0;

private:
    std::atomic<std::uint32_t> refs_{1};
    std::atomic<bool> cancelled_{false};
};

template <class F>
class HandleImpl final : public HandleCore {
public:
    template <class G>
    explicit HandleImpl(G&& f) : fn_(std::forward<G>(f)) {}

private:
    void invoke() override { fn_(); }
    void destroy() override { delete this; }
    const std::type_info& callable_type() const noexcept override {
        if constexpr (requires { typename F::inner_callable; })
            return typeid(typename F::inner_callable);  // a callback wrapped to run in a context
        else
            return typeid(F);
    }
    F fn_;
};

}  // namespace detail

// A callback scheduled by call_soon / call_soon_threadsafe.
class Handle {
public:
    Handle() = default;
    explicit Handle(detail::HandleCore* core) : core_(core) {}  // adopts one reference
    Handle(const Handle& o) : core_(o.core_) {
        if (core_) core_->add_ref();
    }
    Handle(Handle&& o) noexcept : core_(std::exchange(o.core_, nullptr)) {}
    Handle& operator=(Handle o) noexcept {
        std::swap(core_, o.core_);
        return *this;
    }
    ~Handle() {
        if (core_) core_->release();
    }

    // Python: Handle.cancel(). The callback will not run; cancelling twice is harmless.
    void cancel() {
        if (core_) core_->cancel();
    }
    bool cancelled() const { return core_ && core_->cancelled(); }

protected:
    detail::HandleCore* core_ = nullptr;
};

// A callback scheduled by call_later / call_at; when() is the loop time it is due.
class TimerHandle : public Handle {
public:
    using Handle::Handle;
    double when() const { return core_ ? static_cast<double>(core_->when_ns) / 1e9 : 0.0; }
};

}  // namespace concurrence::asyncio
