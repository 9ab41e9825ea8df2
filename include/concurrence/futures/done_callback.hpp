// The storage of one done-callback of a concurrent.futures Future (internal).
//
// Python keeps a list of callables; a future here keeps its first callback inline, in this
// object, and further ones in a linked list of heap nodes. A small callable (up to two pointers,
// nothrow-movable: a lambda that captures a loop and a handle) lives in the object itself, so the
// common case, one small callback, costs no allocation at all; a bigger one is boxed on the heap.
//
// It is move-only, as the callables it holds may be (Python's callbacks are any callable; a
// std::function would demand copyable ones).
//
// Thread safety: none; the future's lock guards it until the future is done, then the thread
// that completed the future owns it.
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace concurrence::futures::detail {

class StateCore;

class DoneCallback {
public:
    DoneCallback() = default;
    DoneCallback(const DoneCallback&) = delete;
    DoneCallback& operator=(const DoneCallback&) = delete;
    DoneCallback(DoneCallback&& other) noexcept { other.relocate_to(*this); }
    DoneCallback& operator=(DoneCallback&& other) noexcept {
        if (this != &other) {
            reset();
            other.relocate_to(*this);
        }
        return *this;
    }
    ~DoneCallback() { reset(); }

    // Holds `f`, called later as f(state). Throws what constructing it throws (bad_alloc).
    template <class F>
    explicit DoneCallback(F&& f) {
        using Fn = std::decay_t<F>;
        if constexpr (fits_inline<Fn>) {
            ::new (static_cast<void*>(storage_)) Fn(std::forward<F>(f));
            ops_ = &inline_ops<Fn>;
        } else {
            ::new (static_cast<void*>(storage_)) Fn*(new Fn(std::forward<F>(f)));
            ops_ = &boxed_ops<Fn>;
        }
    }

    explicit operator bool() const noexcept { return ops_ != nullptr; }

    // Calls the callable (it stays held: reset() lets it go).
    void operator()(StateCore& state) { ops_(Op::call, this, nullptr, &state); }

    void reset() noexcept {
        if (ops_) ops_(Op::destroy, this, nullptr, nullptr);
        ops_ = nullptr;
    }

private:
    enum class Op { call, destroy, relocate };
    using Ops = void (*)(Op, DoneCallback* self, DoneCallback* to, StateCore* state);

    static constexpr std::size_t inline_size = 2 * sizeof(void*);

    template <class Fn>
    static constexpr bool fits_inline = sizeof(Fn) <= inline_size && alignof(Fn) <= alignof(void*) &&
                                        std::is_nothrow_move_constructible_v<Fn>;

    template <class Fn>
    static Fn& held(DoneCallback* c) noexcept {
        return *std::launder(reinterpret_cast<Fn*>(c->storage_));
    }

    // Op::call always has a state; the test for null is there for g++ 12, which at -O1 follows
    // reset()'s null state into the call case and warns of an overflow (-Wstringop-overflow).
    template <class Fn>
    static void inline_ops(Op op, DoneCallback* self, DoneCallback* to, StateCore* state) {
        switch (op) {
            case Op::call:
                if (state) held<Fn>(self)(*state);
                break;
            case Op::destroy: held<Fn>(self).~Fn(); break;
            case Op::relocate:
                ::new (static_cast<void*>(to->storage_)) Fn(std::move(held<Fn>(self)));
                held<Fn>(self).~Fn();
                break;
        }
    }

    template <class Fn>
    static void boxed_ops(Op op, DoneCallback* self, DoneCallback* to, StateCore* state) {
        switch (op) {
            case Op::call:
                if (state) (*held<Fn*>(self))(*state);
                break;
            case Op::destroy: delete held<Fn*>(self); break;
            case Op::relocate: ::new (static_cast<void*>(to->storage_)) Fn*(held<Fn*>(self)); break;
        }
    }

    void relocate_to(DoneCallback& to) noexcept {
        if (!ops_) return;
        ops_(Op::relocate, this, &to, nullptr);
        to.ops_ = std::exchange(ops_, nullptr);
    }

    Ops ops_ = nullptr;
    alignas(void*) unsigned char storage_[inline_size];
};

// A callback after the first: a node of the future's singly linked list.
struct DoneCallbackNode {
    DoneCallback callback;
    DoneCallbackNode* next = nullptr;
};

}  // namespace concurrence::futures::detail
