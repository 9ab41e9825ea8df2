// threading.stack_size(): the stack size that start() gives the threads it creates.
#include <pthread.h>

#include <atomic>
#include <string>

#include "concurrence/threading/thread.hpp"
#include "threading/thread_state.hpp"

namespace concurrence::threading {

namespace {

// CPython's THREAD_STACK_MIN on POSIX.
constexpr long long smallest_stack_size = 0x8000;

std::atomic<std::size_t> stack_size_for_new_threads{0};

// What pthread_attr_setstacksize() accepts (CPython asks the same way).
bool accepted_by_pthreads(std::size_t size) noexcept {
    pthread_attr_t attributes;
    if (pthread_attr_init(&attributes) != 0) return false;
    const bool accepted = pthread_attr_setstacksize(&attributes, size) == 0;
    pthread_attr_destroy(&attributes);
    return accepted;
}

}  // namespace

std::size_t detail::configured_stack_size() noexcept {
    return stack_size_for_new_threads.load(std::memory_order_relaxed);
}

std::size_t stack_size() noexcept { return detail::configured_stack_size(); }

std::size_t stack_size(long long size) {
    if (size < 0) throw ValueError("size must be 0 or a positive value");
    const auto bytes = static_cast<std::size_t>(size);
    if (size != 0 && (size < smallest_stack_size || !accepted_by_pthreads(bytes)))
        throw ValueError("size not valid: " + std::to_string(size) + " bytes");
    return stack_size_for_new_threads.exchange(bytes, std::memory_order_relaxed);
}

}  // namespace concurrence::threading
