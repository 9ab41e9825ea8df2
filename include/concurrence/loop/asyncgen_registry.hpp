// The loop's async generators (Python's loop._asyncgens): those first iterated on this loop
// and not finished, which loop.shutdown_asyncgens() closes (asyncio::run calls it).
//
// An intrusive list: a generator links its own node on its first step and unlinks it when
// it finishes or is destroyed; nothing is allocated. close() unlinks every node, so a
// generator that outlives its loop never touches it.
#pragma once

#include <vector>

namespace concurrence::asyncio::detail {

class AsyncGenNode {
public:
    AsyncGenNode() = default;
    AsyncGenNode(const AsyncGenNode&) = delete;
    AsyncGenNode& operator=(const AsyncGenNode&) = delete;
    ~AsyncGenNode() { unlink(); }

    bool linked() const noexcept { return next_ != nullptr; }
    void unlink() noexcept {
        if (!next_) return;
        prev_->next_ = next_;
        next_->prev_ = prev_;
        prev_ = next_ = nullptr;
    }

private:
    friend class AsyncGenRegistry;
    AsyncGenNode* prev_ = nullptr;
    AsyncGenNode* next_ = nullptr;
};

class AsyncGenRegistry {
public:
    AsyncGenRegistry() { head_.prev_ = head_.next_ = &head_; }
    AsyncGenRegistry(const AsyncGenRegistry&) = delete;
    AsyncGenRegistry& operator=(const AsyncGenRegistry&) = delete;
    ~AsyncGenRegistry() { clear(); }

    void add(AsyncGenNode& n) noexcept {
        n.unlink();
        n.prev_ = head_.prev_;
        n.next_ = &head_;
        head_.prev_->next_ = &n;
        head_.prev_ = &n;
    }
    bool empty() const noexcept { return head_.next_ == &head_; }
    // In the order they were first iterated.
    std::vector<AsyncGenNode*> snapshot() const {
        std::vector<AsyncGenNode*> out;
        for (AsyncGenNode* n = head_.next_; n != &head_; n = n->next_) out.push_back(n);
        return out;
    }
    void clear() noexcept {
        while (!empty()) head_.next_->unlink();
    }

private:
    AsyncGenNode head_;
};

}  // namespace concurrence::asyncio::detail
