// CONCURRENCE_DUMP_SIGNAL=USR1 (a name, with or without SIG, or a number): asyncio::run's loop
// prints every task's call graph to stderr when that signal arrives.
#include <signal.h>
#include <string.h>

#include <cstdlib>
#include <string>

#include "base/write_stderr.hpp"
#include "concurrence/task/call_graph.hpp"
#include "run/dump_signal.hpp"

namespace concurrence::asyncio::detail {

namespace {
int signal_from_name(std::string name) {
    if (name.rfind("SIG", 0) == 0) name.erase(0, 3);
    char* end = nullptr;
    const long number = std::strtol(name.c_str(), &end, 10);
    if (!name.empty() && *end == '\0') return static_cast<int>(number);
    for (int sig = 1; sig < NSIG; ++sig) {
        const char* abbrev = ::sigabbrev_np(sig);
        if (abbrev && name == abbrev) return sig;
    }
    return 0;
}
}  // namespace

void dump_call_graphs_from_environment(EventLoop& loop) {
    const char* value = std::getenv("CONCURRENCE_DUMP_SIGNAL");
    if (!value || !*value) return;
    try {
        const int sig = signal_from_name(value);
        if (sig == 0) throw ValueError(std::string("unknown signal '") + value + "'");
        dump_call_graphs_on_signal(loop, sig);
    } catch (const std::exception& e) {
        concurrence::detail::write_stderr(std::string("concurrence: CONCURRENCE_DUMP_SIGNAL: ") + e.what() + "\n");
    }
}

}  // namespace concurrence::asyncio::detail
