// Python's socket.socket, for the loop's sock_* operations, the transports and threads.
//
//   net::Socket sock(AF_INET, SOCK_STREAM);   // socket.socket(socket.AF_INET, socket.SOCK_STREAM)
//   sock.setblocking(false);
//   co_await loop.sock_connect(sock, {"127.0.0.1", 8888});
//
// The constants are the system's (AF_INET, SOCK_STREAM, SOL_SOCKET, ...), as Python's socket
// module exports them. A Socket owns its descriptor (close-on-exec, as Python's since 3.4) and
// closes it when destroyed; it is movable, not copyable. New sockets block, as Python's do:
// the loop's sock_* operations refuse a blocking socket (ValueError "the socket must be
// non-blocking", which Python only checks in debug mode: here it costs nothing).
// Errors throw OSError's subclass for the errno (ConnectionRefusedError, ...).
#pragma once

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "concurrence/base/os_error.hpp"
#include "concurrence/net/address.hpp"

namespace concurrence::net {

class Socket {
public:
    Socket() noexcept = default;
    explicit Socket(int family, int type = SOCK_STREAM, int proto = 0);
    // Python's socket.socket(fileno=fd): takes ownership of an open descriptor.
    static Socket adopt(int fd);
    // The same, trusting the caller for what adopt(fd) would ask the system (e.g. a descriptor
    // accept4() just returned).
    static Socket adopt(int fd, int family, int type, bool blocking, int proto = 0) noexcept;
    Socket(Socket&& other) noexcept;
    Socket& operator=(Socket&& other) noexcept;
    ~Socket() { close(); }

    int fileno() const noexcept { return fd_; }  // -1 once closed or detached
    bool is_open() const noexcept { return fd_ >= 0; }
    int family() const noexcept { return family_; }
    int type() const noexcept { return type_; }
    // Python's sock.proto: as given to the constructor (adopt(fd) asks the system).
    int proto() const noexcept { return proto_; }
    void close() noexcept;
    // Gives the descriptor up without closing it.
    int detach() noexcept;
    // Python's repr(sock): <socket.socket fd=3, family=2, type=1, proto=0, laddr=('0.0.0.0', 0)>.
    std::string repr() const;

    void setblocking(bool blocking);
    bool getblocking() const noexcept { return blocking_; }

    // Host names are resolved (blocking), as Python's socket does; "" binds any address.
    void bind(const Address& address);
    void listen(int backlog = 128);
    void connect(const Address& address);
    // errno instead of an exception (EINPROGRESS for a non-blocking socket).
    int connect_ex(const Address& address);
    // The new socket is blocking, as Python's accept() returns it (unless this one has a timeout).
    std::pair<Socket, Address> accept();
    std::string recv(std::size_t bufsize, int flags = 0);
    std::size_t recv_into(std::span<char> buffer, int flags = 0);
    std::pair<std::string, Address> recvfrom(std::size_t bufsize, int flags = 0);
    // Python's recvfrom_into(buffer, nbytes=0): up to nbytes (0: the buffer's size) into buffer;
    // ValueError("nbytes is greater than the length of the buffer").
    std::pair<std::size_t, Address> recvfrom_into(std::span<char> buffer, std::size_t nbytes = 0, int flags = 0);
    std::size_t send(std::string_view data, int flags = 0);
    void sendall(std::string_view data, int flags = 0);
    std::size_t sendto(std::string_view data, const Address& address, int flags = 0);
    void shutdown(int how);

    void setsockopt(int level, int option, int value);
    int getsockopt(int level, int option) const;
    Address getsockname() const;
    Address getpeername() const;

private:
    void check_open() const;
    // recvfrom(2) into [data, data + size): what recvfrom and recvfrom_into share.
    std::pair<std::size_t, Address> receive_from(char* data, std::size_t size, int flags);
    int fd_ = -1;
    int family_ = 0;
    int type_ = 0;
    int proto_ = 0;
    bool blocking_ = true;
};

// Python's socket.socketpair(): two connected sockets (blocking).
std::pair<Socket, Socket> socketpair(int family = AF_UNIX, int type = SOCK_STREAM, int proto = 0);

}  // namespace concurrence::net
