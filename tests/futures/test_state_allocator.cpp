// The allocator of future states (white-box): blocks of every size class, blocks freed by
// another thread (they go back to the allocating thread's heap and are reused: memory does not
// grow when one thread allocates and others free), heaps of exited threads reused, big blocks.
// (No CPython counterpart: pymalloc's arenas play this part there.)
#include "concurrence/futures/state_allocator.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <set>
#include <vector>

#include "concurrence/threading/thread.hpp"

namespace {

namespace threading = concurrence::threading;
using concurrence::futures::detail::allocate_state;
using concurrence::futures::detail::deallocate_state;

// Under AddressSanitizer the allocator hands everything to operator new.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool pooled = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool pooled = false;
#else
constexpr bool pooled = true;
#endif
#else
constexpr bool pooled = true;
#endif

TEST(StateAllocator, BlocksOfEverySizeAreDistinctAlignedAndWritable) {
    std::vector<std::pair<void*, std::size_t>> blocks;
    for (std::size_t size = 8; size <= 1024; size += 8) {
        void* p = allocate_state(size);
        ASSERT_NE(p, nullptr);
        EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 16, 0u) << size;
        std::memset(p, 0xab, size);
        blocks.emplace_back(p, size);
    }
    std::set<void*> distinct;
    for (auto& [p, size] : blocks) distinct.insert(p);
    EXPECT_EQ(distinct.size(), blocks.size());
    for (auto& [p, size] : blocks) deallocate_state(p, size);
}

TEST(StateAllocator, ABlockFreedByItsThreadIsReused) {
    if (!pooled) GTEST_SKIP() << "the pool is bypassed (AddressSanitizer)";
    void* a = allocate_state(96);
    deallocate_state(a, 96);
    void* b = allocate_state(96);
    EXPECT_EQ(a, b);
    deallocate_state(b, 96);
}

TEST(StateAllocator, BlocksFreedByAnotherThreadGoBackToTheAllocatingThread) {
    // One thread allocates, another frees, round after round: the blocks come back, so the
    // memory in use stays bounded (without reuse, the rounds would use 5 x per_round blocks).
    constexpr int per_round = 2000;
    if (!pooled) GTEST_SKIP() << "the pool is bypassed (AddressSanitizer)";
    std::set<void*> seen;
    for (int round = 0; round < 5; ++round) {
        std::vector<void*> blocks;
        for (int i = 0; i < per_round; ++i) blocks.push_back(allocate_state(80));
        seen.insert(blocks.begin(), blocks.end());
        threading::Thread freer([&blocks] {
            for (void* p : blocks) deallocate_state(p, 80);
        });
        freer.start();
        freer.join();
    }
    EXPECT_LT(seen.size(), 2u * per_round);
}

TEST(StateAllocator, ConcurrentRemoteFrees) {
    constexpr int n = 4000;
    std::vector<void*> blocks;
    for (int i = 0; i < n; ++i) blocks.push_back(allocate_state(48));
    std::vector<threading::Thread> freers;
    for (int t = 0; t < 4; ++t) {
        freers.emplace_back([&blocks, t] {
            for (int i = t; i < n; i += 4) deallocate_state(blocks[i], 48);
        });
        freers.back().start();
    }
    for (auto& f : freers) f.join();
    std::set<void*> again;
    for (int i = 0; i < n; ++i) again.insert(allocate_state(48));
    EXPECT_EQ(again.size(), static_cast<std::size_t>(n));
    for (void* p : again) deallocate_state(p, 48);
}

TEST(StateAllocator, BlocksOfAnExitedThreadCanBeFreedAnywhere) {
    std::vector<void*> blocks;
    threading::Thread allocator([&blocks] {
        for (int i = 0; i < 100; ++i) blocks.push_back(allocate_state(64));
    });
    allocator.start();
    allocator.join();
    for (void* p : blocks) deallocate_state(p, 64);
    // The exited thread's heap serves a new thread.
    threading::Thread next([] {
        for (int i = 0; i < 200; ++i) deallocate_state(allocate_state(64), 64);
    });
    next.start();
    next.join();
}

TEST(StateAllocator, BigBlocks) {
    void* p = allocate_state(100000);
    std::memset(p, 1, 100000);
    deallocate_state(p, 100000);
}

}  // namespace
