#include "concurrence/detail/frame_pool.hpp"

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <vector>

namespace concurrence::detail {
namespace {

constexpr std::size_t slab_bytes = 64 * 1024;
constexpr std::size_t class_count = pool_max_block / pool_granule + 1;

// Slabs are cut from 2 MiB regions mapped and faulted in at once (one mmap per 2 MiB, not a
// malloc per slab, and no page fault per 4 KiB).
// Measured: asking for transparent huge pages (MADV_HUGEPAGE) made W1 faster on a quiet
// machine (0.23 s) but stalled in the kernel's compaction after other programs churned memory
// (0.4-0.6 s); plain pages give a steady 0.32 s, so the regions use plain pages.
// Measured again (2026-11-27, 2 MiB-aligned regions): 0.11 s per W1 run right after another,
// but 0.35-0.44 s for the first run after a few idle seconds, with no compaction at all
// (/proc/vmstat compact_stall 0): this VM's balloon reports free 2 MiB blocks to the host,
// which then faults them back in. Plain pages: 0.16 s either way.
constexpr std::size_t region_bytes = 2 * 1024 * 1024;

struct Regions {
    std::mutex mutex;
    char* next = nullptr;
    char* end = nullptr;
};
Regions& regions() {
    static Regions* r = new Regions;
    return *r;
}

char* new_region() {
    void* raw = ::mmap(nullptr, region_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) return nullptr;
    // Fault the region in with one call rather than 512 page faults: the slabs cut from it are
    // written right away anyway. A hint: kernels before 5.14 fault pages in one by one.
    [[maybe_unused]] int ignored = ::madvise(raw, region_bytes, MADV_POPULATE_WRITE);
    return static_cast<char*>(raw);
}

char* new_slab() {
    Regions& r = regions();
    std::lock_guard guard(r.mutex);
    if (r.next == r.end) {
        char* region = new_region();
        if (!region) return static_cast<char*>(std::malloc(slab_bytes));
        r.next = region;
        r.end = region + region_bytes;
    }
    char* slab = r.next;
    r.next += slab_bytes;
    return slab;
}

// Free lists left by threads that exited, kept whole (no walk): their memory is reused.
struct Depot {
    std::mutex mutex;
    std::vector<PoolFreeBlock*> lists[class_count];
};
Depot& depot() {
    static Depot* d = new Depot;  // never destroyed: threads may exit during static destruction
    return *d;
}

// Hands this thread's lists to the depot when the thread exits.
struct CacheReturner {
    ~CacheReturner() {
        Depot& d = depot();
        std::lock_guard guard(d.mutex);
        for (std::size_t c = 0; c < class_count; ++c) {
            if (t_pool_cache.free[c]) d.lists[c].push_back(t_pool_cache.free[c]);
            t_pool_cache.free[c] = nullptr;
        }
    }
};
thread_local CacheReturner returner;

}  // namespace

void* pool_allocate_slow(std::size_t size) {
    if (size > pool_max_block) return ::operator new(size);
    (void)&returner;  // constructed on first use: registers the return at thread exit
    const std::size_t c = pool_class(size);
    const std::size_t block = c * pool_granule;
    {  // first, what exited threads left behind
        Depot& d = depot();
        std::lock_guard guard(d.mutex);
        if (!d.lists[c].empty()) {
            t_pool_cache.free[c] = d.lists[c].back();
            d.lists[c].pop_back();
        }
    }
    if (!t_pool_cache.free[c]) {  // then a new slab, cut into blocks of this class
        char* slab = new_slab();
        if (!slab) throw std::bad_alloc();
        PoolFreeBlock* head = nullptr;
        for (std::size_t off = (slab_bytes / block - 1) * block;; off -= block) {
            auto* b = reinterpret_cast<PoolFreeBlock*>(slab + off);
            b->next = head;
            head = b;
            if (off == 0) break;
        }
        t_pool_cache.free[c] = head;
    }
    PoolFreeBlock* b = t_pool_cache.free[c];
    t_pool_cache.free[c] = b->next;
    return b;
}

void pool_deallocate_slow(void* p, std::size_t) noexcept { ::operator delete(p); }

}  // namespace concurrence::detail
