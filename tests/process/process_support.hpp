// Helpers shared by the subprocess and signal tests.
#pragma once

#include <concurrence/asyncio.hpp>

#include "open_fds.hpp"
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <exception>
#include <string>

namespace process_tests {

namespace asyncio = concurrence::asyncio;
namespace subprocess = concurrence::asyncio::subprocess;

using test_support::open_fd_count;

// True if this process has a child that is not reaped (running or a zombie).
inline bool has_unreaped_children() {
    siginfo_t info{};
    return ::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == 0;
}

// True while pid is some process (running or a zombie nobody reaped).
inline bool pid_exists(pid_t pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

// The exception's what(), or "no exception".
template <class Exception>
std::string message_of(const std::exception_ptr& e) {
    if (!e) return "no exception";
    try {
        std::rethrow_exception(e);
    } catch (const Exception& x) {
        return x.what();
    } catch (const std::exception& x) {
        return std::string("other exception: ") + x.what();
    }
}

}  // namespace process_tests
