// Call graphs (Python 3.14's asyncio.capture_call_graph / format_call_graph / print_call_graph):
// what a task awaits, innermost first, with the line of each co_await; which tasks await it;
// every pending task of a loop with what it waits on; the dump on a signal
// (dump_call_graphs_on_signal, CONCURRENCE_DUMP_SIGNAL).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <concurrence/asyncio.hpp>

#include "observe/read_back.hpp"

namespace {

namespace asyncio = concurrence::asyncio;
using testing::EndsWith;
using testing::HasSubstr;
using testing::StartsWith;

// "0x..." as the graphs print a task's id.
std::string cg_id(const void* p) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%p", p);
    return buf;
}

const void* cg_core_of(const asyncio::TaskRef& t) { return t.core(); }

// The lines of a text, without their '\n'.
std::vector<std::string> cg_lines(const std::string& text) {
    std::vector<std::string> out;
    std::size_t begin = 0;
    while (begin < text.size()) {
        const std::size_t end = text.find('\n', begin);
        if (end == std::string::npos) {
            out.push_back(text.substr(begin));
            break;
        }
        out.push_back(text.substr(begin, end - begin));
        begin = end + 1;
    }
    return out;
}

// The part of format_all_call_graphs' text about the task named `name`: from its "* Task(" line
// (at the start of a line) to the next task's.
std::string cg_section(const std::string& text, const std::string& name) {
    const std::string head = "* Task(name='" + name + "'";
    std::size_t begin = text.rfind(head, 0) == 0 ? 0 : text.find("\n" + head);
    if (begin == std::string::npos) return {};
    if (text[begin] == '\n') ++begin;
    const std::size_t next = text.find("\n* Task(", begin);
    return text.substr(begin, next == std::string::npos ? std::string::npos : next + 1 - begin);
}

int cg_count(const std::string& text, const std::string& what) {
    int n = 0;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

// A signal's action is SIG_IGN while alive (a raise() the library does not catch is then
// harmless), and the action from before comes back at the end.
class CgSignalIgnored {
public:
    explicit CgSignalIgnored(int sig) : sig_(sig) {
        struct sigaction ignore {};
        ignore.sa_handler = SIG_IGN;
        sigemptyset(&ignore.sa_mask);
        ::sigaction(sig_, &ignore, &previous_);
    }
    ~CgSignalIgnored() { ::sigaction(sig_, &previous_, nullptr); }
    CgSignalIgnored(const CgSignalIgnored&) = delete;
    CgSignalIgnored& operator=(const CgSignalIgnored&) = delete;
    // Still SIG_IGN: no handler of the library's is left installed.
    bool still_ignored() const {
        struct sigaction now {};
        ::sigaction(sig_, nullptr, &now);
        return !(now.sa_flags & SA_SIGINFO) && now.sa_handler == SIG_IGN;
    }

private:
    int sig_;
    struct sigaction previous_ {};
};

// An environment variable set while alive; what it was comes back at the end.
class CgEnvironment {
public:
    CgEnvironment(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) {
            had_ = true;
            old_ = old;
        }
        ::setenv(name, value, 1);
    }
    ~CgEnvironment() {
        if (had_)
            ::setenv(name_, old_.c_str(), 1);
        else
            ::unsetenv(name_);
    }
    CgEnvironment(const CgEnvironment&) = delete;
    CgEnvironment& operator=(const CgEnvironment&) = delete;

private:
    const char* name_;
    bool had_ = false;
    std::string old_;
};

// stderr captured while alive (also when the test leaves early).
class CgStderr {
public:
    CgStderr() { testing::internal::CaptureStderr(); }
    ~CgStderr() {
        if (!taken_) (void)testing::internal::GetCapturedStderr();
    }
    CgStderr(const CgStderr&) = delete;
    CgStderr& operator=(const CgStderr&) = delete;
    std::string take() {
        taken_ = true;
        return testing::internal::GetCapturedStderr();
    }

private:
    bool taken_ = false;
};

// The lines of the co_awaits of a chain (each recorded by the line itself).
struct CgLines {
    unsigned inner = 0;
    unsigned outer = 0;
    unsigned worker = 0;
    unsigned awaiter = 0;
};

// The coroutine functions the graphs name: directly in the anonymous namespace (which names
// leave out), with this file's prefix (the folder's files are compiled together).
// Line-sensitive: each `= __LINE__;` shares its line with the co_await it records.
// clang-format off
asyncio::Coro<> cg_inner(asyncio::Event* event, CgLines* lines) {
    lines->inner = __LINE__; co_await event->wait();
}

asyncio::Coro<> cg_outer(asyncio::Event* event, CgLines* lines) {
    lines->outer = __LINE__; co_await cg_inner(event, lines);
}

asyncio::Coro<> cg_worker_main(asyncio::Event* event, CgLines* lines) {
    lines->worker = __LINE__; co_await cg_outer(event, lines);
}

constexpr unsigned cg_wait_event_signature = __LINE__ + 1;
asyncio::Coro<> cg_wait_event(asyncio::Event* event) {
    co_await event->wait();
}
constexpr unsigned cg_wait_event_end = __LINE__ - 1;  // its closing brace

asyncio::Coro<> cg_take_lock(asyncio::Lock* lock) {
    co_await lock->acquire();
    lock->release();
}

asyncio::Coro<> cg_sleep_long() { co_await asyncio::sleep(3600); }

asyncio::Coro<> cg_get_item(asyncio::Queue<int>* queue, int* got) { *got = co_await queue->get(); }

asyncio::Coro<> cg_await_task(asyncio::Task<void> task) { co_await task; }

asyncio::Coro<> cg_quick() { co_return; }
// clang-format on

// ---------------------------------------------------------------- capture_call_graph(task)

struct CgObserved {
    CgLines lines;
    std::string main_name;
    const void* main_id = nullptr;
    const void* worker_id = nullptr;
    std::optional<asyncio::FutureCallGraph> graph;
    std::string text;
    std::string printed;
    std::string all;
};

// Looks at `target` once it waits (and its awaiter too): a third task, neither of the two.
asyncio::Coro<> cg_observer(asyncio::TaskRef target, asyncio::Event* release, CgObserved* out) {
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    out->graph = asyncio::capture_call_graph(target);
    out->text = asyncio::format_call_graph(*out->graph);
    if (std::FILE* f = std::tmpfile()) {
        asyncio::print_call_graph(target, f);
        out->printed = observe::read_back(f);
        std::fclose(f);
    }
    out->all = asyncio::format_all_call_graphs(asyncio::get_running_loop());
    release->set();
}

asyncio::Coro<> cg_main_awaits_worker(CgObserved* out) {
    out->main_name = asyncio::current_task().get_name();
    out->main_id = cg_core_of(asyncio::current_task());
    asyncio::Event event;
    asyncio::Task<void> worker = asyncio::create_task(cg_worker_main(&event, &out->lines), "worker");
    out->worker_id = cg_core_of(asyncio::TaskRef(worker.core()));
    asyncio::Task<void> observer =
        asyncio::create_task(cg_observer(asyncio::TaskRef(worker.core()), &event, out), "observer");
    // clang-format off
    out->lines.awaiter = __LINE__; co_await worker;
    // clang-format on
    co_await observer;
}

TEST(CallGraphCapture, InlineChainInnermostFirst) {
    CgObserved o;
    asyncio::run(cg_main_awaits_worker(&o));
    ASSERT_TRUE(o.graph.has_value());
    const asyncio::FutureCallGraph& g = *o.graph;
    EXPECT_EQ(g.name, "worker");
    EXPECT_EQ(g.id, o.worker_id);
    ASSERT_EQ(g.call_stack.size(), 3u);
    EXPECT_EQ(g.call_stack[0].function, "cg_inner");
    EXPECT_EQ(g.call_stack[1].function, "cg_outer");
    EXPECT_EQ(g.call_stack[2].function, "cg_worker_main");
    EXPECT_EQ(g.call_stack[0].line, o.lines.inner);
    EXPECT_EQ(g.call_stack[1].line, o.lines.outer);
    EXPECT_EQ(g.call_stack[2].line, o.lines.worker);
    for (const asyncio::FrameCallGraphEntry& e : g.call_stack) {
        EXPECT_EQ(e.file, __FILE__);
        EXPECT_THAT(e.file, EndsWith("test_call_graph.cpp"));
    }
    EXPECT_THAT(g.future, StartsWith("<Task pending name='worker' coro=<cg_worker_main() running at "));
}

TEST(CallGraphCapture, AwaitedByTheTaskThatAwaitsIt) {
    CgObserved o;
    asyncio::run(cg_main_awaits_worker(&o));
    ASSERT_TRUE(o.graph.has_value());
    // The main task awaits the worker; the observer (running) awaits nothing.
    ASSERT_EQ(o.graph->awaited_by.size(), 1u);
    const asyncio::FutureCallGraph& main = o.graph->awaited_by[0];
    EXPECT_EQ(main.name, o.main_name);
    EXPECT_EQ(main.id, o.main_id);
    ASSERT_EQ(main.call_stack.size(), 1u);
    EXPECT_EQ(main.call_stack[0].function, "cg_main_awaits_worker");
    EXPECT_EQ(main.call_stack[0].file, __FILE__);
    EXPECT_EQ(main.call_stack[0].line, o.lines.awaiter);
    EXPECT_TRUE(main.awaited_by.empty());
    EXPECT_THAT(main.future,
                StartsWith("<Task pending name='" + o.main_name + "' coro=<cg_main_awaits_worker() running at "));
}

TEST(CallGraphFormat, ExactShape) {
    CgObserved o;
    asyncio::run(cg_main_awaits_worker(&o));
    const std::string file = __FILE__;
    const std::vector<std::string> expected = {
        "* Task(name='worker', id=" + cg_id(o.worker_id) + ")",
        "+ Call stack:",
        "|   File '" + file + "', line " + std::to_string(o.lines.inner) + ", in async cg_inner()",
        "|   File '" + file + "', line " + std::to_string(o.lines.outer) + ", in async cg_outer()",
        "|   File '" + file + "', line " + std::to_string(o.lines.worker) + ", in async cg_worker_main()",
        "+ Awaited by:",
        "   * Task(name='" + o.main_name + "', id=" + cg_id(o.main_id) + ")",
        "   + Call stack:",
        "   |   File '" + file + "', line " + std::to_string(o.lines.awaiter) + ", in async cg_main_awaits_worker()",
    };
    EXPECT_THAT(o.text, EndsWith("\n"));
    const std::vector<std::string> lines = cg_lines(o.text);
    EXPECT_EQ(lines, expected);
    ASSERT_EQ(lines.size(), expected.size());
    EXPECT_TRUE(std::regex_match(lines[0], std::regex(R"(\* Task\(name='worker', id=0x[0-9a-f]+\))"))) << lines[0];
    EXPECT_TRUE(std::regex_match(
        lines[2], std::regex(R"(\|   File '.*test_call_graph\.cpp', line [0-9]+, in async cg_inner\(\))")))
        << lines[2];
}

TEST(CallGraphFormat, PrintWritesTheSameText) {
    CgObserved o;
    asyncio::run(cg_main_awaits_worker(&o));
    ASSERT_FALSE(o.text.empty());
    EXPECT_EQ(o.printed, o.text);
}

TEST(CallGraphFormat, FormatOfATaskHandle) {
    // format_call_graph(task) is format_call_graph(capture_call_graph(task)).
    CgObserved o;
    asyncio::run(cg_main_awaits_worker(&o));
    ASSERT_TRUE(o.graph.has_value());
    EXPECT_EQ(asyncio::format_call_graph(*o.graph), o.text);
}

// ---------------------------------------------------------------- gather

struct CgGathered {
    unsigned parent_line = 0;
    const void* parent_id = nullptr;
    asyncio::FutureCallGraph a;
    asyncio::FutureCallGraph b;
    asyncio::FutureCallGraph parent;
};

asyncio::Coro<> cg_gather_parent(asyncio::Task<void> a, asyncio::Task<void> b, unsigned* line) {
    auto both = asyncio::gather(a, b);
    // clang-format off
    *line = __LINE__; auto results = co_await both;
    // clang-format on
    (void)results;
}

asyncio::Coro<> cg_gather_main(CgGathered* out) {
    asyncio::Event event;
    asyncio::Task<void> a = asyncio::create_task(cg_wait_event(&event), "child-a");
    asyncio::Task<void> b = asyncio::create_task(cg_wait_event(&event), "child-b");
    asyncio::Task<void> parent = asyncio::create_task(cg_gather_parent(a, b, &out->parent_line), "parent");
    out->parent_id = cg_core_of(asyncio::TaskRef(parent.core()));
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    out->a = asyncio::capture_call_graph(a);
    out->b = asyncio::capture_call_graph(b);
    out->parent = asyncio::capture_call_graph(parent);
    event.set();
    co_await parent;
}

TEST(CallGraphCapture, GatherChildrenAreAwaitedByTheParent) {
    CgGathered g;
    asyncio::run(cg_gather_main(&g));
    for (const asyncio::FutureCallGraph* child : {&g.a, &g.b}) {
        ASSERT_EQ(child->awaited_by.size(), 1u) << child->name;
        const asyncio::FutureCallGraph& p = child->awaited_by[0];
        EXPECT_EQ(p.name, "parent");
        EXPECT_EQ(p.id, g.parent_id);
        ASSERT_EQ(p.call_stack.size(), 1u);
        EXPECT_EQ(p.call_stack[0].function, "cg_gather_parent");
        EXPECT_EQ(p.call_stack[0].line, g.parent_line);
        ASSERT_EQ(child->call_stack.size(), 1u);
        EXPECT_EQ(child->call_stack[0].function, "cg_wait_event");
    }
    EXPECT_EQ(g.a.name, "child-a");
    EXPECT_EQ(g.b.name, "child-b");
    // Nobody awaits the parent (the main task was running when it looked).
    EXPECT_TRUE(g.parent.awaited_by.empty());
}

// ---------------------------------------------------------------- TaskGroup

struct CgGrouped {
    std::vector<asyncio::FutureCallGraph> children;
    std::string all;
};

asyncio::Coro<> cg_group_parent(asyncio::Event* event) {
    co_await asyncio::async_with(asyncio::TaskGroup(), [&](asyncio::TaskGroup& tg) -> asyncio::Coro<> {
        tg.create_task(cg_wait_event(event), "member-1");
        tg.create_task(cg_wait_event(event), "member-2");
        co_return;
    });
}

asyncio::Coro<> cg_group_observer(asyncio::Event* event, CgGrouped* out) {
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    for (const asyncio::TaskRef& t : asyncio::all_tasks())
        if (t.get_name().rfind("member-", 0) == 0) out->children.push_back(asyncio::capture_call_graph(t));
    out->all = asyncio::format_all_call_graphs(asyncio::get_running_loop());
    event->set();
}

asyncio::Coro<> cg_group_main(CgGrouped* out) {
    asyncio::Event event;
    auto parent = asyncio::create_task(cg_group_parent(&event), "group-parent");
    auto observer = asyncio::create_task(cg_group_observer(&event, out), "observer");
    co_await observer;
    co_await parent;
}

TEST(CallGraphCapture, TaskGroupMembersAreAwaitedByTheGroupsParent) {
    CgGrouped g;
    asyncio::run(cg_group_main(&g));
    ASSERT_EQ(g.children.size(), 2u);
    for (const asyncio::FutureCallGraph& child : g.children) {
        ASSERT_EQ(child.awaited_by.size(), 1u) << child.name;
        EXPECT_EQ(child.awaited_by[0].name, "group-parent");
        // The parent's stack: inside the group's exit, in cg_group_parent.
        ASSERT_FALSE(child.awaited_by[0].call_stack.empty());
        EXPECT_EQ(child.awaited_by[0].call_stack.back().function, "cg_group_parent");
    }
    EXPECT_THAT(g.all, HasSubstr("+ Waiting on: TaskGroup"));
}

// ---------------------------------------------------------------- shield and wait

struct CgThrough {
    asyncio::FutureCallGraph shielded;
    asyncio::FutureCallGraph timed;
    std::vector<asyncio::FutureCallGraph> waited;
};

asyncio::Coro<> cg_wait_for_parent(asyncio::Task<void> child) { co_await asyncio::wait_for(child, 100); }

asyncio::Coro<> cg_shield_parent(asyncio::Task<void> child) { co_await asyncio::shield(child); }

asyncio::Coro<> cg_wait_parent(std::vector<asyncio::Task<void>> children) {
    auto result = co_await asyncio::wait(children);
    (void)result;
}

asyncio::Coro<> cg_through_main(CgThrough* out) {
    asyncio::Event event;
    asyncio::Task<void> shielded = asyncio::create_task(cg_wait_event(&event), "shielded");
    auto shield_parent = asyncio::create_task(cg_shield_parent(shielded), "shield-parent");
    std::vector<asyncio::Task<void>> waited;
    waited.push_back(asyncio::create_task(cg_wait_event(&event), "waited-1"));
    waited.push_back(asyncio::create_task(cg_wait_event(&event), "waited-2"));
    auto wait_parent = asyncio::create_task(cg_wait_parent(waited), "wait-parent");
    asyncio::Task<void> timed = asyncio::create_task(cg_wait_event(&event), "timed");
    auto wait_for_parent = asyncio::create_task(cg_wait_for_parent(timed), "wait-for-parent");
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    out->shielded = asyncio::capture_call_graph(shielded);
    out->timed = asyncio::capture_call_graph(timed);
    for (const auto& t : waited) out->waited.push_back(asyncio::capture_call_graph(t));
    event.set();
    co_await shield_parent;
    co_await wait_parent;
    co_await wait_for_parent;
}

TEST(CallGraphCapture, ShieldWaitAndWaitForLinkTheAwaitingTask) {
    CgThrough g;
    asyncio::run(cg_through_main(&g));
    ASSERT_EQ(g.shielded.awaited_by.size(), 1u);
    EXPECT_EQ(g.shielded.awaited_by[0].name, "shield-parent");
    ASSERT_EQ(g.timed.awaited_by.size(), 1u);
    EXPECT_EQ(g.timed.awaited_by[0].name, "wait-for-parent");
    ASSERT_EQ(g.waited.size(), 2u);
    for (const asyncio::FutureCallGraph& child : g.waited) {
        ASSERT_EQ(child.awaited_by.size(), 1u) << child.name;
        EXPECT_EQ(child.awaited_by[0].name, "wait-parent");
        // Its stack: inside asyncio::wait's coroutine, called from cg_wait_parent.
        ASSERT_FALSE(child.awaited_by[0].call_stack.empty());
        EXPECT_EQ(child.awaited_by[0].call_stack.back().function, "cg_wait_parent");
    }
}

// ---------------------------------------------------------------- the current task

struct CgSelf {
    std::optional<asyncio::FutureCallGraph> graph;
    unsigned capture_line = 0;
    unsigned outer_line = 0;
    std::string formatted;
    unsigned format_line = 0;
    std::string printed;
    unsigned print_line = 0;
    std::string main_name;
};

// Line-sensitive, as above.
// clang-format off
asyncio::Coro<> cg_look_at_myself(CgSelf* out) {
    co_await asyncio::sleep(0);
    out->graph = asyncio::capture_call_graph(); out->capture_line = __LINE__;
    out->formatted = asyncio::format_call_graph(); out->format_line = __LINE__;
    std::FILE* f = std::tmpfile();
    if (f) {
        asyncio::print_call_graph(f); out->print_line = __LINE__;
        out->printed = observe::read_back(f);
        std::fclose(f);
    }
}

asyncio::Coro<> cg_self_outer(CgSelf* out) {
    out->outer_line = __LINE__; co_await cg_look_at_myself(out);
}
// clang-format on

asyncio::Coro<> cg_self_main(CgSelf* out) {
    out->main_name = asyncio::current_task().get_name();
    asyncio::Task<void> t = asyncio::create_task(cg_self_outer(out), "self");
    co_await t;
}

TEST(CallGraphCapture, CurrentTaskInnermostLineIsTheCall) {
    CgSelf s;
    asyncio::run(cg_self_main(&s));
    ASSERT_TRUE(s.graph.has_value());
    EXPECT_EQ(s.graph->name, "self");
    ASSERT_EQ(s.graph->call_stack.size(), 2u);
    EXPECT_EQ(s.graph->call_stack[0].function, "cg_look_at_myself");
    EXPECT_EQ(s.graph->call_stack[0].line, s.capture_line);
    EXPECT_EQ(s.graph->call_stack[0].file, __FILE__);
    EXPECT_EQ(s.graph->call_stack[1].function, "cg_self_outer");
    EXPECT_EQ(s.graph->call_stack[1].line, s.outer_line);
    // The main task awaits it.
    ASSERT_EQ(s.graph->awaited_by.size(), 1u);
    EXPECT_EQ(s.graph->awaited_by[0].name, s.main_name);
    EXPECT_THAT(s.graph->future, StartsWith("<Task pending name='self' coro=<cg_self_outer() running at "));
}

TEST(CallGraphCapture, FormatAndPrintOfTheCurrentTaskUseTheirOwnLine) {
    CgSelf s;
    asyncio::run(cg_self_main(&s));
    const std::string file = __FILE__;
    EXPECT_THAT(s.formatted, StartsWith("* Task(name='self', id=0x"));
    EXPECT_THAT(s.formatted, HasSubstr("+ Call stack:\n|   File '" + file + "', line " + std::to_string(s.format_line) +
                                       ", in async cg_look_at_myself()\n|   File '" + file + "', line " +
                                       std::to_string(s.outer_line) + ", in async cg_self_outer()\n"));
    EXPECT_THAT(s.printed, StartsWith("* Task(name='self', id=0x"));
    EXPECT_THAT(s.printed, HasSubstr("|   File '" + file + "', line " + std::to_string(s.print_line) +
                                     ", in async cg_look_at_myself()\n"));
    EXPECT_THAT(s.printed, HasSubstr("+ Awaited by:\n   * Task(name='" + s.main_name + "', id=0x"));
}

TEST(CallGraphCapture, OutsideATaskThereIsNoGraph) {
    EXPECT_FALSE(asyncio::capture_call_graph().has_value());
    EXPECT_EQ(asyncio::format_call_graph(), "");
    std::FILE* f = std::tmpfile();
    ASSERT_NE(f, nullptr);
    asyncio::print_call_graph(f);
    EXPECT_EQ(observe::read_back(f), "");
    std::fclose(f);
}

// A plain callback on a running loop is not a task either.
TEST(CallGraphCapture, InsideACallbackThereIsNoGraph) {
    asyncio::EventLoop loop;
    bool had_graph = true;
    std::string text = "unset";
    asyncio::Handle h = loop.call_soon([&] {
        had_graph = asyncio::capture_call_graph().has_value();
        text = asyncio::format_call_graph();
        loop.stop();
    });
    loop.run_forever();
    loop.close();
    EXPECT_FALSE(had_graph);
    EXPECT_EQ(text, "");
}

TEST(CallGraphCapture, NullTaskRefIsATypeError) {
    EXPECT_THROW((void)asyncio::capture_call_graph(asyncio::TaskRef()), concurrence::TypeError);
}

// ---------------------------------------------------------------- not started, done

struct CgLifetime {
    asyncio::FutureCallGraph fresh;
    asyncio::FutureCallGraph done;
    std::string done_text;
    const void* done_id = nullptr;
};

asyncio::Coro<> cg_lifetime_main(CgLifetime* out) {
    asyncio::Event event;
    asyncio::Task<void> fresh = asyncio::create_task(cg_wait_event(&event), "fresh");
    out->fresh = asyncio::capture_call_graph(fresh);
    asyncio::Task<void> quick = asyncio::create_task(cg_quick(), "done-one");
    out->done_id = cg_core_of(asyncio::TaskRef(quick.core()));
    co_await quick;
    out->done = asyncio::capture_call_graph(quick);
    out->done_text = asyncio::format_call_graph(quick);
    event.set();
    co_await fresh;
}

TEST(CallGraphCapture, TaskNotStartedYetIsAtItsDefinition) {
    CgLifetime l;
    asyncio::run(cg_lifetime_main(&l));
    EXPECT_EQ(l.fresh.name, "fresh");
    ASSERT_EQ(l.fresh.call_stack.size(), 1u);
    EXPECT_EQ(l.fresh.call_stack[0].function, "cg_wait_event");
    EXPECT_EQ(l.fresh.call_stack[0].file, __FILE__);
    EXPECT_GE(l.fresh.call_stack[0].line, cg_wait_event_signature);
    EXPECT_LE(l.fresh.call_stack[0].line, cg_wait_event_end);
    EXPECT_TRUE(l.fresh.awaited_by.empty());
}

TEST(CallGraphCapture, DoneTaskHasNoStackAndNoAwaiters) {
    CgLifetime l;
    asyncio::run(cg_lifetime_main(&l));
    EXPECT_EQ(l.done.name, "done-one");
    EXPECT_EQ(l.done.id, l.done_id);
    EXPECT_TRUE(l.done.call_stack.empty());
    EXPECT_TRUE(l.done.awaited_by.empty());
    EXPECT_THAT(l.done.future, StartsWith("<Task finished name='done-one' coro=<cg_quick() done, defined at "));
    EXPECT_THAT(l.done.future, HasSubstr("test_call_graph.cpp:"));
    EXPECT_EQ(l.done_text, "* Task(name='done-one', id=" + cg_id(l.done_id) + ")\n");
}

// ---------------------------------------------------------------- format_all_call_graphs

struct CgAll {
    std::string text;
    int got = 0;
    bool sleeper_cancelled = false;
};

asyncio::Coro<> cg_all_main(CgAll* out) {
    asyncio::Event event;
    asyncio::Lock lock;
    asyncio::Queue<int> queue;
    co_await lock.acquire();
    asyncio::Task<void> ev_waiter = asyncio::create_task(cg_wait_event(&event), "ev_waiter");
    asyncio::Task<void> lock_waiter = asyncio::create_task(cg_take_lock(&lock), "lock_waiter");
    asyncio::Task<void> sleeper = asyncio::create_task(cg_sleep_long(), "sleeper");
    asyncio::Task<void> getter = asyncio::create_task(cg_get_item(&queue, &out->got), "getter");
    asyncio::Task<void> task_waiter = asyncio::create_task(cg_await_task(ev_waiter), "task_waiter");
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    out->text = asyncio::format_all_call_graphs(asyncio::get_running_loop());
    event.set();
    lock.release();
    queue.put_nowait(7);
    sleeper.cancel();
    co_await ev_waiter;
    co_await lock_waiter;
    co_await getter;
    co_await task_waiter;
    for (int i = 0; i < 10 && !sleeper.done(); ++i) co_await asyncio::sleep(0);
    out->sleeper_cancelled = sleeper.cancelled();
}

TEST(CallGraphAll, EveryPendingTaskWithWhatItWaitsOn) {
    CgAll all;
    asyncio::run(cg_all_main(&all));
    EXPECT_EQ(all.got, 7);
    EXPECT_TRUE(all.sleeper_cancelled);
    const std::string& t = all.text;
    EXPECT_THAT(t, StartsWith("asyncio: 6 pending tasks\n")) << t;
    EXPECT_THAT(cg_section(t, "ev_waiter"), HasSubstr("+ Waiting on: Event.wait\n")) << t;
    EXPECT_THAT(cg_section(t, "lock_waiter"), HasSubstr("+ Waiting on: Lock.acquire\n")) << t;
    EXPECT_THAT(cg_section(t, "sleeper"), HasSubstr("+ Waiting on: sleep\n")) << t;
    EXPECT_THAT(cg_section(t, "getter"), HasSubstr("+ Waiting on: Queue.get\n")) << t;
    EXPECT_THAT(cg_section(t, "task_waiter"), HasSubstr("+ Waiting on: Task\n")) << t;
    // The event's waiter is awaited by task_waiter, one level down.
    EXPECT_THAT(cg_section(t, "ev_waiter"), HasSubstr("+ Awaited by:\n   * Task(name='task_waiter', id=0x")) << t;
    // Each task's graph has its stack: the coroutine where it waits.
    EXPECT_THAT(cg_section(t, "getter"), HasSubstr(", in async cg_get_item()\n")) << t;
    EXPECT_THAT(cg_section(t, "sleeper"), HasSubstr(", in async cg_sleep_long()\n")) << t;
    // The task that formats runs: it waits on nothing.
    EXPECT_EQ(cg_count(t, "+ Waiting on: "), 5) << t;
    EXPECT_EQ(cg_count(t, "\n* Task(name="), 6) << t;
}

asyncio::Coro<> cg_alone_main(std::string* out) {
    *out = asyncio::format_all_call_graphs(asyncio::get_running_loop());
    co_return;
}

TEST(CallGraphAll, OnePendingTaskIsSingular) {
    std::string text;
    asyncio::run(cg_alone_main(&text));
    EXPECT_THAT(text, StartsWith("asyncio: 1 pending task\n* Task(name='Task-"));
    EXPECT_THAT(text, HasSubstr(", in async cg_alone_main()\n"));
    EXPECT_THAT(text, testing::Not(HasSubstr("Waiting on")));
}

TEST(CallGraphAll, NoPendingTask) {
    asyncio::EventLoop loop;
    EXPECT_EQ(asyncio::format_all_call_graphs(loop), "asyncio: 0 pending tasks\n");
    loop.close();
}

// ---------------------------------------------------------------- dump on a signal

struct CgDump {
    bool removed = false;
    bool removed_again = true;
};

asyncio::Coro<> cg_dump_on_signal_main(CgDump* out) {
    asyncio::EventLoop& loop = asyncio::get_running_loop();
    asyncio::Event event;
    asyncio::Task<void> waiter = asyncio::create_task(cg_wait_event(&event), "sig_waiter");
    asyncio::dump_call_graphs_on_signal(loop, SIGUSR1);
    co_await asyncio::sleep(0);
    std::raise(SIGUSR1);
    co_await asyncio::sleep(0.05);
    co_await asyncio::sleep(0.05);
    out->removed = loop.remove_signal_handler(SIGUSR1);
    out->removed_again = loop.remove_signal_handler(SIGUSR1);
    event.set();
    co_await waiter;
}

TEST(CallGraphSignal, DumpOnSignalPrintsEveryTaskToStderr) {
    CgSignalIgnored ignored(SIGUSR1);
    CgDump d;
    std::string err;
    {
        CgStderr capture;
        asyncio::run(cg_dump_on_signal_main(&d));
        err = capture.take();
    }
    EXPECT_TRUE(d.removed);
    EXPECT_FALSE(d.removed_again);
    EXPECT_TRUE(ignored.still_ignored()) << "the loop's handler was left installed";
    EXPECT_EQ(cg_count(err, "asyncio: "), 1) << err;
    EXPECT_THAT(err, HasSubstr("asyncio: 2 pending tasks\n")) << err;
    const std::size_t dump = err.find("asyncio: ");
    EXPECT_THAT(cg_section(dump == std::string::npos ? err : err.substr(dump), "sig_waiter"),
                HasSubstr("+ Waiting on: Event.wait\n"))
        << err;
    EXPECT_THAT(err, HasSubstr(", in async cg_dump_on_signal_main()\n")) << err;
    EXPECT_THAT(err, HasSubstr("+ Waiting on: sleep\n")) << err;
}

asyncio::Coro<int> cg_env_main() {
    asyncio::Event event;
    asyncio::Task<void> waiter = asyncio::create_task(cg_wait_event(&event), "env_waiter");
    co_await asyncio::sleep(0);
    std::raise(SIGUSR2);
    co_await asyncio::sleep(0.05);
    co_await asyncio::sleep(0.05);
    event.set();
    co_await waiter;
    co_return 7;
}

// asyncio::run with CONCURRENCE_DUMP_SIGNAL=value, raising SIGUSR2 inside: what stderr got.
std::string cg_run_with_dump_signal(const char* value, int* result, bool* handler_left) {
    CgEnvironment env("CONCURRENCE_DUMP_SIGNAL", value);
    CgSignalIgnored ignored(SIGUSR2);
    std::string err;
    {
        CgStderr capture;
        *result = asyncio::run(cg_env_main());
        err = capture.take();
    }
    *handler_left = !ignored.still_ignored();
    return err;
}

TEST(CallGraphSignal, DumpSignalFromTheEnvironment) {
    int result = 0;
    bool handler_left = true;
    const std::string err = cg_run_with_dump_signal("USR2", &result, &handler_left);
    EXPECT_EQ(result, 7);
    EXPECT_FALSE(handler_left);
    EXPECT_EQ(cg_count(err, "asyncio: "), 1) << err;
    EXPECT_THAT(err, HasSubstr("asyncio: 2 pending tasks\n")) << err;
    EXPECT_THAT(err, HasSubstr("* Task(name='env_waiter', id=0x")) << err;
    EXPECT_THAT(err, HasSubstr(", in async cg_env_main()\n")) << err;
    EXPECT_THAT(err, testing::Not(HasSubstr("CONCURRENCE_DUMP_SIGNAL"))) << err;
}

TEST(CallGraphSignal, DumpSignalWithSigPrefix) {
    int result = 0;
    bool handler_left = true;
    const std::string err = cg_run_with_dump_signal("SIGUSR2", &result, &handler_left);
    EXPECT_EQ(result, 7);
    EXPECT_FALSE(handler_left);
    EXPECT_THAT(err, HasSubstr("asyncio: 2 pending tasks\n")) << err;
    EXPECT_THAT(err, HasSubstr("* Task(name='env_waiter', id=0x")) << err;
}

TEST(CallGraphSignal, DumpSignalAsANumber) {
    int result = 0;
    bool handler_left = true;
    const std::string number = std::to_string(SIGUSR2);  // "12" on Linux
    const std::string err = cg_run_with_dump_signal(number.c_str(), &result, &handler_left);
    EXPECT_EQ(result, 7);
    EXPECT_FALSE(handler_left);
    EXPECT_THAT(err, HasSubstr("asyncio: 2 pending tasks\n")) << err;
    EXPECT_THAT(err, HasSubstr("* Task(name='env_waiter', id=0x")) << err;
}

asyncio::Coro<int> cg_plain_main() {
    co_await asyncio::sleep(0);
    co_return 11;
}

// asyncio::run with CONCURRENCE_DUMP_SIGNAL=value and no signal: what stderr got.
std::string cg_run_plain_with_dump_signal(const char* value, int* result) {
    CgEnvironment env("CONCURRENCE_DUMP_SIGNAL", value);
    CgStderr capture;
    *result = asyncio::run(cg_plain_main());
    return capture.take();
}

TEST(CallGraphSignal, UnknownDumpSignalIsReportedAndTheRunGoesOn) {
    int result = 0;
    const std::string err = cg_run_plain_with_dump_signal("NOPE", &result);
    EXPECT_EQ(result, 11);
    EXPECT_THAT(err, HasSubstr("concurrence: CONCURRENCE_DUMP_SIGNAL: unknown signal 'NOPE'\n")) << err;
    EXPECT_EQ(cg_count(err, "asyncio: "), 0) << err;
}

TEST(CallGraphSignal, OutOfRangeDumpSignalIsReportedAndTheRunGoesOn) {
    int result = 0;
    const std::string err = cg_run_plain_with_dump_signal("999", &result);
    EXPECT_EQ(result, 11);
    EXPECT_THAT(err, StartsWith("concurrence: CONCURRENCE_DUMP_SIGNAL: ")) << err;
    EXPECT_THAT(err, HasSubstr("999")) << err;
}

}  // namespace
