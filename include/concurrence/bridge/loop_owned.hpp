// Carrying asyncio handles through closures that other threads make and post to the loop.
//
// asyncio's handles (Future, Task) count their references without atomics: only the loop's
// thread may copy or drop them. A closure that an executor thread posts back to the loop holds
// them through LoopOwned: the value is dropped where the closure runs or is discarded, that is
// on the loop's thread; if the loop refuses the post (closed, or gone), the poster calls
// leak() and the value is never touched again, rather than dropped from the wrong thread.
#pragma once

#include <memory>
#include <utility>

#include "concurrence/loop/event_loop.hpp"

namespace concurrence::asyncio::detail {

// Keeps p reachable for ever (a leak on purpose, which leak checkers need not report).
void keep_unreleased(void* p) noexcept;

template <class V>
class LoopOwned {
public:
    explicit LoopOwned(V value) : value_(new V(std::move(value))) {}
    LoopOwned(LoopOwned&& other) noexcept : value_(std::exchange(other.value_, nullptr)) {}
    LoopOwned& operator=(LoopOwned&&) = delete;
    ~LoopOwned() { delete value_; }

    explicit operator bool() const noexcept { return value_ != nullptr; }
    V& operator*() const noexcept { return *value_; }
    V* operator->() const noexcept { return value_; }
    // Drops the value now (on the loop's thread).
    void reset() noexcept {
        delete value_;
        value_ = nullptr;
    }
    // The post was refused: leave the value alone for good.
    void leak() noexcept { keep_unreleased(std::exchange(value_, nullptr)); }

private:
    V* value_;
};

// A LoopOwned value with its loop's postbox, in one allocation: what a callback that another
// thread runs needs to send the value back. (One shared_ptr to it fits a futures::Future's
// done-callback slot, where two would make that callback allocate.)
template <class V>
struct LoopOwnedWithPostbox {
    LoopOwnedWithPostbox(V v, std::shared_ptr<LoopPostbox> box) : value(std::move(v)), postbox(std::move(box)) {}

    LoopOwned<V> value;
    const std::shared_ptr<LoopPostbox> postbox;
};

// Posts `callback` (which holds LoopOwned values) through the loop's postbox; if the loop is
// closed or gone, calls callback.leak() instead. Safe from any thread.
template <class Callback>
void post_or_leak(const std::shared_ptr<LoopPostbox>& postbox, Callback&& callback) {
    if (!postbox->call_soon_threadsafe(std::move(callback))) callback.leak();
}

}  // namespace concurrence::asyncio::detail
