// Where a queue keeps its items: the order policies of Queue (FIFO), LifoQueue and
// PriorityQueue (Python's _put/_get). None of them allocates in the steady state: memory
// grows to the largest size reached and is kept.
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <new>
#include <utility>
#include <vector>

namespace concurrence::asyncio::detail {

// FIFO: a ring that doubles when full (std::deque would free and allocate blocks as items
// flow through it).
template <class T>
class FifoStorage {
public:
    FifoStorage() = default;
    FifoStorage(const FifoStorage&) = delete;
    FifoStorage& operator=(const FifoStorage&) = delete;
    ~FifoStorage() {
        clear();
        std::allocator<T>().deallocate(ring_, capacity_);
    }

    std::size_t size() const { return tail_ - head_; }
    void push(T&& item) {
        if (size() == capacity_) grow();
        std::construct_at(slot(tail_), std::move(item));
        ++tail_;
    }
    // Requires size() > 0.
    T pop() {
        T* s = slot(head_);
        T item = std::move(*s);
        std::destroy_at(s);
        ++head_;
        return item;
    }
    void clear() {
        while (head_ != tail_) std::destroy_at(slot(head_++));
    }

private:
    T* slot(std::size_t i) const { return ring_ + (i & (capacity_ - 1)); }
    void grow() {
        const std::size_t capacity = capacity_ ? capacity_ * 2 : 4;
        T* ring = std::allocator<T>().allocate(capacity);
        std::size_t n = 0;
        for (std::size_t i = head_; i != tail_; ++i, ++n) {
            std::construct_at(ring + n, std::move(*slot(i)));
            std::destroy_at(slot(i));
        }
        std::allocator<T>().deallocate(ring_, capacity_);
        ring_ = ring;
        capacity_ = capacity;
        head_ = 0;
        tail_ = n;
    }

    T* ring_ = nullptr;
    std::size_t capacity_ = 0;  // a power of two
    std::size_t head_ = 0;
    std::size_t tail_ = 0;
};

// LIFO: the last item put is the first got.
template <class T>
class LifoStorage {
public:
    std::size_t size() const { return items_.size(); }
    void push(T&& item) { items_.push_back(std::move(item)); }
    T pop() {
        T item = std::move(items_.back());
        items_.pop_back();
        return item;
    }
    void clear() { items_.clear(); }

private:
    std::vector<T> items_;
};

// Priority: the smallest item by Compare first (Python's heapq), FIFO among equals is not
// promised (as in Python, whose users put (priority, count, item) tuples for that).
template <class T, class Compare>
class PriorityStorage {
public:
    std::size_t size() const { return items_.size(); }
    void push(T&& item) {
        items_.push_back(std::move(item));
        std::push_heap(items_.begin(), items_.end(), Greater{compare_});
    }
    T pop() {
        std::pop_heap(items_.begin(), items_.end(), Greater{compare_});
        T item = std::move(items_.back());
        items_.pop_back();
        return item;
    }
    void clear() { items_.clear(); }

private:
    // std heaps put the largest first: reversing the comparison puts the smallest first.
    struct Greater {
        Compare& less;
        bool operator()(const T& a, const T& b) const { return less(b, a); }
    };
    std::vector<T> items_;
    [[no_unique_address]] Compare compare_{};
};

}  // namespace concurrence::asyncio::detail
