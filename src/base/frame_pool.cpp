#include "concurrence/detail/frame_pool.hpp"

#include <cstdlib>
#include <mutex>

namespace concurrence::detail {
namespace {

constexpr std::size_t slab_bytes = 64 * 1024;
constexpr std::size_t class_count = pool_max_block / pool_granule + 1;

// Blocks left by threads that exited, so that their memory is reused rather than lost.
struct Depot {
    std::mutex mutex;
    PoolFreeBlock* free[class_count] = {};
};
Depot& depot() {
    static Depot* d = new Depot;  // never destroyed: threads may exit during static destruction
    return *d;
}

struct ThreadCache : PoolCache {
    ~ThreadCache() {
        Depot& d = depot();
        std::lock_guard guard(d.mutex);
        for (std::size_t c = 0; c < class_count; ++c) {
            while (PoolFreeBlock* b = free[c]) {
                free[c] = b->next;
                b->next = d.free[c];
                d.free[c] = b;
            }
        }
    }
};

thread_local ThreadCache cache;

}  // namespace

PoolCache& pool_cache() noexcept { return cache; }

void* pool_allocate_slow(std::size_t size) {
    if (size > pool_max_block) return ::operator new(size);
    const std::size_t c = pool_class(size);
    const std::size_t block = c * pool_granule;
    {  // first, what exited threads left behind
        Depot& d = depot();
        std::lock_guard guard(d.mutex);
        if (d.free[c]) {
            cache.free[c] = d.free[c];
            d.free[c] = nullptr;
        }
    }
    if (!cache.free[c]) {  // then a new slab, cut into blocks of this class
        auto* slab = static_cast<char*>(std::malloc(slab_bytes));
        if (!slab) throw std::bad_alloc();
        PoolFreeBlock* head = nullptr;
        for (std::size_t off = (slab_bytes / block - 1) * block;; off -= block) {
            auto* b = reinterpret_cast<PoolFreeBlock*>(slab + off);
            b->next = head;
            head = b;
            if (off == 0) break;
        }
        cache.free[c] = head;
    }
    PoolFreeBlock* b = cache.free[c];
    cache.free[c] = b->next;
    return b;
}

void pool_deallocate_slow(void* p, std::size_t size) noexcept { ::operator delete(p, size); }

}  // namespace concurrence::detail
