// Size-class allocator for coroutine frames, handles and other small loop objects.
//
// Why: a task costs one frame allocation, and frames of one program come in a few sizes.
// Thread-local free lists make allocate/free a handful of instructions, and exact 16-byte
// classes carry no malloc header, which is what keeps a task near 128 bytes. Blocks freed on
// another thread simply join that thread's lists. Memory is kept for reuse, not returned to
// the system (like pymalloc's arenas); blocks larger than the biggest class go to operator new.
// Under AddressSanitizer the pool is bypassed so that use-after-free is still caught.
#pragma once

#include <cstddef>
#include <new>

namespace concurrence::detail {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool pool_enabled = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool pool_enabled = false;
#else
inline constexpr bool pool_enabled = true;
#endif
#else
inline constexpr bool pool_enabled = true;
#endif

inline constexpr std::size_t pool_granule = 16;
inline constexpr std::size_t pool_max_block = 512;

void* pool_allocate_slow(std::size_t size);
void pool_deallocate_slow(void* p, std::size_t size) noexcept;

struct PoolFreeBlock {
    PoolFreeBlock* next;
};

// One thread's free lists, one per 16-byte class. Plain data in initial-exec TLS: the fast
// path is a TLS load and two pointer moves (no guard, no __tls_get_addr). The lists go back
// to a shared depot when the thread exits (registered on the first slow allocation).
struct PoolCache {
    PoolFreeBlock* free[pool_max_block / pool_granule + 1];
};
[[gnu::tls_model("initial-exec")]] inline thread_local PoolCache t_pool_cache{};
inline PoolCache& pool_cache() noexcept { return t_pool_cache; }

constexpr std::size_t pool_class(std::size_t size) { return (size + pool_granule - 1) / pool_granule; }

inline void* pool_allocate(std::size_t size) {
    if constexpr (pool_enabled) {
        if (size <= pool_max_block) {
            auto& head = pool_cache().free[pool_class(size)];
            if (PoolFreeBlock* b = head) {
                head = b->next;
                return b;
            }
        }
        return pool_allocate_slow(size);
    } else {
        return ::operator new(size);
    }
}

inline void pool_deallocate(void* p, std::size_t size) noexcept {
    if constexpr (pool_enabled) {
        if (size <= pool_max_block) {
            auto& head = pool_cache().free[pool_class(size)];
            auto* b = static_cast<PoolFreeBlock*>(p);
            b->next = head;
            head = b;
            return;
        }
        pool_deallocate_slow(p, size);
    } else {
        ::operator delete(p);
    }
}

// Gives a class operator new/delete that use the pool (sized delete is required).
struct PoolAllocated {
    static void* operator new(std::size_t size) { return pool_allocate(size); }
    static void operator delete(void* p, std::size_t size) noexcept { pool_deallocate(p, size); }
};

}  // namespace concurrence::detail
