#include "concurrence/net/socket.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "concurrence/base/errors.hpp"
#include "net/retry_eintr.hpp"
#include "net/sockaddr.hpp"

namespace concurrence::net {

namespace {
[[noreturn]] void fail() { throw_os_error(errno); }

using detail::retry_eintr;
}  // namespace

Socket::Socket(int family, int type, int proto) : family_(family), type_(type), proto_(proto) {
    fd_ = ::socket(family, type | SOCK_CLOEXEC, proto);
    if (fd_ < 0) fail();
    blocking_ = !(type & SOCK_NONBLOCK);
    type_ = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
}

Socket Socket::adopt(int fd) {
    if (fd < 0) throw ValueError("negative file descriptor");
    Socket s;
    int value = 0;
    socklen_t length = sizeof value;
    if (::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &value, &length) < 0) fail();
    s.family_ = value;
    if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &value, &length) < 0) fail();
    s.type_ = value;
    if (::getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &value, &length) < 0) fail();
    s.proto_ = value;
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0) fail();
    s.blocking_ = !(flags & O_NONBLOCK);
    s.fd_ = fd;
    return s;
}

Socket Socket::adopt(int fd, int family, int type, bool blocking, int proto) noexcept {
    Socket s;
    s.fd_ = fd;
    s.family_ = family;
    s.type_ = type;
    s.proto_ = proto;
    s.blocking_ = blocking;
    return s;
}

Socket::Socket(Socket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      family_(other.family_),
      type_(other.type_),
      proto_(other.proto_),
      blocking_(other.blocking_) {}

Socket& Socket::operator=(Socket&& other) noexcept {
    if (this != &other) {
        close();
        fd_ = std::exchange(other.fd_, -1);
        family_ = other.family_;
        type_ = other.type_;
        proto_ = other.proto_;
        blocking_ = other.blocking_;
    }
    return *this;
}

void Socket::close() noexcept {
    if (fd_ >= 0) ::close(std::exchange(fd_, -1));  // never retried: Linux frees fd even on EINTR
}

int Socket::detach() noexcept { return std::exchange(fd_, -1); }

void Socket::check_open() const {
    if (fd_ < 0) throw_os_error(EBADF);  // Python: [Errno 9] Bad file descriptor
}

void Socket::setblocking(bool blocking) {
    check_open();
    const int flags = ::fcntl(fd_, F_GETFL);
    if (flags < 0) fail();
    if (::fcntl(fd_, F_SETFL, blocking ? flags & ~O_NONBLOCK : flags | O_NONBLOCK) < 0) fail();
    blocking_ = blocking;
}

void Socket::bind(const Address& address) {
    check_open();
    const detail::RawAddress raw = detail::to_raw(address, family_, type_);
    if (::bind(fd_, raw.get(), raw.length) < 0) fail();
}

void Socket::listen(int backlog) {
    check_open();
    if (::listen(fd_, backlog < 0 ? 0 : backlog) < 0) fail();
}

int Socket::connect_ex(const Address& address) {
    check_open();
    const detail::RawAddress raw = detail::to_raw(address, family_, type_);
    if (::connect(fd_, raw.get(), raw.length) == 0) return 0;
    const int err = errno;
    // Not retried on EINTR: the connection goes on in the background, and connecting again
    // would say EALREADY. As Python (bpo-23618): a blocking socket waits for the outcome; a
    // non-blocking one reports EINTR, which the caller waits on as it does on EINPROGRESS.
    if (err != EINTR || !blocking_) return err;
    pollfd watch{fd_, POLLOUT, 0};
    while (::poll(&watch, 1, -1) < 0) {
        if (errno != EINTR) return errno;
    }
    return getsockopt(SOL_SOCKET, SO_ERROR);
}

void Socket::connect(const Address& address) {
    if (const int err = connect_ex(address)) throw_os_error(err);
}

std::pair<Socket, Address> Socket::accept() {
    check_open();
    detail::RawAddress raw;
    raw.length = sizeof raw.storage;
    const int fd = retry_eintr([&] { return ::accept4(fd_, raw.get(), &raw.length, SOCK_CLOEXEC); });
    if (fd < 0) fail();
    Socket s;
    s.fd_ = fd;
    s.family_ = family_;
    s.type_ = type_;
    s.proto_ = proto_;  // Python: socket(self.family, self.type, self.proto, fileno=fd)
    s.blocking_ = true;
    return {std::move(s), detail::from_raw(raw.get(), raw.length)};
}

std::string Socket::recv(std::size_t bufsize, int flags) {
    std::string data(bufsize, '\0');
    data.resize(recv_into(std::span<char>(data), flags));
    return data;
}

std::size_t Socket::recv_into(std::span<char> buffer, int flags) {
    check_open();
    // Python's recv(0) returns b'' at once (a recv() of 0 bytes may wait for data instead).
    if (buffer.empty()) return 0;
    const ssize_t n = retry_eintr([&] { return ::recv(fd_, buffer.data(), buffer.size(), flags); });
    if (n < 0) fail();
    return static_cast<std::size_t>(n);
}

std::pair<std::string, Address> Socket::recvfrom(std::size_t bufsize, int flags) {
    check_open();
    std::string data(bufsize, '\0');
    auto [n, address] = receive_from(data.data(), data.size(), flags);
    data.resize(n);
    return {std::move(data), std::move(address)};
}

std::pair<std::size_t, Address> Socket::recvfrom_into(std::span<char> buffer, std::size_t nbytes, int flags) {
    if (nbytes > buffer.size()) throw ValueError("nbytes is greater than the length of the buffer");
    check_open();
    return receive_from(buffer.data(), nbytes == 0 ? buffer.size() : nbytes, flags);
}

std::pair<std::size_t, Address> Socket::receive_from(char* data, std::size_t size, int flags) {
    detail::RawAddress raw;
    raw.length = sizeof raw.storage;
    const ssize_t n = retry_eintr([&] { return ::recvfrom(fd_, data, size, flags, raw.get(), &raw.length); });
    if (n < 0) fail();
    return {static_cast<std::size_t>(n), detail::from_raw(raw.get(), raw.length)};
}

std::size_t Socket::send(std::string_view data, int flags) {
    check_open();
    const ssize_t n = retry_eintr([&] { return ::send(fd_, data.data(), data.size(), flags | MSG_NOSIGNAL); });
    if (n < 0) fail();
    return static_cast<std::size_t>(n);
}

void Socket::sendall(std::string_view data, int flags) {
    check_open();  // Python's sendall(b'') still fails on a closed socket
    while (!data.empty()) data.remove_prefix(send(data, flags));
}

std::size_t Socket::sendto(std::string_view data, const Address& address, int flags) {
    check_open();
    const detail::RawAddress raw = detail::to_raw(address, family_, type_);
    const ssize_t n = retry_eintr(
        [&] { return ::sendto(fd_, data.data(), data.size(), flags | MSG_NOSIGNAL, raw.get(), raw.length); });
    if (n < 0) fail();
    return static_cast<std::size_t>(n);
}

void Socket::shutdown(int how) {
    check_open();
    if (::shutdown(fd_, how) < 0) fail();
}

void Socket::setsockopt(int level, int option, int value) {
    check_open();
    if (::setsockopt(fd_, level, option, &value, sizeof value) < 0) fail();
}

int Socket::getsockopt(int level, int option) const {
    check_open();
    int value = 0;
    socklen_t length = sizeof value;
    if (::getsockopt(fd_, level, option, &value, &length) < 0) fail();
    return value;
}

Address Socket::getsockname() const {
    check_open();
    detail::RawAddress raw;
    raw.length = sizeof raw.storage;
    if (::getsockname(fd_, raw.get(), &raw.length) < 0) fail();
    return detail::from_raw(raw.get(), raw.length);
}

Address Socket::getpeername() const {
    check_open();
    detail::RawAddress raw;
    raw.length = sizeof raw.storage;
    if (::getpeername(fd_, raw.get(), &raw.length) < 0) fail();
    return detail::from_raw(raw.get(), raw.length);
}

std::pair<Socket, Socket> socketpair(int family, int type, int proto) {
    int fds[2];
    if (::socketpair(family, type | SOCK_CLOEXEC, proto, fds) < 0) fail();
    return {Socket::adopt(fds[0]), Socket::adopt(fds[1])};
}

namespace {
// How repr(sock) shows an address: Python's str() of it (a path unquoted, an abstract AF_UNIX
// name as bytes, a tuple otherwise); an unnamed AF_UNIX socket shows none.
void append_address(std::string& text, const char* key, const Address& address) {
    if (address.family == AF_UNIX) {
        if (address.host.empty()) return;
        text += key + (address.host[0] == '\0' ? address.repr() : address.host);
        return;
    }
    text += key + address.repr();
}
}  // namespace

std::string Socket::repr() const {
    std::string text = std::string("<socket.socket") + (fd_ < 0 ? " [closed]" : "") + " fd=" + std::to_string(fd_) +
                       ", family=" + std::to_string(family_) + ", type=" + std::to_string(type_) +
                       ", proto=" + std::to_string(proto_);
    if (fd_ < 0) return text + ">";  // no addresses to ask for
    try {
        append_address(text, ", laddr=", getsockname());
    } catch (const OSError&) {
    }
    try {
        append_address(text, ", raddr=", getpeername());
    } catch (const OSError&) {
    }
    return text + ">";
}

}  // namespace concurrence::net
