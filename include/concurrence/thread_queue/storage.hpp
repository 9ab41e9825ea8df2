// Where the queues keep their items: Python's _put/_get for Queue (FIFO), LifoQueue and
// PriorityQueue. The queue passes each item's index (its count of puts or gets, see
// queue_core.hpp); only the ring needs it.
//
// None of them allocates in the steady state: memory grows to the largest size reached (at most
// maxsize) and is kept, so a bounded queue stops allocating once it has been full once.
// Items must be nothrow-move-constructible (the queues check it): an item is moved in and out
// exactly once, and a move that could throw half-way would lose it.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace concurrence::queue::detail {

// FIFO: a ring indexed by the counts, so that a putter and a getter can work at its two ends at
// once under different locks (its "split_locks"). It doubles when full; growing moves the items,
// so it needs both locks (the only time a putter takes the get lock).
template <class T>
class RingStorage {
public:
    static constexpr bool split_locks = true;

    RingStorage() = default;
    RingStorage(RingStorage&& other) noexcept
        : slots_(std::exchange(other.slots_, nullptr)), capacity_(std::exchange(other.capacity_, 0)) {}
    // The queue destroys the items (it knows their indices) before the ring goes.
    ~RingStorage() { std::allocator<T>().deallocate(slots_, capacity_); }

    [[nodiscard]] std::uint64_t capacity() const noexcept { return capacity_; }
    void push(std::uint64_t at, T&& item) noexcept { std::construct_at(slot(at), std::move(item)); }
    T pop(std::uint64_t at) noexcept {
        T* s = slot(at);
        T item(std::move(*s));
        std::destroy_at(s);
        return item;
    }
    // Destroys the items [first, last).
    void destroy(std::uint64_t first, std::uint64_t last) noexcept {
        for (; first != last; ++first) std::destroy_at(slot(first));
    }
    // Room for one more than the items [first, last), at most `largest` (>= last - first + 1)
    // which is the queue's bound. Every lock held.
    void grow(std::uint64_t first, std::uint64_t last, std::uint64_t largest) {
        const std::uint64_t wanted = std::max<std::uint64_t>(capacity_ * 2, smallest);
        const std::uint64_t bound = largest >= biggest ? biggest : std::bit_ceil(largest);
        const std::uint64_t capacity = std::min(wanted, bound);
        T* slots = std::allocator<T>().allocate(static_cast<std::size_t>(capacity));
        for (std::uint64_t i = first; i != last; ++i) {
            T* from = slot(i);
            std::construct_at(slots + (i & (capacity - 1)), std::move(*from));
            std::destroy_at(from);
        }
        std::allocator<T>().deallocate(slots_, static_cast<std::size_t>(capacity_));
        slots_ = slots;
        capacity_ = capacity;
    }

private:
    static constexpr std::uint64_t smallest = 16;
    static constexpr std::uint64_t biggest = std::uint64_t{1} << 62;  // "unbounded"

    T* slot(std::uint64_t at) const noexcept { return slots_ + (at & (capacity_ - 1)); }

    T* slots_ = nullptr;
    std::uint64_t capacity_ = 0;  // a power of two
};

// LIFO: the last item put is the first got. One lock for both ends.
template <class T>
class StackStorage {
public:
    static constexpr bool split_locks = false;

    void push(std::uint64_t, T&& item) { items_.push_back(std::move(item)); }
    T pop(std::uint64_t) noexcept {
        T item(std::move(items_.back()));
        items_.pop_back();
        return item;
    }
    void destroy(std::uint64_t, std::uint64_t) noexcept { items_.clear(); }

private:
    std::vector<T> items_;
};

// Priority: the smallest item by Compare first (Python's heapq). Equal items come out in no
// promised order, as in Python, whose users put (priority, count, item) tuples for FIFO among
// equals. One lock for both ends.
template <class T, class Compare>
class HeapStorage {
public:
    static constexpr bool split_locks = false;

    void push(std::uint64_t, T&& item) {
        items_.push_back(std::move(item));
        std::push_heap(items_.begin(), items_.end(), Greater{compare_});
    }
    T pop(std::uint64_t) {
        std::pop_heap(items_.begin(), items_.end(), Greater{compare_});
        T item(std::move(items_.back()));
        items_.pop_back();
        return item;
    }
    void destroy(std::uint64_t, std::uint64_t) noexcept { items_.clear(); }

private:
    // std heaps put the largest first: reversing the comparison puts the smallest first.
    struct Greater {
        Compare& less;
        bool operator()(const T& a, const T& b) const { return less(b, a); }
    };
    std::vector<T> items_;
    [[no_unique_address]] Compare compare_{};
};

}  // namespace concurrence::queue::detail
