// Python 3.14's call graphs: what a task awaits (its chain of coroutines, innermost first,
// with where each is suspended) and which tasks await it, recursively.
//
//   asyncio::print_call_graph();          // the current task's, to stdout
//   asyncio::print_call_graph(task);      // another task's
//   * Task(name='worker', id=0x55d0c2a4e2a0)
//   + Call stack:
//   |   File 'worker.cpp', line 12, in async fetch()
//   |   File 'worker.cpp', line 20, in async worker()
//   + Awaited by:
//      * Task(name='Task-1', id=0x55d0c2a4d010)
//      + Call stack:
//      |   File 'main.cpp', line 31, in async main()
//
// format_all_call_graphs(loop) lists every pending task of a loop; dump_call_graphs_on_signal
// prints that list to stderr whenever a signal arrives (CONCURRENCE_DUMP_SIGNAL=USR1 does it
// for asyncio::run), to see where a stuck program waits.
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "concurrence/task/current_task.hpp"
#include "concurrence/task/task_stack.hpp"

namespace concurrence::asyncio {

// FrameCallGraphEntry: task_stack.hpp.

// Python's FutureCallGraph.
struct FutureCallGraph {
    std::string name;  // the task's name
    std::string future;  // its repr: "<Task pending name='worker' coro=<worker() running at w.cpp:20>>"
    const void* id;
    std::vector<FrameCallGraphEntry> call_stack;  // innermost first
    std::vector<FutureCallGraph> awaited_by;
};

// The graph of `task`, or of the current task (nullopt outside a task). For the current task,
// `line` is where it calls this (the default argument gives it).
std::optional<FutureCallGraph> capture_call_graph(unsigned line = __builtin_LINE());
FutureCallGraph capture_call_graph(const TaskRef& task);
template <class TaskHandle>
    requires requires(const TaskHandle& t) { t.core()->is_task(); }
FutureCallGraph capture_call_graph(const TaskHandle& task) {
    return capture_call_graph(TaskRef(task.core()));
}

// The graph as Python's format_call_graph writes it ("" outside a task).
std::string format_call_graph(const FutureCallGraph& graph);
std::string format_call_graph(unsigned line = __builtin_LINE());
template <class TaskHandle>
    requires requires(const TaskHandle& t) { t.core()->is_task(); }
std::string format_call_graph(const TaskHandle& task) {
    return format_call_graph(capture_call_graph(task));
}

// Python's print_call_graph: to `out` (stdout by default).
void print_call_graph(std::FILE* out = stdout, unsigned line = __builtin_LINE());
template <class TaskHandle>
    requires requires(const TaskHandle& t) { t.core()->is_task(); }
void print_call_graph(const TaskHandle& task, std::FILE* out = stdout) {
    const std::string text = format_call_graph(task);
    std::fputs(text.c_str(), out);
    std::fflush(out);
}

// Every pending task of `loop`, each with its graph.
std::string format_all_call_graphs(EventLoop& loop);
// From now on, `sig` arriving prints format_all_call_graphs(loop) to stderr (through the loop's
// signal handlers: the dump shows where tasks wait; a loop blocked inside one callback prints
// it once that callback returns). Loop thread only; remove with loop.remove_signal_handler(sig).
void dump_call_graphs_on_signal(EventLoop& loop, int sig);

}  // namespace concurrence::asyncio
