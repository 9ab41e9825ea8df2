// Python's OSError and the subclasses a program catches by name.
//
//   try { co_await asyncio::open_connection("127.0.0.1", 1); }
//   catch (const ConnectionRefusedError& e) { e.errno_code(); e.what(); }
//   // what(): "[Errno 111] Connect call failed ('127.0.0.1', 1)"
//
// os_error(errno) builds the subclass Python would raise for that errno (its
// PyErr_SetFromErrno table), so `catch (const ConnectionResetError&)` works as
// `except ConnectionResetError:` does.
#pragma once

#include <exception>
#include <stdexcept>
#include <string>

namespace concurrence {

class OSError : public std::runtime_error {
public:
    // "[Errno N] strerror(N)", or "[Errno N] strerror(N): 'filename'" as Python's str().
    explicit OSError(int errno_code, const std::string& filename = {});
    // An explicit message, e.g. Python's "[Errno 111] Connect call failed ('::1', 80)".
    OSError(int errno_code, const std::string& message, bool /*message_is_whole*/)
        : std::runtime_error(message), errno_(errno_code) {}
    // Python's OSError("message"): errno None (0 here).
    explicit OSError(const std::string& message) : std::runtime_error(message) {}
    int errno_code() const noexcept { return errno_; }
    std::string strerror() const;

private:
    int errno_ = 0;
};

// Python's subclasses, by the errno that selects them (see os_error()).
class BlockingIOError : public OSError { public: using OSError::OSError; };
class ChildProcessError : public OSError { public: using OSError::OSError; };
class ConnectionError : public OSError { public: using OSError::OSError; };
class BrokenPipeError : public ConnectionError { public: using ConnectionError::ConnectionError; };
class ConnectionAbortedError : public ConnectionError { public: using ConnectionError::ConnectionError; };
class ConnectionRefusedError : public ConnectionError { public: using ConnectionError::ConnectionError; };
class ConnectionResetError : public ConnectionError { public: using ConnectionError::ConnectionError; };
class FileExistsError : public OSError { public: using OSError::OSError; };
class FileNotFoundError : public OSError { public: using OSError::OSError; };
class InterruptedError : public OSError { public: using OSError::OSError; };
class IsADirectoryError : public OSError { public: using OSError::OSError; };
class NotADirectoryError : public OSError { public: using OSError::OSError; };
class PermissionError : public OSError { public: using OSError::OSError; };
class ProcessLookupError : public OSError { public: using OSError::OSError; };

// Python's TimeoutError is an OSError too (errno ETIMEDOUT when the system reported it).
class TimeoutError : public OSError {
public:
    TimeoutError() : OSError(std::string()) {}
    explicit TimeoutError(const std::string& message) : OSError(message) {}
    TimeoutError(int errno_code, const std::string& message, bool whole) : OSError(errno_code, message, whole) {}
    explicit TimeoutError(int errno_code) : OSError(errno_code) {}
};

// The exception Python raises for errno_code (OSError's subclass by errno), as a pointer.
std::exception_ptr os_error(int errno_code, const std::string& filename = {});
// With Python's whole message, e.g. "[Errno 111] Connect call failed ('127.0.0.1', 1)".
std::exception_ptr os_error_with_message(int errno_code, const std::string& message);
[[noreturn]] void throw_os_error(int errno_code, const std::string& filename = {});

}  // namespace concurrence
