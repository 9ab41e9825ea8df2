// The allocator of future states: per-thread heaps of 16-byte size classes, with remote frees.
//
// Each thread that allocates states owns a Heap: one free list per size class, used by that
// thread alone (no atomic instruction), and one "remote" list per class, a lock-free stack on
// which other threads push the blocks they free. When its free list runs dry, the owner takes
// the whole remote list at once (one exchange: no ABA problem), and only then takes fresh blocks
// from its newest slab.
// So blocks go back to the thread that allocated them, and a producer/consumer pattern (one
// thread submits, workers drop the last references) reuses memory instead of growing.
//
// Slabs are 64 KiB, aligned to 64 KiB, and start with the owning heap's address: a block finds
// its heap by masking its address. They are cut from 2 MiB regions faulted in by one
// madvise(MADV_POPULATE_WRITE) instead of 512 page faults. Memory is kept for reuse, never
// returned to the system (as pymalloc's arenas). A thread's heap outlives the thread: when it
// exits, the heap is put aside for the next thread that needs one, and frees keep arriving on
// its remote lists meanwhile.
//
// Under AddressSanitizer everything goes to operator new, so that use-after-free is caught.
#include "concurrence/futures/state_allocator.hpp"

#include <sys/mman.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <new>
#include <utility>

namespace concurrence::futures::detail {

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool heaps_enabled = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool heaps_enabled = false;
#else
constexpr bool heaps_enabled = true;
#endif
#else
constexpr bool heaps_enabled = true;
#endif

constexpr std::size_t granule = 16;
constexpr std::size_t max_block = 512;
constexpr std::size_t class_count = max_block / granule + 1;
constexpr std::size_t slab_bytes = 64 * 1024;
constexpr std::size_t region_bytes = 2 * 1024 * 1024;

constexpr std::size_t class_of(std::size_t size) { return (size + granule - 1) / granule; }

struct FreeBlock {
    FreeBlock* next;
};

struct Heap {
    FreeBlock* local[class_count] = {};                 // the owner's
    std::atomic<FreeBlock*> remote[class_count] = {};   // pushed by others, taken whole by the owner
    char* fresh[class_count] = {};                      // the untouched rest of the newest slab
    char* fresh_end[class_count] = {};
    Heap* next_spare = nullptr;                         // in the spare list, once its thread exited
};

// At the start of each slab; the blocks follow.
struct alignas(granule) SlabHeader {
    Heap* owner;
};

Heap* owner_of(void* block) noexcept {
    return reinterpret_cast<SlabHeader*>(reinterpret_cast<std::uintptr_t>(block) & ~(slab_bytes - 1))->owner;
}

// ---- regions and slabs

struct Regions {
    std::mutex mutex;
    char* next = nullptr;  // the next free slab of the current region
    char* end = nullptr;
    Heap* spares = nullptr;  // heaps of exited threads
};

Regions& regions() {
    static auto* const r = new Regions;  // never destroyed: threads may exit during static destruction
    return *r;
}

// Under the regions' mutex.
bool new_region(Regions& r) {
    const std::size_t bytes = region_bytes + slab_bytes;  // room to align to a slab
    void* raw = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) return false;
    const auto start = (reinterpret_cast<std::uintptr_t>(raw) + slab_bytes - 1) & ~(slab_bytes - 1);
    char* first = reinterpret_cast<char*>(start);
    // One call instead of a page fault per 4 KiB (kernels before 5.14 ignore it: then faults).
    [[maybe_unused]] const int ignored = ::madvise(first, region_bytes, MADV_POPULATE_WRITE);
    r.next = first;
    r.end = first + region_bytes;
    return true;
}

// A new slab for `heap`: its blocks are handed out in address order as they are needed (not
// threaded on a free list first, which would touch the whole slab at once).
char* new_slab(Heap* heap) {
    char* slab = nullptr;
    {
        Regions& r = regions();
        std::lock_guard guard(r.mutex);
        if (r.next == r.end && !new_region(r)) throw std::bad_alloc();
        slab = r.next;
        r.next += slab_bytes;
    }
    ::new (static_cast<void*>(slab)) SlabHeader{heap};
    return slab;
}

// ---- the calling thread's heap

Heap* take_heap() {
    Regions& r = regions();
    {
        std::lock_guard guard(r.mutex);
        if (Heap* spare = r.spares) {
            r.spares = spare->next_spare;
            spare->next_spare = nullptr;
            return spare;
        }
    }
    return new Heap;  // never deleted: blocks point at it
}

void put_heap_aside(Heap* heap) noexcept {
    Regions& r = regions();
    std::lock_guard guard(r.mutex);
    heap->next_spare = r.spares;
    r.spares = heap;
}

[[gnu::tls_model("initial-exec")]] thread_local Heap* t_heap = nullptr;
thread_local bool t_exited = false;  // the thread's heap was put aside: it is exiting

// Puts the thread's heap aside when the thread exits (constructed by the thread's first
// allocation that needs a heap).
struct HeapOwner {
    ~HeapOwner() {
        t_exited = true;
        if (Heap* h = std::exchange(t_heap, nullptr)) put_heap_aside(h);
    }
};
thread_local HeapOwner t_owner;

// The owner's free list is empty: take what other threads freed, else a fresh block.
void* take_block(Heap* heap, std::size_t c) {
    if (FreeBlock* taken = heap->remote[c].exchange(nullptr, std::memory_order_acquire)) {
        heap->local[c] = taken->next;
        return taken;
    }
    const std::size_t block = c * granule;
    if (static_cast<std::size_t>(heap->fresh_end[c] - heap->fresh[c]) < block) {
        char* slab = new_slab(heap);
        heap->fresh[c] = slab + sizeof(SlabHeader);
        heap->fresh_end[c] = slab + slab_bytes;
    }
    char* b = heap->fresh[c];
    heap->fresh[c] += block;
    return b;
}

void* allocate_from(Heap* heap, std::size_t c) {
    if (FreeBlock* b = heap->local[c]) {
        heap->local[c] = b->next;
        return b;
    }
    return take_block(heap, c);
}

void* allocate_slow(std::size_t c) {
    if (t_exited) {
        // Thread-local destructors are running: borrow a heap for this one block.
        Heap* heap = take_heap();
        void* b = allocate_from(heap, c);
        put_heap_aside(heap);
        return b;
    }
    if (!t_heap) {
        (void)&t_owner;  // registers the return of the heap at thread exit
        t_heap = take_heap();
    }
    return allocate_from(t_heap, c);
}

}  // namespace

void* allocate_state(std::size_t size) {
    if constexpr (!heaps_enabled) return ::operator new(size);
    if (size > max_block) return ::operator new(size);
    const std::size_t c = class_of(size);
    if (Heap* heap = t_heap) {
        if (FreeBlock* b = heap->local[c]) {
            heap->local[c] = b->next;
            return b;
        }
    }
    return allocate_slow(c);
}

void deallocate_state(void* p, std::size_t size) noexcept {
    if constexpr (!heaps_enabled) return ::operator delete(p);
    if (size > max_block) return ::operator delete(p);
    const std::size_t c = class_of(size);
    auto* b = static_cast<FreeBlock*>(p);
    Heap* owner = owner_of(p);
    if (owner == t_heap) {
        b->next = owner->local[c];
        owner->local[c] = b;
        return;
    }
    FreeBlock* head = owner->remote[c].load(std::memory_order_relaxed);
    do {
        b->next = head;
    } while (!owner->remote[c].compare_exchange_weak(head, b, std::memory_order_release, std::memory_order_relaxed));
}

}  // namespace concurrence::futures::detail
