// asyncio.create_subprocess_exec / create_subprocess_shell: the pipes (socket pairs), the
// spawn, the watch, then a stream per pipe.
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "concurrence/base/errors.hpp"
#include "concurrence/base/os_error.hpp"
#include "concurrence/net/endpoints.hpp"
#include "concurrence/net/socket.hpp"
#include "concurrence/process/subprocess.hpp"
#include "process/child_watch.hpp"
#include "process/owned_fd.hpp"
#include "process/spawn.hpp"
#include "streams/writer_state.hpp"

namespace concurrence::asyncio {

namespace {

using subprocess::Options;
using subprocess::Stdio;

using subprocess::detail::OwnedFd;

// The parent's ends of the pipes, and what the child gets.
struct Plumbing {
    std::optional<net::Socket> parent[3];
    OwnedFd child_owned[3];
};

// One of stdin/stdout/stderr (index i): sets plan.stdio[i] and, for PIPE, the parent's end.
void plumb(int i, const std::optional<Stdio>& choice, Plumbing& pipes, subprocess::detail::SpawnPlan& plan) {
    if (!choice) return;  // inherited
    static constexpr const char* names[3] = {"stdin", "stdout", "stderr"};
    if (*choice == subprocess::PIPE) {
        auto [ours, theirs] = net::socketpair(AF_UNIX, SOCK_STREAM);
        ours.setblocking(false);
        plan.stdio[i] = theirs.fileno();
        pipes.child_owned[i] = OwnedFd(theirs.detach());
        pipes.parent[i] = std::move(ours);
    } else if (*choice == subprocess::DEVNULL) {
        const int fd = ::open("/dev/null", (i == 0 ? O_RDONLY : O_WRONLY) | O_CLOEXEC);
        if (fd < 0) throw_os_error(errno, "/dev/null");
        pipes.child_owned[i] = OwnedFd(fd);
        plan.stdio[i] = fd;
    } else if (*choice == subprocess::STDOUT) {
        if (i != 2) throw ValueError(std::string("STDOUT can only be used for stderr, not ") + names[i]);
        plan.stderr_to_stdout = true;
    } else if (choice->fd >= 0) {
        plan.stdio[i] = choice->fd;
    } else {
        throw ValueError(std::string("invalid ") + names[i] + ": " + std::to_string(choice->fd));
    }
}

// A stream over the parent's end of a pipe (the same transport and protocol as a connection).
Coro<std::shared_ptr<StreamReaderProtocol>> connect_pipe(EventLoop& loop, net::Socket end, std::size_t limit,
                                                           std::shared_ptr<Transport>& transport) {
    auto factory = [&loop, limit] { return std::make_shared<StreamReaderProtocol>(loop, StreamReader(limit)); };
    net::ConnectionOptions options{.sock = std::move(end)};
    auto made = co_await loop.create_unix_connection(std::move(factory), "", std::move(options));
    transport = std::move(made.first);
    co_return std::move(made.second);
}

Coro<subprocess::Process> start_process(subprocess::detail::SpawnPlan plan, Options options) {
    EventLoop& loop = get_running_loop();
    (void)StreamReader(options.limit);  // a bad limit: ValueError before anything starts
    Plumbing pipes;
    plumb(0, options.stdin, pipes, plan);
    plumb(1, options.stdout, pipes, plan);
    plumb(2, options.stderr, pipes, plan);
    plan.pass_fds = options.pass_fds;
    plan.start_new_session = options.start_new_session;
    plan.process_group = options.process_group.value_or(-1);
    if (options.cwd) plan.cwd = options.cwd;
    if (options.env) {
        std::vector<std::string> env;
        for (const auto& [name, value] : *options.env) {
            if (name.empty() || name.find('=') != std::string::npos)
                throw ValueError("illegal environment variable name");
            env.push_back(name + "=" + value);
        }
        plan.env = std::move(env);
    }

    const pid_t pid = subprocess::detail::spawn(plan);
    for (OwnedFd& fd : pipes.child_owned) fd = OwnedFd();  // the child has its copies
    std::shared_ptr<subprocess::detail::ChildWatch> watch;
    try {
        watch = subprocess::detail::ChildWatch::start(loop, pid);
    } catch (...) {
        subprocess::detail::kill_and_reap(pid);
        throw;
    }
    subprocess::Process proc(watch);

    // The streams. If this fails or is cancelled, the child is killed and reaped before the
    // error goes on (Python's _make_subprocess_transport).
    std::exception_ptr failed;
    try {
        for (int i = 0; i < 3; ++i) {
            if (!pipes.parent[i]) continue;
            std::shared_ptr<Transport> transport;
            auto protocol = co_await connect_pipe(loop, std::move(*pipes.parent[i]), options.limit, transport);
            if (i == 0)
                proc.stdin.emplace(std::make_shared<detail::WriterState>(std::move(transport), std::move(protocol)));
            else if (i == 1)
                proc.stdout.emplace(protocol->reader());
            else
                proc.stderr.emplace(protocol->reader());
        }
    } catch (...) {
        failed = std::current_exception();
    }
    if (failed) {
        // The watch reaps it (or the loop's close does).
        if (!proc.returncode()) ::kill(pid, SIGKILL);
        std::rethrow_exception(failed);
    }
    co_return proc;
}

}  // namespace

Coro<subprocess::Process> create_subprocess_exec(std::string program, std::vector<std::string> args, Options options) {
    subprocess::detail::SpawnPlan plan;
    plan.executable = options.executable.value_or(program);
    plan.argv.reserve(args.size() + 1);
    plan.argv.push_back(std::move(program));
    for (std::string& arg : args) plan.argv.push_back(std::move(arg));
    return start_process(std::move(plan), std::move(options));
}

Coro<subprocess::Process> create_subprocess_shell(std::string cmd, Options options) {
    subprocess::detail::SpawnPlan plan;
    plan.executable = options.executable.value_or("/bin/sh");
    plan.argv = {plan.executable, "-c", std::move(cmd)};
    return start_process(std::move(plan), std::move(options));
}

}  // namespace concurrence::asyncio
