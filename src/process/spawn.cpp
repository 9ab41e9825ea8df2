#include "process/spawn.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <string_view>

#include "concurrence/base/os_error.hpp"

extern char** environ;

namespace concurrence::asyncio::subprocess::detail {

namespace {

// What the child reports before it gives up: the step, and its errno.
enum class Stage : int { setup = 1, chdir = 2, exec = 3 };
struct ChildFailure {
    Stage stage;
    int err;
};

// Python's os.get_exec_path(env): the PATH of the child's environment, else ours, else
// os.defpath. An empty entry is the current directory.
std::vector<std::string> candidates(const SpawnPlan& plan) {
    if (plan.executable.find('/') != std::string::npos) return {plan.executable};
    std::string path = "/bin:/usr/bin";
    if (plan.env) {
        for (const std::string& entry : *plan.env)
            if (std::string_view(entry).starts_with("PATH=")) path = entry.substr(5);
    } else if (const char* ours = std::getenv("PATH")) {
        path = ours;
    }
    std::vector<std::string> out;
    std::size_t start = 0;
    for (;;) {
        const std::size_t end = path.find(':', start);
        std::string dir = path.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (dir.empty()) dir = ".";
        dir.append("/").append(plan.executable);
        out.push_back(std::move(dir));
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return out;
}

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
    std::vector<char*> out;
    out.reserve(strings.size() + 1);
    for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));
    out.push_back(nullptr);
    return out;
}

// ---- in the child, between fork and exec: async-signal-safe calls only

[[noreturn]] void fail(int report_fd, Stage stage) {
    const ChildFailure failure{stage, errno};
    const char* p = reinterpret_cast<const char*>(&failure);
    std::size_t left = sizeof failure;
    while (left > 0) {
        const ssize_t n = ::write(report_fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        p += n;
        left -= static_cast<std::size_t>(n);
    }
    ::_exit(255);
}

// Everything from 3 up becomes close-on-exec, then pass_fds are inherited again.
bool close_others_on_exec(const std::vector<int>& pass_fds, int max_fd) {
#ifdef SYS_close_range
    constexpr unsigned close_range_cloexec = 1u << 2;  // CLOSE_RANGE_CLOEXEC (Linux 5.11)
    if (::syscall(SYS_close_range, 3u, ~0u, close_range_cloexec) != 0)
#endif
    {
        for (int fd = 3; fd < max_fd; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    for (int fd : pass_fds)
        if (::fcntl(fd, F_SETFD, 0) != 0) return false;
    return true;
}

[[noreturn]] void run_child(const SpawnPlan& plan, int report_fd, const std::vector<char*>& argv, char* const* envp,
                            const std::vector<std::string>& programs, int max_fd) {
    // Signals: Python's restore_signals (SIGPIPE and SIGXFSZ back to their default action).
    ::signal(SIGPIPE, SIG_DFL);
    ::signal(SIGXFSZ, SIG_DFL);
    if (plan.start_new_session && ::setsid() < 0) fail(report_fd, Stage::setup);
    if (plan.process_group >= 0 && ::setpgid(0, plan.process_group) < 0) fail(report_fd, Stage::setup);

    // Standard descriptors: first out of the way of 0..2 (a source may be one of them), then
    // into place (dup2 clears close-on-exec on the copy).
    int source[3];
    for (int i = 0; i < 3; ++i) {
        source[i] = plan.stdio[i];
        if (source[i] >= 0 && source[i] < 3) {
            source[i] = ::fcntl(source[i], F_DUPFD_CLOEXEC, 3);
            if (source[i] < 0) fail(report_fd, Stage::setup);
        }
    }
    for (int i = 0; i < 3; ++i)
        if (source[i] >= 0 && ::dup2(source[i], i) < 0) fail(report_fd, Stage::setup);
    if (plan.stderr_to_stdout && ::dup2(1, 2) < 0) fail(report_fd, Stage::setup);
    if (!close_others_on_exec(plan.pass_fds, max_fd)) fail(report_fd, Stage::setup);

    if (plan.cwd && ::chdir(plan.cwd->c_str()) < 0) fail(report_fd, Stage::chdir);

    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    // Python's _posixsubprocess: try every PATH entry; report the first error that is not "not
    // there", else the last.
    int first_error = 0;
    for (const std::string& program : programs) {
        ::execve(program.c_str(), argv.data(), envp);
        if (errno != ENOENT && errno != ENOTDIR && first_error == 0) first_error = errno;
    }
    if (first_error) errno = first_error;
    fail(report_fd, Stage::exec);
}

}  // namespace

pid_t spawn(const SpawnPlan& plan) {
    // Everything the child needs is made here: after fork, it may not allocate.
    const std::vector<std::string> programs = candidates(plan);
    const std::vector<char*> argv = c_strings(plan.argv);
    std::vector<char*> env_storage;
    if (plan.env) env_storage = c_strings(*plan.env);
    char* const* envp = plan.env ? env_storage.data() : environ;
    rlimit limit{};
    const int max_fd = ::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY
                           ? static_cast<int>(std::min<rlim_t>(limit.rlim_cur, 1 << 20))
                           : 1 << 16;

    int report[2];
    if (::pipe2(report, O_CLOEXEC) < 0) throw_os_error(errno);
    // No signal handler may run in the child before it has set itself up.
    sigset_t all, previous;
    sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &previous);
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(report[0]);
        run_child(plan, report[1], argv, envp, programs, max_fd);
    }
    const int fork_errno = errno;
    ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    ::close(report[1]);
    if (pid < 0) {
        ::close(report[0]);
        throw_os_error(fork_errno);
    }

    ChildFailure failure{};
    std::size_t got = 0;
    while (got < sizeof failure) {
        const ssize_t n = ::read(report[0], reinterpret_cast<char*>(&failure) + got, sizeof failure - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
    }
    ::close(report[0]);
    if (got == 0) return pid;  // exec closed the pipe: the program runs

    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (got < sizeof failure) throw OSError("the child process failed before exec without saying why");
    switch (failure.stage) {
        case Stage::chdir:
            throw_os_error(failure.err, *plan.cwd);
        case Stage::exec:
            throw_os_error(failure.err, plan.executable);  // Python's orig_executable
        case Stage::setup:
            break;
    }
    throw_os_error(failure.err);
}

}  // namespace concurrence::asyncio::subprocess::detail
