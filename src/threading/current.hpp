// Which Thread the calling thread is, and which threads are alive (for enumerate()).
#pragma once

#include <memory>
#include <string>

#include "concurrence/threading/thread.hpp"

namespace concurrence::threading::detail {

class ThreadState;

// The state of the calling thread if it has a Thread object already (started by us, main, or a
// dummy already seen); null otherwise. Never creates a dummy.
ThreadState* current_state() noexcept;
// Makes `thread` what current_thread() returns in the calling thread (null: nothing).
void set_current_thread(Thread* thread) noexcept;

void add_alive(std::shared_ptr<ThreadState> state);
void remove_alive(const ThreadState* state);

// CPython's _newname: "Thread-N" and "Dummy-N" share one counter starting at 1.
std::string new_name(const char* prefix);

}  // namespace concurrence::threading::detail
