// The waiters of a lock, event, condition, semaphore or queue: an intrusive FIFO of nodes that
// live in the awaiting coroutines' frames (the awaiter objects), so waiting allocates nothing.
//
// A node is linked while its task waits. Depending on the primitive, a woken node stays
// linked until its task runs (Lock, Semaphore, Condition: Python keeps the done future in
// _waiters until the waiter resumes) or is unlinked at once (Event, Queue). A cancelled
// waiter unlinks itself at once, so every linked node is a live, not-cancelled waiter.
#pragma once

#include <cstddef>

#include "concurrence/task/task_core.hpp"

namespace concurrence::asyncio::detail {

class WaiterList;

class WaitNode : public TaskWait {
public:
    WaitNode() = default;
    // An awaiter may be moved before it is awaited (e.g. into wait_for's task), never after:
    // the moved-to node starts fresh.
    WaitNode(WaitNode&&) noexcept : TaskWait() {}
    WaitNode& operator=(const WaitNode&) = delete;

    bool linked() const { return list_ != nullptr; }
    // Python's fut.done() for the waiter's future: it was told to wake up.
    bool woken() const { return woken_; }
    WaitNode* next() const { return next_; }
    // Python's fut.set_result(): the task will resume at its next turn.
    void wake_up() {
        woken_ = true;
        wake();
    }

protected:
    // A frame destroyed while waiting (its loop closed) leaves the list consistent.
    inline ~WaitNode();
    void set_woken() { woken_ = true; }

private:
    friend class WaiterList;
    WaitNode* prev_ = nullptr;
    WaitNode* next_ = nullptr;
    WaiterList* list_ = nullptr;
    bool woken_ = false;
};

class WaiterList {
public:
    WaiterList() = default;
    WaiterList(const WaiterList&) = delete;
    WaiterList& operator=(const WaiterList&) = delete;
    // A primitive destroyed while tasks wait on it: they are let go (they will never wake,
    // as a Python task awaiting a future nobody will set).
    ~WaiterList() {
        for (WaitNode* n = head_; n;) {
            WaitNode* next = n->next_;
            n->list_ = nullptr;
            n->prev_ = n->next_ = nullptr;
            n = next;
        }
    }

    bool empty() const { return head_ == nullptr; }
    std::size_t size() const { return size_; }
    WaitNode* front() const { return head_; }

    void push_back(WaitNode& n) {
        n.list_ = this;
        n.woken_ = false;
        n.prev_ = tail_;
        n.next_ = nullptr;
        if (tail_)
            tail_->next_ = &n;
        else
            head_ = &n;
        tail_ = &n;
        ++size_;
    }
    void remove(WaitNode& n) {
        if (n.prev_)
            n.prev_->next_ = n.next_;
        else
            head_ = n.next_;
        if (n.next_)
            n.next_->prev_ = n.prev_;
        else
            tail_ = n.prev_;
        n.prev_ = n.next_ = nullptr;
        n.list_ = nullptr;
        --size_;
    }
    // Requires !empty().
    WaitNode& pop_front() {
        WaitNode& n = *head_;
        head_ = n.next_;
        if (head_)
            head_->prev_ = nullptr;
        else
            tail_ = nullptr;
        n.next_ = nullptr;
        n.list_ = nullptr;
        --size_;
        return n;
    }
    // The first node not woken yet, or nullptr.
    WaitNode* first_not_woken() const {
        WaitNode* n = head_;
        while (n && n->woken_) n = n->next_;
        return n;
    }

private:
    WaitNode* head_ = nullptr;
    WaitNode* tail_ = nullptr;
    std::size_t size_ = 0;
};

inline WaitNode::~WaitNode() {
    if (list_) list_->remove(*this);
}

}  // namespace concurrence::asyncio::detail
