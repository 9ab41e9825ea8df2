#include "process/spawn.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <string_view>

#include "concurrence/base/os_error.hpp"
#include "process/owned_fd.hpp"

extern char** environ;

namespace concurrence::asyncio::subprocess::detail {

namespace {

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

// RAII for posix_spawn's two structures.
struct FileActions {
    posix_spawn_file_actions_t actions;
    FileActions() { ::posix_spawn_file_actions_init(&actions); }
    ~FileActions() { ::posix_spawn_file_actions_destroy(&actions); }
};
struct Attributes {
    posix_spawnattr_t attr;
    Attributes() { ::posix_spawnattr_init(&attr); }
    ~Attributes() { ::posix_spawnattr_destroy(&attr); }
};

void check(int rc) {
    if (rc != 0) throw_os_error(rc);
}

}  // namespace

// glibc's posix_spawn: clone(CLONE_VM | CLONE_VFORK), so the cost does not grow with the
// parent's memory (fork copies its page tables: a 1 GiB parent spawned 14 children a second,
// Python's vfork 900), and an exec that fails is its return value, not a child exiting 127.
pid_t spawn(const SpawnPlan& plan) {
    // A bad cwd is named in the error, as Python's: the child's chdir failing would only say
    // ENOENT, as a missing program does.
    if (plan.cwd) {
        struct stat st {};
        if (::stat(plan.cwd->c_str(), &st) != 0) throw_os_error(errno, *plan.cwd);
        if (!S_ISDIR(st.st_mode)) throw_os_error(ENOTDIR, *plan.cwd);
    }

    FileActions fa;
    // Standard descriptors: a source below 3 may be overwritten by an earlier dup2, so it
    // goes through a copy above 2 first.
    OwnedFd moved[3];
    for (int i = 0; i < 3; ++i) {
        int source = plan.stdio[i];
        if (source < 0) continue;
        if (source < 3) {
            moved[i] = OwnedFd(::fcntl(source, F_DUPFD_CLOEXEC, 3));
            if (moved[i].get() < 0) throw_os_error(errno);
            source = moved[i].get();
        }
        check(::posix_spawn_file_actions_adddup2(&fa.actions, source, i));
    }
    if (plan.stderr_to_stdout) check(::posix_spawn_file_actions_adddup2(&fa.actions, 1, 2));
    // close_fds=True: everything from 3 up is closed but pass_fds, which lose close-on-exec
    // (dup2 of a descriptor onto itself does that in glibc's posix_spawn).
    std::vector<int> kept = plan.pass_fds;
    std::sort(kept.begin(), kept.end());
    kept.erase(std::unique(kept.begin(), kept.end()), kept.end());
    int next = 3;
    for (int fd : kept) {
        if (fd < 3) continue;
        for (; next < fd; ++next) check(::posix_spawn_file_actions_addclose(&fa.actions, next));
        check(::posix_spawn_file_actions_adddup2(&fa.actions, fd, fd));
        next = fd + 1;
    }
    check(::posix_spawn_file_actions_addclosefrom_np(&fa.actions, next));
    if (plan.cwd) check(::posix_spawn_file_actions_addchdir_np(&fa.actions, plan.cwd->c_str()));

    // Signals: no blocked signal, SIGPIPE and SIGXFSZ back to their default action (Python's
    // restore_signals); glibc resets every caught signal to its default by itself.
    Attributes at;
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGXFSZ);
    check(::posix_spawnattr_setsigmask(&at.attr, &none));
    check(::posix_spawnattr_setsigdefault(&at.attr, &defaults));
    if (plan.start_new_session) flags |= POSIX_SPAWN_SETSID;
    if (plan.process_group >= 0) {
        flags |= POSIX_SPAWN_SETPGROUP;
        check(::posix_spawnattr_setpgroup(&at.attr, plan.process_group));
    }
    check(::posix_spawnattr_setflags(&at.attr, flags));

    const std::vector<char*> argv = c_strings(plan.argv);
    std::vector<char*> env_storage;
    if (plan.env) env_storage = c_strings(*plan.env);
    char* const* envp = plan.env ? env_storage.data() : environ;

    // Python's _posixsubprocess: try every PATH entry; report the first error that is not
    // "not there", else the last.
    int first_error = 0, last_error = ENOENT;
    for (const std::string& program : candidates(plan)) {
        // Each posix_spawn is a clone: PATH entries that do not have the program are passed
        // over here, not by a child each.
        if (::access(program.c_str(), F_OK) != 0 && (errno == ENOENT || errno == ENOTDIR)) continue;
        pid_t pid = 0;
        const int rc = ::posix_spawn(&pid, program.c_str(), &fa.actions, &at.attr, argv.data(), envp);
        if (rc == 0) return pid;
        last_error = rc;
        if (rc != ENOENT && rc != ENOTDIR && first_error == 0) first_error = rc;
    }
    throw_os_error(first_error ? first_error : last_error, plan.executable);  // Python's orig_executable
}

}  // namespace concurrence::asyncio::subprocess::detail
