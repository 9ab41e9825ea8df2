// What LoopOwned::leak() keeps: values that no thread may safely release any more.
#include "concurrence/bridge/loop_owned.hpp"

#include <mutex>
#include <vector>

namespace concurrence::asyncio::detail {

void keep_unreleased(void* p) noexcept {
    if (!p) return;
    // Leaked on purpose, with what it holds: it must survive static destruction too.
    static auto* const mutex = new std::mutex;
    static auto* const kept = new std::vector<void*>;
    std::lock_guard guard(*mutex);
    try {
        kept->push_back(p);
    } catch (...) {  // out of memory: the value is leaked all the same, only unreachable
    }
}

}  // namespace concurrence::asyncio::detail
