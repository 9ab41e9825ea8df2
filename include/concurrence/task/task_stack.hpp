// Python's Task.get_stack() and Task.print_stack(), for Task<T> and TaskRef.
//
//   task.print_stack()       →  task.print_stack();            // to stderr, as Python
//   task.get_stack(limit=2)  →  task.get_stack(2)               // FrameCallGraphEntry, oldest first
//
// Python can only show the frame of the task's own coroutine; here the whole chain of
// coroutines it awaits inline is known (the same chain capture_call_graph shows), so
// get_stack gives all of them, from the task's own coroutine inward. A done task has no
// stack; C++ keeps no traceback of where an exception was thrown, so a failed task prints
// "No stack for ..." followed by the exception line, as Python does when it has no frames.
#pragma once

#include <cstddef>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "concurrence/task/task_core.hpp"

namespace concurrence::asyncio {

// One coroutine of a task's await chain (Python's FrameCallGraphEntry).
struct FrameCallGraphEntry {
    std::string function;  // the coroutine function's name
    std::string file;
    unsigned line;  // where it is suspended (its definition, before it first ran)
};

namespace detail {
// Oldest (the task's own coroutine) first, at most `limit`; `line`: the caller's, used for the
// innermost frame when the task asks about itself.
std::vector<FrameCallGraphEntry> task_stack(const TaskCore& task, std::optional<std::size_t> limit, unsigned line);
void print_task_stack(const TaskCore& task, std::optional<std::size_t> limit, std::FILE* out, unsigned line);

// The methods Task<T> and TaskRef share (Handle: the class itself).
template <class Handle>
class TaskStackMethods {
public:
    std::vector<FrameCallGraphEntry> get_stack(std::optional<std::size_t> limit = std::nullopt,
                                               unsigned line = __builtin_LINE()) const {
        return task_stack(*self().core(), limit, line);
    }
    void print_stack(std::optional<std::size_t> limit = std::nullopt, std::FILE* out = stderr,
                     unsigned line = __builtin_LINE()) const {
        print_task_stack(*self().core(), limit, out, line);
    }

private:
    const Handle& self() const { return static_cast<const Handle&>(*this); }
};
}  // namespace detail

}  // namespace concurrence::asyncio
