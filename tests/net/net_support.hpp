// Helpers shared by the network tests.
#pragma once

#include <concurrence/asyncio.hpp>

#include "open_fds.hpp"
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <exception>
#include <string>
#include <vector>
#include <typeinfo>

namespace net_tests {

namespace asyncio = concurrence::asyncio;
namespace net = concurrence::net;

using test_support::open_fd_count;

// A listening TCP socket on 127.0.0.1 and a free port, non-blocking.
inline net::Socket listener(int backlog = 16) {
    net::Socket s(AF_INET, SOCK_STREAM);
    s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
    s.bind({"127.0.0.1", 0});
    s.listen(backlog);
    s.setblocking(false);
    return s;
}

// The descriptor's flags, as the kernel has them.
inline bool fd_is_cloexec(int fd) {
    const int flags = ::fcntl(fd, F_GETFD);
    return flags >= 0 && (flags & FD_CLOEXEC) != 0;
}
inline bool fd_is_nonblocking(int fd) {
    const int flags = ::fcntl(fd, F_GETFL);
    return flags >= 0 && (flags & O_NONBLOCK) != 0;
}
// True while fd is an open descriptor of this process.
inline bool fd_is_open(int fd) { return ::fcntl(fd, F_GETFD) >= 0 || errno != EBADF; }

// n bytes that do not repeat with any short period (a misplaced chunk changes the content).
inline std::string pattern_bytes(std::size_t n) {
    std::string out(n, '\0');
    std::uint32_t x = 2463534242u;
    for (std::size_t i = 0; i < n; ++i) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out[i] = static_cast<char>(x & 0xff);
    }
    return out;
}

// One iteration of a loop that is not running (CPython's test_utils.run_once): what is ready
// now runs, polling without blocking.
inline void run_one_iteration(asyncio::EventLoop& loop) {
    loop.call_soon([&loop] { loop.stop(); });
    loop.run_forever();
}

// What an exception is, in a word a test can compare: "ValueError", "gaierror -2",
// "OSError 9" (the errno), ... and "ok" for none.
inline std::string describe_outcome(const std::exception_ptr& e) {
    if (!e) return "ok";
    try {
        std::rethrow_exception(e);
    } catch (const concurrence::ValueError&) {
        return "ValueError";
    } catch (const concurrence::OverflowError&) {
        return "OverflowError";
    } catch (const concurrence::RuntimeError&) {
        return "RuntimeError";
    } catch (const net::gaierror& g) {
        return "gaierror " + std::to_string(g.errno_code());
    } catch (const concurrence::OSError& o) {
        return "OSError " + std::to_string(o.errno_code());
    } catch (const asyncio::CancelledError&) {
        return "CancelledError";
    } catch (const std::exception& other) {
        return std::string("other: ") + other.what();
    } catch (...) {
        return "unknown";
    }
}

// Awaits op and says how it ended (see describe_outcome).
template <class T>
asyncio::Coro<std::string> outcome_of(asyncio::Coro<T> op) {
    std::exception_ptr error;
    try {
        co_await std::move(op);
    } catch (...) {
        error = std::current_exception();
    }
    co_return describe_outcome(error);
}

// Reads what a non-blocking socket has now, without waiting.
inline std::string drain_now(net::Socket& sock) {
    std::string out;
    for (;;) {
        try {
            std::string chunk = sock.recv(1 << 16);
            if (chunk.empty()) return out;
            out += chunk;
        } catch (const concurrence::BlockingIOError&) {
            return out;
        }
    }
}

// True if this machine can bind a socket to ::1.
inline bool ipv6_loopback_available() {
    try {
        net::Socket s(AF_INET6, SOCK_STREAM);
        s.bind({"::1", 0});
        return true;
    } catch (const concurrence::OSError&) {
        return false;
    }
}

// A loop for one test that records what reaches its exception handler, and at the end runs
// one more iteration and closes (CPython's tearDown: run_briefly, then close).
struct RecordingLoop {
    asyncio::EventLoop loop;
    std::vector<std::string> messages;
    std::vector<std::string> exceptions;  // describe_outcome of each
    RecordingLoop() {
        loop.set_exception_handler([this](asyncio::EventLoop&, const asyncio::ExceptionContext& c) {
            messages.push_back(c.message);
            exceptions.push_back(describe_outcome(c.exception));
        });
    }
    RecordingLoop(const RecordingLoop&) = delete;
    RecordingLoop& operator=(const RecordingLoop&) = delete;
    ~RecordingLoop() {
        run_one_iteration(loop);
        loop.close();
    }
};

}  // namespace net_tests
