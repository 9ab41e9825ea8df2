// The waiters of a lock, event, condition, semaphore or queue: an intrusive FIFO of nodes that
// live in the awaiting coroutines' frames (the awaiter objects), so waiting allocates nothing.
//
// A node is linked while its task waits. Depending on the primitive, a woken node stays
// linked until its task runs (Lock, Semaphore, Condition: Python keeps the done future in
// _waiters until the waiter resumes) or is unlinked at once (Event, Queue). A cancelled
// waiter unlinks itself at once, so every linked node is a live, not-cancelled waiter.
//
// A primitive destroyed while tasks wait on it (a C++ lifetime bug Python cannot have, e.g.
// main() returning while a task waits on its local Lock) orphans its nodes: they never touch
// it again. A task cancelled there gets its CancelledError; one that was woken gets
// RuntimeError("... was destroyed while a task waited on it").
#pragma once

#include <cstddef>
#include <string>

#include "concurrence/base/errors.hpp"
#include "concurrence/task/task_core.hpp"

namespace concurrence::asyncio::detail {

class WaiterList;

class WaitNode : public TaskWait {
public:
    WaitNode() = default;
    explicit WaitNode(TaskCore& task) : TaskWait(task) {}
    // An awaiter may be moved before it is awaited (e.g. into wait_for's task), never after:
    // the moved-to node starts fresh.
    WaitNode(WaitNode&&) noexcept : TaskWait() {}
    WaitNode& operator=(const WaitNode&) = delete;

    bool linked() const { return list_ != nullptr; }
    // The primitive was destroyed while this node was linked.
    bool orphaned() const { return orphaned_; }
    inline void unlink();
    // unlink() of a node known to be linked.
    inline void unlink_linked();
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
    // In await_resume of an orphan: CancelledError if cancelled, else RuntimeError.
    [[noreturn]] void throw_orphaned(const char* type) {
        resume_checks();
        throw RuntimeError(std::string(type) + " was destroyed while a task waited on it");
    }

private:
    friend class WaiterList;
    // prev_ and next_ mean something only while linked (push_back sets them): an awaiter that
    // never waits, the common case, does not write them.
    WaitNode* prev_;
    WaitNode* next_;
    WaiterList* list_ = nullptr;
    bool woken_ = false;
    bool orphaned_ = false;
};

class WaiterList {
public:
    WaiterList() = default;
    WaiterList(const WaiterList&) = delete;
    WaiterList& operator=(const WaiterList&) = delete;
    // A primitive destroyed while tasks wait on it: its nodes are orphaned (see above).
    ~WaiterList() {
        for (WaitNode* n = head_; n;) {
            WaitNode* next = n->next_;
            n->list_ = nullptr;
            n->orphaned_ = true;
            n->prev_ = n->next_ = nullptr;
            n = next;
        }
    }

    bool empty() const { return head_ == nullptr; }
    // Counted, not kept: only reprs and notify_all ask, and every wait and wake-up would pay
    // for a count kept up to date.
    std::size_t size() const {
        std::size_t n = 0;
        for (WaitNode* w = head_; w; w = w->next_) ++n;
        return n;
    }
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
        n.list_ = nullptr;
    }
    // Requires !empty().
    WaitNode& pop_front() {
        WaitNode& n = *head_;
        head_ = n.next_;
        if (head_)
            head_->prev_ = nullptr;
        else
            tail_ = nullptr;
        n.list_ = nullptr;
        return n;
    }
    std::size_t count_not_woken() const {
        std::size_t n = 0;
        for (WaitNode* w = head_; w; w = w->next_) n += !w->woken_;
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
};

inline void WaitNode::unlink() {
    if (list_) list_->remove(*this);
}

inline void WaitNode::unlink_linked() { list_->remove(*this); }

inline WaitNode::~WaitNode() { unlink(); }

}  // namespace concurrence::asyncio::detail
