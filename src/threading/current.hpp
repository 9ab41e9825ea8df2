// Which Thread the calling thread is, and which threads are alive (for enumerate()).
#pragma once

#include <pthread.h>

#include <memory>
#include <string>
#include <vector>

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
// The non-daemon threads that exit() joins: added by start(), removed once joined.
void add_to_join_at_exit(std::shared_ptr<ThreadState> state);
void remove_from_join_at_exit(const ThreadState* state);
// One of them other than `except` (the exiting thread), or null.
std::shared_ptr<ThreadState> next_to_join_at_exit(const ThreadState* except);
// The states of the threads alive now, in the order they became alive.
std::vector<std::shared_ptr<ThreadState>> alive_states();

// get_ident()'s value for a thread.
unsigned long ident_of(pthread_t thread) noexcept;

// CPython's _newname: "Thread-N" and "Dummy-N" share one counter starting at 1.
std::string new_name(const char* prefix);

}  // namespace concurrence::threading::detail
