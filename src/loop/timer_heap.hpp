// The loop's timers: a 4-ary min-heap ordered by (deadline, sequence number), so that equal
// deadlines fire in scheduling order. Entries are 24 bytes and hold their key inline: sifting
// never touches the targets, which is what keeps a million armed timers fast. Cancellation is
// lazy (the target says whether an entry is stale); when more than half of a large heap is
// stale it is rebuilt, so cancelled timers neither leak nor slow the loop (CPython's rule).
#pragma once

#include <cstdint>
#include <vector>

#include "concurrence/loop/runnable.hpp"

namespace concurrence::asyncio::detail {

struct TimerEntry {
    std::int64_t when;
    std::uint64_t seq;
    Runnable* target;
    bool operator<(const TimerEntry& o) const { return when < o.when || (when == o.when && seq < o.seq); }
};

class TimerHeap {
public:
    bool empty() const { return heap_.empty(); }
    std::size_t size() const { return heap_.size(); }
    const TimerEntry& top() const { return heap_.front(); }

    void push(const TimerEntry& e) {
        std::size_t i = heap_.size();
        heap_.push_back(e);
        while (i > 0) {
            std::size_t parent = (i - 1) / arity;
            if (!(e < heap_[parent])) break;
            heap_[i] = heap_[parent];
            i = parent;
        }
        heap_[i] = e;
    }

    TimerEntry pop() {
        TimerEntry top = heap_.front();
        TimerEntry last = heap_.back();
        heap_.pop_back();
        if (!heap_.empty()) sift_down(0, last);
        return top;
    }

    // Removes the entries for which stale(entry) is true, then restores the heap order.
    template <class Pred>
    void remove_if(Pred stale) {
        std::size_t out = 0;
        for (const TimerEntry& e : heap_) {
            if (stale(e)) continue;
            heap_[out++] = e;
        }
        heap_.resize(out);
        for (std::size_t i = heap_.size(); i-- > 0;) sift_down(i, heap_[i]);
    }

    std::vector<TimerEntry>& entries() { return heap_; }

private:
    static constexpr std::size_t arity = 4;

    void sift_down(std::size_t i, TimerEntry e) {
        const std::size_t n = heap_.size();
        for (;;) {
            std::size_t first = i * arity + 1;
            if (first >= n) break;
            std::size_t best = first;
            std::size_t end = first + arity < n ? first + arity : n;
            for (std::size_t c = first + 1; c < end; ++c)
                if (heap_[c] < heap_[best]) best = c;
            if (!(heap_[best] < e)) break;
            heap_[i] = heap_[best];
            i = best;
        }
        heap_[i] = e;
    }

    std::vector<TimerEntry> heap_;
};

}  // namespace concurrence::asyncio::detail
