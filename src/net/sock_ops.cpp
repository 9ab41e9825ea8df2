// Python's selector_events sock_* operations: try the system call first; on EAGAIN, wait for
// readiness (add_reader/add_writer, removed once it fires or the wait is cancelled) and retry.
#include "concurrence/net/sock_ops.hpp"

#include <netdb.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include "concurrence/bridge/run_in_executor.hpp"
#include "concurrence/task/task.hpp"
#include "net/fd_ready.hpp"
#include "net/file_sending.hpp"
#include "net/sockaddr.hpp"

namespace concurrence::asyncio {

namespace {

void check_nonblocking(const net::Socket& sock) {
    if (!sock.is_open()) throw_os_error(EBADF);
    if (sock.getblocking()) throw ValueError("the socket must be non-blocking");
}

bool would_block(const OSError& e) { return e.errno_code() == EAGAIN || e.errno_code() == EWOULDBLOCK; }

// Waits until sock is readable (writable), as the operation that just said EAGAIN needs.
net::detail::FdReady ready(EventLoop& loop, const net::Socket& sock, bool writable) {
    loop.ensure_fd_no_transport(sock.fileno());
    return net::detail::FdReady(loop, sock.fileno(), writable);
}

}  // namespace

Coro<std::size_t> EventLoop::sock_recv_into(net::Socket& sock, std::span<char> buffer) {
    check_nonblocking(sock);
    for (;;) {
        try {
            co_return sock.recv_into(buffer);
        } catch (const BlockingIOError& e) {
            if (!would_block(e)) throw;
        }
        co_await ready(*this, sock, false);
    }
}

Coro<std::string> EventLoop::sock_recv(net::Socket& sock, std::size_t nbytes) {
    std::string data(nbytes, '\0');
    data.resize(co_await sock_recv_into(sock, std::span<char>(data)));
    co_return data;
}

Coro<std::pair<std::string, net::Address>> EventLoop::sock_recvfrom(net::Socket& sock, std::size_t bufsize) {
    check_nonblocking(sock);
    for (;;) {
        try {
            co_return sock.recvfrom(bufsize);
        } catch (const BlockingIOError& e) {
            if (!would_block(e)) throw;
        }
        co_await ready(*this, sock, false);
    }
}

Coro<std::pair<std::size_t, net::Address>> EventLoop::sock_recvfrom_into(net::Socket& sock, std::span<char> buffer,
                                                                         std::size_t nbytes) {
    check_nonblocking(sock);
    for (;;) {
        try {
            co_return sock.recvfrom_into(buffer, nbytes);
        } catch (const BlockingIOError& e) {
            if (!would_block(e)) throw;
        }
        co_await ready(*this, sock, false);
    }
}

Coro<void> EventLoop::sock_sendall(net::Socket& sock, std::string data) {
    check_nonblocking(sock);
    std::string_view left = data;
    while (!left.empty()) {
        try {
            left.remove_prefix(sock.send(left));
            continue;
        } catch (const BlockingIOError& e) {
            if (!would_block(e)) throw;
        }
        co_await ready(*this, sock, true);
    }
}

Coro<std::size_t> EventLoop::sock_sendto(net::Socket& sock, std::string data, net::Address address) {
    check_nonblocking(sock);
    for (;;) {
        try {
            co_return sock.sendto(data, address);
        } catch (const BlockingIOError& e) {
            if (!would_block(e)) throw;
        }
        co_await ready(*this, sock, true);
    }
}

Coro<void> EventLoop::sock_connect(net::Socket& sock, net::Address address) {
    check_nonblocking(sock);
    if (sock.family() == AF_INET || sock.family() == AF_INET6) {
        // A host name is resolved off the loop (Python's _ensure_resolved).
        net::detail::RawAddress raw;
        if (!net::detail::to_raw_numeric(address, sock.family(), raw)) {
            auto infos = co_await getaddrinfo(address.host, address.port, sock.family(), sock.type());
            if (infos.empty()) throw net::gaierror(EAI_NONAME);
            address = infos.front().address;
        }
    }
    const int err = sock.connect_ex(address);
    if (err == 0) co_return;
    // Python catches BlockingIOError (EINPROGRESS, EAGAIN, EALREADY: an earlier attempt, e.g.
    // a cancelled sock_connect, still in progress) and InterruptedError, and waits.
    if (err != EINPROGRESS && err != EAGAIN && err != EALREADY && err != EINTR) throw_os_error(err);
    co_await ready(*this, sock, true);
    if (const int so_error = sock.getsockopt(SOL_SOCKET, SO_ERROR))
        std::rethrow_exception(
            os_error_with_message(so_error, "[Errno " + std::to_string(so_error) + "] Connect call failed " + address.repr()));
}

Coro<std::pair<net::Socket, net::Address>> EventLoop::sock_accept(net::Socket& sock) {
    check_nonblocking(sock);
    for (;;) {
        try {
            auto accepted = sock.accept();
            accepted.first.setblocking(false);
            co_return accepted;
        } catch (const BlockingIOError& e) {
            if (!would_block(e)) throw;
        }
        co_await ready(*this, sock, false);
    }
}

namespace {

// Python's SENDFILE_FALLBACK_READBUFFER_SIZE.
constexpr std::size_t fallback_read_size = 256 * 1024;

// Python's _sock_sendfile_native (unix_events): waits for the socket after each chunk.
Coro<std::size_t> sendfile_native(EventLoop& loop, net::Socket& sock, int file, std::int64_t offset,
                                  std::optional<std::int64_t> count) {
    auto wait_writable = [&loop, &sock](bool) { return ready(loop, sock, true); };
    co_return co_await net::detail::sendfile_chunks(sock.fileno(), file, offset, count, wait_writable);
}

// Python's _sock_sendfile_fallback: reads of 256 KiB and sock_sendall.
Coro<std::size_t> sendfile_fallback(EventLoop& loop, net::Socket& sock, int file, std::int64_t offset,
                                    std::optional<std::int64_t> count) {
    auto send_chunk = [&loop, &sock](std::string_view data) { return loop.sock_sendall(sock, std::string(data)); };
    co_return co_await net::detail::sendfile_by_reading(loop, file, offset, count, fallback_read_size, send_chunk);
}

}  // namespace

Coro<std::size_t> EventLoop::sock_sendfile(net::Socket& sock, int file, std::int64_t offset,
                                           std::optional<std::int64_t> count, bool fallback) {
    check_nonblocking(sock);
    if (sock.type() != SOCK_STREAM) throw ValueError("only SOCK_STREAM type sockets are supported");
    net::detail::check_sendfile_params(offset, count);
    try {
        co_return co_await sendfile_native(*this, sock, file, offset, count);
    } catch (const SendfileNotAvailableError&) {
        if (!fallback) throw;
    }
    co_return co_await sendfile_fallback(*this, sock, file, offset, count);
}

// The blocking calls go to the executor as a function and copied arguments, not as a lambda
// temporary: g++ 12 copies a capturing lambda that is a temporary of a co_await expression
// byte by byte (its std::string captures then point into the coroutine frame).
Coro<std::vector<net::AddrInfo>> EventLoop::getaddrinfo(std::string host, std::string port, int family, int type,
                                                        int proto, int flags) {
    using Resolve = std::vector<net::AddrInfo> (*)(const std::string&, const std::string&, int, int, int, int);
    co_return co_await run_in_executor(nullptr, static_cast<Resolve>(&net::getaddrinfo), std::move(host),
                                       std::move(port), family, type, proto, flags);
}

Coro<std::vector<net::AddrInfo>> EventLoop::getaddrinfo(std::string host, int port, int family, int type, int proto,
                                                        int flags) {
    using Resolve = std::vector<net::AddrInfo> (*)(const std::string&, int, int, int, int, int);
    co_return co_await run_in_executor(nullptr, static_cast<Resolve>(&net::getaddrinfo), std::move(host), port, family,
                                       type, proto, flags);
}

Coro<std::pair<std::string, std::string>> EventLoop::getnameinfo(net::Address address, int flags) {
    co_return co_await run_in_executor(nullptr, &net::getnameinfo, std::move(address), flags);
}

}  // namespace concurrence::asyncio
