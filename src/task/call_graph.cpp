#include "concurrence/task/call_graph.hpp"

#include <algorithm>
#include <cstdio>
#include <unordered_set>

#include "base/describe_exception.hpp"
#include "base/write_stderr.hpp"

namespace concurrence::asyncio {

namespace {

using detail::TaskCore;

// The task's own coroutine first, then each one it awaits inline (empty once done);
// `current_line` replaces the innermost line for the running task.
std::vector<FrameCallGraphEntry> await_chain(const TaskCore& task, unsigned current_line) {
    std::vector<FrameCallGraphEntry> chain;
    if (task.done()) return chain;
    for (const TaskCore* c = &task; c; c = c->awaiting())
        chain.push_back({c->function_name(), c->file(), c->await_line() ? c->await_line() : c->line()});
    if (current_line && !chain.empty()) chain.back().line = current_line;
    return chain;
}

// Innermost first, as call graphs show it.
std::vector<FrameCallGraphEntry> call_stack_of(const TaskCore& task, unsigned current_line) {
    std::vector<FrameCallGraphEntry> chain = await_chain(task, current_line);
    std::reverse(chain.begin(), chain.end());
    return chain;
}

bool awaits(const TaskCore& waiter, const TaskCore& target) {
    const detail::Waitable* w = waiter.waiting_on();
    const detail::FutureBase* f = w ? w->awaited_future() : nullptr;
    if (!f) return false;
    if (f == &target) return true;
    bool found = false;
    f->for_each_awaited([&](const detail::FutureBase& child) { found = found || &child == &target; });
    return found;
}

FutureCallGraph graph_of(const TaskCore& task, unsigned current_line, std::unordered_set<const TaskCore*>& seen) {
    FutureCallGraph g{task.name(), task.repr(), &task, call_stack_of(task, current_line), {}};
    seen.insert(&task);
    if (task.done()) return g;
    task.loop().task_registry().for_each([&](detail::Runnable* r) {
        const auto* other = static_cast<const TaskCore*>(r);
        if (!seen.count(other) && awaits(*other, task)) g.awaited_by.push_back(graph_of(*other, 0, seen));
    });
    return g;
}

void format_into(std::string& out, const FutureCallGraph& g, const std::string& indent) {
    char id[32];
    std::snprintf(id, sizeof id, "%p", g.id);
    out += indent + "* Task(name='" + g.name + "', id=" + id + ")\n";
    if (!g.call_stack.empty()) {
        out += indent + "+ Call stack:\n";
        for (const FrameCallGraphEntry& e : g.call_stack)
            out += indent + "|   File '" + e.file + "', line " + std::to_string(e.line) + ", in async " + e.function + "()\n";
    }
    if (!g.awaited_by.empty()) {
        out += indent + "+ Awaited by:\n";
        for (const FutureCallGraph& a : g.awaited_by) format_into(out, a, indent + "   ");
    }
}

}  // namespace

namespace detail {

std::vector<FrameCallGraphEntry> task_stack(const TaskCore& task, std::optional<std::size_t> limit, unsigned line) {
    std::vector<FrameCallGraphEntry> stack = await_chain(task, &task == current_task_or_null() ? line : 0);
    if (limit && stack.size() > *limit) stack.resize(*limit);
    return stack;
}

// Python's _task_print_stack, with no source lines (traceback.print_list prints none when it
// cannot read the file either).
void print_task_stack(const TaskCore& task, std::optional<std::size_t> limit, std::FILE* out, unsigned line) {
    const std::vector<FrameCallGraphEntry> stack = task_stack(task, limit, line);
    const std::exception_ptr failure = task.state() == FutureState::failed ? task.peek_exception() : nullptr;
    std::string text = stack.empty() ? "No stack for " : failure ? "Traceback for " : "Stack for ";
    text += task.repr();
    text += stack.empty() ? "\n" : " (most recent call last):\n";
    for (const FrameCallGraphEntry& e : stack)
        text += "  File \"" + e.file + "\", line " + std::to_string(e.line) + ", in " + e.function + "\n";
    if (failure) text += concurrence::detail::describe_exception(failure) + "\n";
    std::fputs(text.c_str(), out);
    std::fflush(out);
}

}  // namespace detail

std::optional<FutureCallGraph> capture_call_graph(unsigned line) {
    const TaskCore* task = detail::current_task_or_null();
    if (!task) return std::nullopt;
    std::unordered_set<const TaskCore*> seen;
    return graph_of(*task, line, seen);
}

FutureCallGraph capture_call_graph(const TaskRef& task) {
    if (!task) throw TypeError("capture_call_graph: no task given");
    std::unordered_set<const TaskCore*> seen;
    const TaskCore* core = task.core();
    return graph_of(*core, 0, seen);
}

std::string format_call_graph(const FutureCallGraph& graph) {
    std::string out;
    format_into(out, graph, "");
    return out;
}

std::string format_call_graph(unsigned line) {
    const std::optional<FutureCallGraph> g = capture_call_graph(line);
    return g ? format_call_graph(*g) : std::string();
}

void print_call_graph(std::FILE* out, unsigned line) {
    const std::string text = format_call_graph(line);
    std::fputs(text.c_str(), out);
    std::fflush(out);
}

std::string format_all_call_graphs(EventLoop& loop) {
    std::vector<TaskRef> tasks = all_tasks(loop);
    std::string out = "asyncio: " + std::to_string(tasks.size()) + " pending task" + (tasks.size() == 1 ? "" : "s") + "\n";
    for (const TaskRef& t : tasks) {
        std::unordered_set<const TaskCore*> seen;
        const FutureCallGraph g = graph_of(*t.core(), 0, seen);
        format_into(out, g, "");
        const detail::Waitable* w = t.core()->waiting_on();
        if (w) out += std::string("+ Waiting on: ") + w->wait_kind() + "\n";
    }
    return out;
}

void dump_call_graphs_on_signal(EventLoop& loop, int sig) {
    loop.add_signal_handler(sig, [&loop] { concurrence::detail::write_stderr(format_all_call_graphs(loop)); });
}

}  // namespace concurrence::asyncio
