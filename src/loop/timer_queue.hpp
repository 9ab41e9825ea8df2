// The loop's timers: (deadline, sequence number) order, built for a million armed timers.
//
// Timers due within about a second (1024 buckets of 2^20 ns ≈ 1.05 ms) go into the bucket of
// their deadline: arming is a push_back. The bucket at the cursor (the earliest one that may
// hold timers) is sorted once when it becomes current and then consumed from the front, so
// firing a timer costs a few comparisons instead of a sift through a million-entry heap.
// Timers further away wait in a heap and move into the buckets as the cursor approaches.
// Every timer at or before the cursor's bucket lives in that bucket, so the front of the
// sorted current bucket is always the earliest timer of the wheel.
// Cancellation is lazy (the target says whether an entry is stale); remove_if() drops the stale
// ones everywhere when the loop decides to compact.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "loop/timer_heap.hpp"

namespace concurrence::asyncio::detail {

class TimerQueue {
public:
    bool empty() const { return wheel_count_ == 0 && far_.empty(); }
    std::size_t size() const { return wheel_count_ + far_.size(); }

    void push(const TimerEntry& e) {
        std::int64_t b = bucket_of(e.when);
        if (wheel_count_ == 0 && far_.empty()) jump_to(b);  // an empty queue starts at its first timer
        if (b >= cursor_ + static_cast<std::int64_t>(bucket_count)) {
            far_.push(e);
            return;
        }
        if (b < cursor_ && b + static_cast<std::int64_t>(bucket_count) > last_bucket_) rewind_to(b);
        if (b <= cursor_) {
            b = cursor_;
            auto& cur = buckets_[slot(cursor_)];
            // Keep the current bucket sorted cheaply when timers arrive in order.
            if (sorted_ && cur.size() > pos_ && e < cur.back()) sorted_ = false;
        }
        buckets_[slot(b)].push_back(e);
        last_bucket_ = std::max(last_bucket_, b);
        ++wheel_count_;
    }

    // The earliest deadline, for the poll timeout. Requires !empty().
    std::int64_t earliest() {
        if (wheel_count_ == 0) return far_.top().when;
        settle();
        return buckets_[slot(cursor_)][pos_].when;
    }

    // Calls fire(entry) for each timer with when <= now, in (when, seq) order.
    template <class Fire>
    void pop_due(std::int64_t now, Fire&& fire) {
        while (!empty()) {
            if (wheel_count_ == 0) pull_far(bucket_of(far_.top().when));
            settle();
            auto& cur = buckets_[slot(cursor_)];
            const TimerEntry e = cur[pos_];
            if (e.when > now) return;
            // Targets are scattered (deadline order is not allocation order): fetch ahead.
            if (pos_ + prefetch_distance < cur.size()) {
                const auto* ahead = reinterpret_cast<const char*>(cur[pos_ + prefetch_distance].target);
                __builtin_prefetch(ahead);
                __builtin_prefetch(ahead + 64);
            }
            ++pos_;
            --wheel_count_;
            fire(e);
        }
    }

    template <class Pred>
    void remove_if(Pred stale) {
        for (std::int64_t b = cursor_; b < cursor_ + static_cast<std::int64_t>(bucket_count); ++b) {
            auto& v = buckets_[slot(b)];
            const std::size_t skip = b == cursor_ ? pos_ : 0;
            std::size_t out = 0;
            for (std::size_t i = skip; i < v.size(); ++i) {
                if (stale(v[i])) continue;
                v[out++] = v[i];
            }
            wheel_count_ -= (v.size() - skip) - out;
            v.resize(out);
        }
        pos_ = 0;
        far_.remove_if(stale);
    }

    template <class F>
    void for_each(F&& f) {
        for (std::int64_t b = cursor_; b < cursor_ + static_cast<std::int64_t>(bucket_count); ++b) {
            auto& v = buckets_[slot(b)];
            for (std::size_t i = b == cursor_ ? pos_ : 0; i < v.size(); ++i) f(v[i]);
        }
        for (const TimerEntry& e : far_.entries()) f(e);
    }

    // Timers waiting in the current bucket (for tests: it should hold about one bucket's worth).
    std::size_t current_bucket_pending() const { return buckets_[slot(cursor_)].size() - pos_; }

    void clear() {
        for (auto& v : buckets_) v.clear();
        far_.entries().clear();
        wheel_count_ = 0;
        last_bucket_ = cursor_;
        pos_ = 0;
        sorted_ = true;
    }

private:
    static constexpr int bucket_shift = 20;
    static constexpr std::size_t bucket_count = 1024;
    static constexpr std::size_t prefetch_distance = 8;

    static std::int64_t bucket_of(std::int64_t when) { return when >> bucket_shift; }
    static std::size_t slot(std::int64_t bucket) { return static_cast<std::size_t>(bucket) & (bucket_count - 1); }

    // Makes the cursor's bucket non-empty and sorted from pos_ (requires wheel_count_ > 0).
    void settle() {
        for (;;) {
            auto& cur = buckets_[slot(cursor_)];
            if (pos_ < cur.size()) {
                if (!sorted_) {
                    std::sort(cur.begin() + static_cast<std::ptrdiff_t>(pos_), cur.end());
                    sorted_ = true;
                }
                return;
            }
            // Drained: recycle it (big ones give their memory back) and move on.
            if (cur.capacity() > 4096) std::vector<TimerEntry>().swap(cur);
            else cur.clear();
            pos_ = 0;
            sorted_ = false;
            ++cursor_;
            pull_far(cursor_);
        }
    }

    // Moves the cursor over an empty wheel (the current bucket holds only consumed entries).
    void jump_to(std::int64_t bucket) {
        buckets_[slot(cursor_)].clear();
        cursor_ = bucket;
        last_bucket_ = bucket;
        pos_ = 0;
        sorted_ = true;
    }

    // Moves the cursor back to an earlier bucket (the wheel's window still covers every armed
    // bucket). The cursor sits at the earliest timer, which can lie well ahead of the clock: a
    // million sleeps armed in one iteration would otherwise pile every deadline earlier than
    // the first one armed into the current bucket, sorted again and again as it grows. What
    // the old current bucket holds for earlier buckets goes to those buckets.
    void rewind_to(std::int64_t bucket) {
        auto& old = buckets_[slot(cursor_)];
        std::size_t kept = 0;
        for (std::size_t i = pos_; i < old.size(); ++i) {
            const std::int64_t own = bucket_of(old[i].when);
            if (own >= cursor_) old[kept++] = old[i];
            else buckets_[slot(std::max(own, bucket))].push_back(old[i]);
        }
        old.resize(kept);
        cursor_ = bucket;
        pos_ = 0;
        sorted_ = buckets_[slot(bucket)].empty();  // filled above only by moved entries, in any order
    }

    // Moves far timers that are now within the wheel's horizon into their buckets.
    void pull_far(std::int64_t new_cursor) {
        if (new_cursor > cursor_ && wheel_count_ == 0) jump_to(new_cursor);
        const std::int64_t horizon = cursor_ + static_cast<std::int64_t>(bucket_count);
        while (!far_.empty() && bucket_of(far_.top().when) < horizon) {
            const TimerEntry e = far_.pop();
            const std::int64_t b = std::max(bucket_of(e.when), cursor_);
            if (b == cursor_) sorted_ = false;
            buckets_[slot(b)].push_back(e);
            last_bucket_ = std::max(last_bucket_, b);
            ++wheel_count_;
        }
    }

    std::array<std::vector<TimerEntry>, bucket_count> buckets_;
    std::int64_t cursor_ = 0;  // bucket number of the current bucket
    std::int64_t last_bucket_ = 0;  // no wheel entry lies beyond this bucket (an upper bound)
    std::size_t pos_ = 0;      // consumed prefix of the current bucket
    bool sorted_ = true;       // the current bucket is sorted from pos_
    std::size_t wheel_count_ = 0;
    TimerHeap far_;
};

}  // namespace concurrence::asyncio::detail
