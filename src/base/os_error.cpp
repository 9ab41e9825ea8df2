#include "concurrence/base/os_error.hpp"

#include <cerrno>
#include <cstring>

namespace concurrence {

namespace {
std::string errno_text(int code) {
    char buffer[256];
    // The GNU strerror_r: returns the message (maybe not in buffer). Thread-safe, unlike strerror.
    return ::strerror_r(code, buffer, sizeof buffer);
}

std::string standard_message(int code, const std::string& filename) {
    std::string text = "[Errno " + std::to_string(code) + "] " + errno_text(code);
    if (!filename.empty()) text += ": '" + filename + "'";
    return text;
}

template <class E>
std::exception_ptr make(int code, const std::string& message) {
    return std::make_exception_ptr(E(code, message, true));
}

// Python's errnomap (Objects/exceptions.c).
std::exception_ptr by_errno(int code, const std::string& message) {
    switch (code) {
        case EAGAIN:
#if EWOULDBLOCK != EAGAIN
        case EWOULDBLOCK:
#endif
        case EALREADY:
        case EINPROGRESS: return make<BlockingIOError>(code, message);
        case ECHILD: return make<ChildProcessError>(code, message);
        case EPIPE:
        case ESHUTDOWN: return make<BrokenPipeError>(code, message);
        case ECONNABORTED: return make<ConnectionAbortedError>(code, message);
        case ECONNREFUSED: return make<ConnectionRefusedError>(code, message);
        case ECONNRESET: return make<ConnectionResetError>(code, message);
        case EEXIST: return make<FileExistsError>(code, message);
        case ENOENT: return make<FileNotFoundError>(code, message);
        case EINTR: return make<InterruptedError>(code, message);
        case EISDIR: return make<IsADirectoryError>(code, message);
        case ENOTDIR: return make<NotADirectoryError>(code, message);
        case EACCES:
        case EPERM: return make<PermissionError>(code, message);
        case ESRCH: return make<ProcessLookupError>(code, message);
        case ETIMEDOUT: return make<TimeoutError>(code, message);
        default: return make<OSError>(code, message);
    }
}
}  // namespace

OSError::OSError(int errno_code, const std::string& filename)
    : std::runtime_error(standard_message(errno_code, filename)), errno_(errno_code) {}

std::string OSError::strerror() const { return errno_ ? errno_text(errno_) : std::string(); }

std::exception_ptr os_error(int errno_code, const std::string& filename) {
    return by_errno(errno_code, standard_message(errno_code, filename));
}

std::exception_ptr os_error_with_message(int errno_code, const std::string& message) {
    return by_errno(errno_code, message);
}

void throw_os_error(int errno_code, const std::string& filename) {
    std::rethrow_exception(os_error(errno_code, filename));
}

}  // namespace concurrence
