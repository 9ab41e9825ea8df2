// Where the shared states of futures live (internal): a small allocator made for them.
//
// Why: a task costs one state (task_state.hpp), allocated by the thread that submits it and
// freed by whichever thread lets go of it last, often another one. With malloc that is ~20 ns
// each way plus a page fault per 4 KiB of new states; here it is a thread-local free list, and
// new memory comes in 2 MiB regions faulted in by one system call. See src/futures/state_allocator.cpp.
//
// Thread safety: allocate and deallocate from any thread.
#pragma once

#include <cstddef>

namespace concurrence::futures::detail {

void* allocate_state(std::size_t size);
void deallocate_state(void* p, std::size_t size) noexcept;

}  // namespace concurrence::futures::detail
