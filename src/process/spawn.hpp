// Starting a child with glibc's posix_spawn (vfork-like: the cost does not grow with this
// process's memory). A failed exec is the caller's exception, with the program or the cwd as
// its filename, never a child that exits 127 in silence.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace concurrence::asyncio::subprocess::detail {

struct SpawnPlan {
    std::vector<std::string> argv;                // argv[0] included
    std::string executable;                       // looked up in PATH unless it has a slash
    std::optional<std::vector<std::string>> env;  // "NAME=value"; nullopt: this process's
    std::optional<std::string> cwd;
    int stdio[3] = {-1, -1, -1};    // the descriptors that become 0, 1, 2 (-1: inherited)
    bool stderr_to_stdout = false;  // stderr=STDOUT: 2 is a copy of the child's 1
    std::vector<int> pass_fds;
    bool start_new_session = false;
    int process_group = -1;
};

// The child's pid. Throws the OSError subclass of the errno that stopped it (e.g.
// FileNotFoundError: [Errno 2] No such file or directory: 'prog'); no child is left.
pid_t spawn(const SpawnPlan& plan);

}  // namespace concurrence::asyncio::subprocess::detail
