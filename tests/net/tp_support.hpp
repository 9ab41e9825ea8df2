// Helpers of the transport and server tests (test_transport*.cpp, test_server.cpp, ...): a protocol
// that records its callbacks, waits bounded by a generous limit (never asserted as a time),
// and raw peer sockets.
#pragma once

#include <gtest/gtest.h>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "net_support.hpp"
#include "semantic/support.hpp"

namespace tp_support {

using namespace net_tests;

// Records every callback, in order. "data" is recorded once per run of data_received calls.
class TpRecorder : public asyncio::Protocol {
public:
    std::vector<std::string> events;
    std::string received;
    asyncio::Transport* transport = nullptr;  // valid from connection_made until connection_lost
    std::exception_ptr lost_exc;
    bool lost = false;
    int lost_calls = 0;
    bool keep_open_on_eof = false;
    bool data_before_made = false;
    int data_calls = 0;
    int pauses = 0;
    int resumes = 0;
    std::size_t size_at_pause = 0;
    std::size_t size_at_resume = 0;

    void connection_made(asyncio::Transport& t) override {
        transport = &t;
        events.push_back("made");
    }
    void data_received(std::string_view data) override {
        if (!transport) data_before_made = true;
        if (events.empty() || events.back() != "data") events.push_back("data");
        received += data;
        ++data_calls;
    }
    bool eof_received() override {
        events.push_back("eof");
        return keep_open_on_eof;
    }
    void pause_writing() override {
        ++pauses;
        size_at_pause = transport ? transport->get_write_buffer_size() : 0;
        events.push_back("pause");
    }
    void resume_writing() override {
        ++resumes;
        size_at_resume = transport ? transport->get_write_buffer_size() : 0;
        events.push_back("resume");
    }
    void connection_lost(std::exception_ptr exc) override {
        lost = true;
        ++lost_calls;
        lost_exc = exc;
        transport = nullptr;
        events.push_back(exc ? "lost:error" : "lost");
    }
};

inline std::shared_ptr<TpRecorder> tp_make_recorder() { return std::make_shared<TpRecorder>(); }

// Every scenario runs in its own asyncio::run and must leave no descriptor behind.
template <class Scenario>
void tp_run_checked(Scenario scenario) {
    const int fds_before = open_fd_count();
    asyncio::run(scenario());
    EXPECT_EQ(open_fd_count(), fds_before);
}

// Cancels the task and awaits its end: true if it ended cancelled.
template <class T>
asyncio::Coro<bool> tp_cancel_and_wait(asyncio::Task<T> task) {
    task.cancel();
    bool cancelled = false;
    try {
        co_await task;
    } catch (const asyncio::CancelledError&) {
        cancelled = true;
    }
    co_return cancelled;
}

// A pipe's two descriptors (close-on-exec), closed at the end of the scope unless given away.
struct TpPipe {
    int read = -1;
    int write = -1;
    TpPipe() {
        int fds[2];
        EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
        read = fds[0];
        write = fds[1];
    }
    TpPipe(const TpPipe&) = delete;
    TpPipe& operator=(const TpPipe&) = delete;
    ~TpPipe() {
        if (read >= 0) ::close(read);
        if (write >= 0) ::close(write);
    }
    int give_read() { return std::exchange(read, -1); }
    int give_write() { return std::exchange(write, -1); }
    void close_read() { ::close(give_read()); }
    void close_write() { ::close(give_write()); }
};

// A temporary regular file holding `content`, removed (and closed) at the end.
class TpTempFile {
public:
    explicit TpTempFile(const std::string& content) {
        char name[] = "/tmp/concurrence-sendfile-XXXXXX";
        fd_ = ::mkstemp(name);
        path_ = name;
        EXPECT_GE(fd_, 0);
        EXPECT_EQ(::write(fd_, content.data(), content.size()), static_cast<ssize_t>(content.size()));
        ::lseek(fd_, 0, SEEK_SET);
    }
    TpTempFile(const TpTempFile&) = delete;
    TpTempFile& operator=(const TpTempFile&) = delete;
    ~TpTempFile() {
        ::close(fd_);
        ::unlink(path_.c_str());
    }
    int fd() const { return fd_; }
    std::int64_t position() const { return ::lseek(fd_, 0, SEEK_CUR); }

private:
    int fd_ = -1;
    std::string path_;
};

// Echoes what it receives; counts the connections it served.
class TpEcho : public asyncio::Protocol {
public:
    asyncio::Transport* transport = nullptr;
    void connection_made(asyncio::Transport& t) override { transport = &t; }
    void data_received(std::string_view data) override { transport->write(data); }
};

// What the loop's exception handler was given. Shared: the handler may outlive a coroutine.
struct TpHandlerLog {
    std::vector<std::string> messages;
    std::vector<std::exception_ptr> exceptions;
};

inline std::shared_ptr<TpHandlerLog> tp_capture_handler(asyncio::EventLoop& loop) {
    auto log = std::make_shared<TpHandlerLog>();
    loop.set_exception_handler([log](asyncio::EventLoop&, const asyncio::ExceptionContext& context) {
        log->messages.push_back(context.message);
        log->exceptions.push_back(context.exception);
    });
    return log;
}

// Lets the loop run until pred() holds, or until `limit` seconds went by (a failure the test
// reports; the limit is far above what a loaded machine needs).
inline asyncio::Coro<bool> tp_wait_until(std::function<bool()> pred, double limit = 20.0) {
    auto& loop = asyncio::get_running_loop();
    const double end = loop.time() + limit;
    while (!pred()) {
        if (loop.time() > end) co_return false;
        co_await asyncio::sleep(0.001);
    }
    co_return true;
}

inline asyncio::Coro<bool> tp_wait_lost(std::shared_ptr<TpRecorder> rec) {
    std::function<bool()> pred = [rec] { return rec->lost; };
    co_return co_await tp_wait_until(std::move(pred));
}

inline asyncio::Coro<bool> tp_wait_received(std::shared_ptr<TpRecorder> rec, std::size_t n) {
    std::function<bool()> pred = [rec, n] { return rec->received.size() >= n; };
    co_return co_await tp_wait_until(std::move(pred));
}

// A few loop iterations, letting what is ready now (and the kernel's loopback) happen.
inline asyncio::Coro<> tp_spin(int iterations = 20) {
    for (int i = 0; i < iterations; ++i) co_await asyncio::sleep(0);
    co_await asyncio::sleep(0.02);
    for (int i = 0; i < iterations; ++i) co_await asyncio::sleep(0);
}

// A TCP listener on 127.0.0.1 whose accepted sockets have a small receive buffer (set before
// listen, so the window is small from the start): a big write then stays in the sender's buffer.
inline net::Socket tp_small_listener() {
    net::Socket s(AF_INET, SOCK_STREAM);
    s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
    s.setsockopt(SOL_SOCKET, SO_RCVBUF, 32 * 1024);
    s.bind({"127.0.0.1", 0});
    s.listen(16);
    s.setblocking(false);
    return s;
}

// A transport connected to a raw socket (the peer, non-blocking) that the test drives.
struct TpConn {
    std::shared_ptr<asyncio::Transport> transport;
    std::shared_ptr<TpRecorder> proto;
    net::Socket peer;
};

inline asyncio::Coro<TpConn> tp_connect(std::function<std::shared_ptr<TpRecorder>()> factory = tp_make_recorder) {
    auto& loop = asyncio::get_running_loop();
    net::Socket lst = tp_small_listener();
    const int port = lst.getsockname().port;
    auto [transport, proto] = co_await loop.create_connection(std::move(factory), "127.0.0.1", port);
    auto [peer, addr] = co_await loop.sock_accept(lst);
    // A small send buffer too: what the peer does not read stays in the transport's buffer.
    if (auto fd = transport->get_extra_info<int>("socket")) {
        const int size = 32 * 1024;
        ::setsockopt(*fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    }
    TpConn conn;
    conn.transport = transport;
    conn.proto = proto;
    conn.peer = std::move(peer);
    co_return conn;
}

// Pauses reading, lets the peer send `tail` and its EOF, then resumes: the EOF must not be seen
// while paused. Returns whether connection_lost came after the resume.
inline asyncio::Coro<bool> tp_end_while_paused(TpConn& c, const char* tail) {
    auto& loop = asyncio::get_running_loop();
    c.transport->pause_reading();
    if (*tail) co_await loop.sock_sendall(c.peer, tail);
    c.peer.shutdown(SHUT_WR);
    co_await tp_spin();
    EXPECT_FALSE(c.proto->lost);
    c.transport->resume_reading();
    co_return co_await tp_wait_lost(c.proto);
}

// Everything the peer gets until EOF (or an error: then what came before it).
inline asyncio::Coro<std::string> tp_recv_all(net::Socket& sock) {
    auto& loop = asyncio::get_running_loop();
    std::string got;
    try {
        for (;;) {
            std::string chunk = co_await loop.sock_recv(sock, 1 << 16);
            if (chunk.empty()) break;
            got += chunk;
        }
    } catch (const concurrence::OSError&) {
    }
    co_return got;
}

inline asyncio::Coro<std::string> tp_recv_exactly(net::Socket& sock, std::size_t n) {
    auto& loop = asyncio::get_running_loop();
    std::string got;
    while (got.size() < n) {
        std::string chunk = co_await loop.sock_recv(sock, n - got.size());
        if (chunk.empty()) break;
        got += chunk;
    }
    co_return got;
}

inline std::string tp_what(const std::exception_ptr& e) { return semantic::what_of(e); }

inline int tp_errno_of(const std::exception_ptr& e) {
    try {
        if (e) std::rethrow_exception(e);
    } catch (const concurrence::OSError& o) {
        return o.errno_code();
    } catch (...) {
    }
    return 0;
}

// How a task ended, in describe_outcome's words.
template <class T>
asyncio::Coro<std::string> tp_task_outcome(asyncio::Task<T> task) {
    std::exception_ptr error;
    try {
        co_await task;
    } catch (...) {
        error = std::current_exception();
    }
    co_return describe_outcome(error);
}

// A socket path of its own under /tmp, removed by the destructor.
struct TpSocketPath {
    std::string path;
    TpSocketPath() {
        static std::atomic<int> counter{0};
        path = "/tmp/concurrence_tp_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + ".sock";
        ::unlink(path.c_str());
    }
    ~TpSocketPath() { ::unlink(path.c_str()); }
    TpSocketPath(const TpSocketPath&) = delete;
    TpSocketPath& operator=(const TpSocketPath&) = delete;
};

inline bool tp_path_exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

}  // namespace tp_support
