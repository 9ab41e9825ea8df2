// Python's asyncio subprocesses: create_subprocess_exec, create_subprocess_shell, Process.
//
//   using asyncio::subprocess::PIPE;
//   auto proc = co_await asyncio::create_subprocess_exec("ls", "-l", "/tmp",
//                                                        subprocess::Options{.stdout = PIPE});
//   while (auto line = co_await proc.stdout->next())     // async for line in proc.stdout:
//       std::cout << *line;
//   int status = co_await proc.wait();
//
//   auto sorter = co_await asyncio::create_subprocess_shell("sort", {.stdin = PIPE, .stdout = PIPE});
//   auto [out, err] = co_await sorter.communicate("b\na\n");  // out: "a\nb\n", err: nullopt
//
// Python's keyword arguments are the Options struct, last. (g++ 12: an Options holding a
// string, i.e. cwd, env or executable, must be named before the co_await; see docs/design.md.
// So must a braced list of arguments: create_subprocess_exec(program, std::vector args, ...).)
//
// Spawn errors are thrown by the create_* call, in the caller, as Python's: FileNotFoundError
// ("[Errno 2] No such file or directory: 'prog'") for a missing program or cwd, PermissionError
// for one that is not executable. Each child is reaped exactly once, by its loop (a pidfd, or
// SIGCHLD where the kernel has no pidfd). Cancelling a task that waits on a process (wait,
// communicate) leaves the process running and still reapable, as in Python. A child still
// running when its loop closes is killed (SIGKILL) and reaped, as Python's collected transport
// does: no zombie outlives asyncio::run.
//
// Pipes are AF_UNIX stream socket pairs (as libuv's): the child sees a socket on its standard
// descriptors, which reads and writes as a pipe does. Every descriptor concurrence opens is
// close-on-exec, and the child gets only 0, 1, 2 and pass_fds (Python's close_fds=True), with
// the default action for SIGPIPE and no blocked signals.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "concurrence/streams/stream_reader.hpp"
#include "concurrence/streams/stream_writer.hpp"
#include "concurrence/task/coro.hpp"

namespace concurrence::asyncio::subprocess {

// What a child's stdin, stdout or stderr is: PIPE, DEVNULL, STDOUT (stderr only), or a
// descriptor of this process (the child gets a copy). std::nullopt: inherited (Python's None).
struct Stdio {
    int fd;
    constexpr Stdio(int descriptor) : fd(descriptor) {}  // NOLINT: implicit, as Python's ints
    friend constexpr bool operator==(Stdio, Stdio) = default;
};
inline constexpr Stdio PIPE{-1};
inline constexpr Stdio STDOUT{-2};
inline constexpr Stdio DEVNULL{-3};

// The keyword arguments of create_subprocess_exec/shell, as designated initialisers.
struct Options {
    std::optional<Stdio> stdin = std::nullopt;
    std::optional<Stdio> stdout = std::nullopt;
    std::optional<Stdio> stderr = std::nullopt;
    std::size_t limit = default_stream_limit;  // of the StreamReaders
    std::optional<std::string> cwd = std::nullopt;
    // The child's whole environment (Python's env=); nullopt: this process's.
    std::optional<std::map<std::string, std::string>> env = std::nullopt;
    // The program to run instead of the first argument, which becomes only argv[0].
    std::optional<std::string> executable = std::nullopt;
    bool start_new_session = false;                   // setsid() in the child
    std::optional<int> process_group = std::nullopt;  // setpgid(0, group) in the child
    std::vector<int> pass_fds = {};                   // inherited besides 0, 1 and 2
};

namespace detail {
class ChildWatch;
}

// Python's asyncio.subprocess.Process. A handle: copies share the child.
class Process {
public:
    int pid = 0;
    std::optional<StreamWriter> stdin;   // with stdin=PIPE
    std::optional<StreamReader> stdout;  // with stdout=PIPE
    std::optional<StreamReader> stderr;  // with stderr=PIPE

    // The exit status once the child was reaped: its exit code, or -N if signal N killed it. (A
    // method: Python's attribute changes by itself.)
    std::optional<int> returncode() const;
    // Waits for the child to exit; returns returncode. With stdout=PIPE, a child that writes
    // more than the pipe holds while nobody reads never exits: use communicate().
    Coro<int> wait();
    // Writes input to stdin (if it is a pipe) and closes it, reads stdout and stderr to their
    // end (those that are pipes, else nullopt), then waits for the exit. No deadlock however
    // much each side writes. A child that stops reading early is not an error (Python ignores
    // BrokenPipeError and ConnectionResetError here).
    Coro<std::pair<std::optional<std::string>, std::optional<std::string>>> communicate(
        std::optional<std::string> input = std::nullopt);

    // ProcessLookupError once the child has been reaped (its pid may be someone else's now).
    void send_signal(int sig);
    void terminate();  // SIGTERM
    void kill();       // SIGKILL

    explicit Process(std::shared_ptr<detail::ChildWatch> watch);

private:
    std::shared_ptr<detail::ChildWatch> watch_;
};

}  // namespace concurrence::asyncio::subprocess

namespace concurrence::asyncio {

// Runs program with args (argv[1:]); the program is looked up in PATH (the child's, if env
// gives one) unless it has a slash.
Coro<subprocess::Process> create_subprocess_exec(std::string program, std::vector<std::string> args = {},
                                                 subprocess::Options options = {});
namespace detail {
template <class Arg>
inline constexpr bool is_exec_argument_v =
    std::is_convertible_v<Arg, std::string_view> || std::is_same_v<std::decay_t<Arg>, subprocess::Options>;
template <class Arg>
void add_exec_argument(std::vector<std::string>& args, subprocess::Options& options, Arg&& arg) {
    if constexpr (std::is_same_v<std::decay_t<Arg>, subprocess::Options>)
        options = std::forward<Arg>(arg);
    else
        args.emplace_back(std::string_view(arg));
}
}  // namespace detail

// Python's *args form: create_subprocess_exec("echo", "hello", "world"), with the options last
// if any: create_subprocess_exec("ls", "-l", subprocess::Options{.stdout = PIPE}).
template <class... Args>
requires(sizeof...(Args) > 0 && (detail::is_exec_argument_v<Args> &&
                                 ...)) Coro<subprocess::Process> create_subprocess_exec(std::string program,
                                                                                        Args&&... args) {
    std::vector<std::string> argv;
    subprocess::Options options;
    (detail::add_exec_argument(argv, options, std::forward<Args>(args)), ...);
    return create_subprocess_exec(std::move(program), std::move(argv), std::move(options));
}
// Runs cmd with /bin/sh -c.
Coro<subprocess::Process> create_subprocess_shell(std::string cmd, subprocess::Options options = {});

}  // namespace concurrence::asyncio
