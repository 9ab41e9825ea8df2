// Counts every heap allocation of the test executable that includes it, for the "nothing is
// allocated in the steady state" tests: replaces the global operator new/delete.
// Include it in exactly one source file of an executable (the replacements are definitions).
#pragma once

#include <atomic>
#include <cstdlib>
#include <new>

namespace allocation_counter {
inline std::atomic<long> allocations{0};

inline void* counted_alloc(std::size_t n) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
}  // namespace allocation_counter

// g++ at -O1 and above inlines these into gtest's `new TestClass` / `delete` pairs and then
// takes our free() for a mismatch with operator new: it is not one, both are ours.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t n) { return allocation_counter::counted_alloc(n); }
void* operator new[](std::size_t n) { return allocation_counter::counted_alloc(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    allocation_counter::allocations.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
    allocation_counter::allocations.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(n ? n : 1);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
