// The loop's pending tasks (Python's all_tasks() and what asyncio.run cancels at exit).
//
// A slot table with a free list: adding and removing touch only the task's own slot (never
// another task's memory), identifiers are stable for the task's life, and a freed slot is
// reused by the next task. A free slot stores the index of the next free one, tagged odd.
#pragma once

#include <cstdint>
#include <vector>

#include "concurrence/loop/runnable.hpp"

namespace concurrence::asyncio::detail {

class TaskRegistry {
public:
    using Id = std::uint32_t;

    Id add(Runnable* task) {
        ++live_;
        if (free_head_ != none) {
            const Id id = free_head_;
            free_head_ = static_cast<Id>(slots_[id] >> 1);
            slots_[id] = reinterpret_cast<std::uintptr_t>(task);
            return id;
        }
        slots_.push_back(reinterpret_cast<std::uintptr_t>(task));
        return static_cast<Id>(slots_.size() - 1);
    }

    void remove(Id id) {
        --live_;
        slots_[id] = (static_cast<std::uintptr_t>(free_head_) << 1) | 1u;
        free_head_ = id;
        if (live_ == 0) {  // all done: forget the holes
            slots_.clear();
            free_head_ = none;
        }
    }

    std::size_t size() const { return live_; }

    template <class F>
    void for_each(F&& f) const {
        for (std::uintptr_t s : slots_)
            if (!(s & 1u)) f(reinterpret_cast<Runnable*>(s));
    }

    std::vector<Runnable*> take_all() {
        std::vector<Runnable*> out;
        out.reserve(live_);
        for_each([&](Runnable* t) { out.push_back(t); });
        slots_.clear();
        free_head_ = none;
        live_ = 0;
        return out;
    }

private:
    static constexpr Id none = 0x7fffffff;
    std::vector<std::uintptr_t> slots_;
    Id free_head_ = none;
    std::size_t live_ = 0;
};

}  // namespace concurrence::asyncio::detail
