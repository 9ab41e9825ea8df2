// threading.local: values by thread, forgotten when the thread ends or the local goes.
#include "concurrence/threading/local.hpp"

#include <atomic>
#include <mutex>
#include <utility>
#include <vector>

namespace concurrence::threading::detail {

namespace {

std::atomic<std::uint64_t> next_local_id{1};

// What one thread knows of the locals it used: which to tell when it ends, and the last one it
// used (by id, since an address may be reused by a later local).
class ThreadLocals {
public:
    ThreadLocals() = default;
    ThreadLocals(const ThreadLocals&) = delete;
    ThreadLocals& operator=(const ThreadLocals&) = delete;
    ~ThreadLocals() {
        ending = true;
        for (auto& used : used_)
            if (auto core = used.lock()) core->forget(this);
    }

    void add(std::weak_ptr<LocalCore> core) {
        // Locals dropped before this thread ends leave expired entries: prune them as they pile up.
        if (used_.size() >= prune_at_) {
            std::erase_if(used_, [](const auto& w) { return w.expired(); });
            prune_at_ = used_.size() * 2 + 8;
        }
        used_.push_back(std::move(core));
    }

    // A value's destructor that uses a local while the thread ends gets a value that lives as
    // long as that local: the list above is gone.
    static thread_local bool ending;

    std::uint64_t cached_id = 0;
    void* cached_value = nullptr;

private:
    std::vector<std::weak_ptr<LocalCore>> used_;
    std::size_t prune_at_ = 8;
};

thread_local bool ThreadLocals::ending = false;
thread_local ThreadLocals this_thread;

}  // namespace

LocalCore::LocalCore(Factory make) : id_(next_local_id.fetch_add(1, std::memory_order_relaxed)), make_(std::move(make)) {}

LocalCore::~LocalCore() = default;

void* LocalCore::get() {
    if (!ThreadLocals::ending && this_thread.cached_id == id_) return this_thread.cached_value;
    return get_slow();
}

void* LocalCore::get_slow() {
    const void* key = ThreadLocals::ending ? nullptr : &this_thread;
    {
        std::shared_lock lock(mutex_);
        if (auto it = values_.find(key); it != values_.end() && key) {
            this_thread.cached_id = id_;
            this_thread.cached_value = it->second.get();
            return it->second.get();
        }
    }
    // Made outside the lock: T's constructor may use other locals, or this one's other threads.
    std::shared_ptr<void> value = make_();
    void* raw = value.get();
    if (!key) {
        // An ending thread: keep the value with the local, under a key of its own.
        std::lock_guard lock(mutex_);
        values_.emplace(raw, std::move(value));
        return raw;
    }
    {
        std::lock_guard lock(mutex_);
        values_.emplace(key, std::move(value));
    }
    this_thread.add(weak_from_this());
    this_thread.cached_id = id_;
    this_thread.cached_value = raw;
    return raw;
}

void LocalCore::forget(const void* thread_key) noexcept {
    std::shared_ptr<void> value;
    {
        std::lock_guard lock(mutex_);
        auto it = values_.find(thread_key);
        if (it == values_.end()) return;
        value = std::move(it->second);
        values_.erase(it);
    }
    // Destroyed here, outside the lock: its destructor may use this local again.
}

}  // namespace concurrence::threading::detail
