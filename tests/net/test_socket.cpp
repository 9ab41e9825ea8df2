// net::Socket (Python's socket.socket), net::Address and the blocking resolver (CPython's
// test_socket.py, in part: the behaviour the loop's operations and the transports rely on).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <netdb.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <span>
#include <string>
#include <thread>
#include <utility>

#include "net_support.hpp"

namespace {

using namespace net_tests;
using concurrence::OSError;

// The errno of the OSError that call() throws (0 if none, -1000 for another exception).
template <class F>
int socket_errno_of(F&& call) {
    try {
        call();
    } catch (const OSError& e) {
        return e.errno_code();
    } catch (...) {
        return -1000;
    }
    return 0;
}

// A fresh directory for AF_UNIX paths, removed with what is left in it.
class SocketTempDir {
public:
    SocketTempDir() {
        char templ[] = "/tmp/concurrence-net-XXXXXX";
        if (::mkdtemp(templ)) path_ = templ;
    }
    ~SocketTempDir() {
        if (!path_.empty()) {
            const std::string command = "rm -rf '" + path_ + "'";
            [[maybe_unused]] const int rc = std::system(command.c_str());
        }
    }
    bool ok() const { return !path_.empty(); }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

// ---- creation, flags, ownership

TEST(Socket, NewSocketIsCloseOnExecAndBlocking) {
    net::Socket s(AF_INET, SOCK_STREAM);
    ASSERT_TRUE(s.is_open());
    EXPECT_TRUE(fd_is_cloexec(s.fileno()));
    EXPECT_TRUE(s.getblocking());
    EXPECT_FALSE(fd_is_nonblocking(s.fileno()));
    EXPECT_EQ(s.family(), AF_INET);
    EXPECT_EQ(s.type(), SOCK_STREAM);
}

TEST(Socket, SockNonblockInTheTypeMakesANonBlockingSocket) {
    net::Socket s(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK);
    EXPECT_FALSE(s.getblocking());
    EXPECT_TRUE(fd_is_nonblocking(s.fileno()));
    EXPECT_EQ(s.type(), SOCK_DGRAM);  // Python's sock.type drops the flags
    EXPECT_TRUE(fd_is_cloexec(s.fileno()));
}

TEST(Socket, SetblockingSetsONonblock) {
    net::Socket s(AF_INET, SOCK_STREAM);
    s.setblocking(false);
    EXPECT_FALSE(s.getblocking());
    EXPECT_TRUE(fd_is_nonblocking(s.fileno()));
    s.setblocking(true);
    EXPECT_TRUE(s.getblocking());
    EXPECT_FALSE(fd_is_nonblocking(s.fileno()));
}

TEST(Socket, NonBlockingRecvWithNothingToReadIsBlockingIOError) {
    auto [a, b] = net::socketpair();
    a.setblocking(false);
    try {
        a.recv(10);
        ADD_FAILURE() << "recv returned";
    } catch (const concurrence::BlockingIOError& e) {
        EXPECT_EQ(e.errno_code(), EAGAIN);
    }
}

TEST(Socket, MoveTransfersTheDescriptor) {
    net::Socket a(AF_INET, SOCK_DGRAM);
    const int fd = a.fileno();
    net::Socket b(std::move(a));
    EXPECT_EQ(b.fileno(), fd);
    EXPECT_EQ(b.family(), AF_INET);
    EXPECT_EQ(b.type(), SOCK_DGRAM);
    EXPECT_EQ(a.fileno(), -1);  // NOLINT(bugprone-use-after-move): moved-from is closed
    EXPECT_FALSE(a.is_open());
    a.close();  // harmless
    EXPECT_TRUE(fd_is_open(fd));

    net::Socket c(AF_UNIX, SOCK_STREAM);
    const int old_fd = c.fileno();
    c = std::move(b);  // closes what c owned
    EXPECT_EQ(c.fileno(), fd);
    EXPECT_EQ(c.family(), AF_INET);
    EXPECT_FALSE(b.is_open());  // NOLINT(bugprone-use-after-move)
    EXPECT_FALSE(fd_is_open(old_fd));
}

TEST(Socket, DestructorClosesTheDescriptor) {
    int fd = -1;
    {
        net::Socket s(AF_INET, SOCK_STREAM);
        fd = s.fileno();
        EXPECT_TRUE(fd_is_open(fd));
    }
    EXPECT_FALSE(fd_is_open(fd));
}

TEST(Socket, DetachGivesTheDescriptorUp) {
    int fd = -1;
    {
        net::Socket s(AF_INET, SOCK_STREAM);
        const int owned = s.fileno();
        fd = s.detach();
        EXPECT_EQ(fd, owned);
        EXPECT_EQ(s.fileno(), -1);
        EXPECT_EQ(s.detach(), -1);
    }
    EXPECT_TRUE(fd_is_open(fd));  // the destructor did not close it
    EXPECT_EQ(::close(fd), 0);
}

TEST(Socket, CloseTwiceIsHarmless) {
    net::Socket s(AF_INET, SOCK_STREAM);
    const int fd = s.fileno();
    s.close();
    EXPECT_FALSE(s.is_open());
    EXPECT_EQ(s.fileno(), -1);
    EXPECT_FALSE(fd_is_open(fd));
    s.close();
    EXPECT_EQ(s.fileno(), -1);
}

// Python's repr(sock), as its error messages show it.
TEST(Socket, ReprIsPythons) {
    net::Socket unbound(AF_INET, SOCK_DGRAM);
    const std::string fd = std::to_string(unbound.fileno());
    EXPECT_EQ(unbound.repr(), "<socket.socket fd=" + fd + ", family=2, type=2, proto=0, laddr=('0.0.0.0', 0)>");
    net::Socket listener(AF_INET, SOCK_STREAM);
    listener.bind(net::Address{"127.0.0.1", 0});
    listener.listen();
    const int port = listener.getsockname().port;
    net::Socket client(AF_INET, SOCK_STREAM);
    client.connect(net::Address{"127.0.0.1", port});
    const std::string text = client.repr();
    EXPECT_NE(text.find(", laddr=('127.0.0.1', "), std::string::npos) << text;
    EXPECT_NE(text.find(", raddr=('127.0.0.1', " + std::to_string(port) + ")>"), std::string::npos) << text;
    auto [a, b] = net::socketpair();  // unnamed AF_UNIX: no addresses
    EXPECT_EQ(a.repr(), "<socket.socket fd=" + std::to_string(a.fileno()) + ", family=1, type=1, proto=0>");
    unbound.close();
    EXPECT_EQ(unbound.repr(), "<socket.socket [closed] fd=-1, family=2, type=2, proto=0>");
}

TEST(Socket, EveryOperationOnAClosedSocketIsEBADF) {
    net::Socket s(AF_INET, SOCK_STREAM);
    s.close();
    char buffer[4];
    const net::Address somewhere{"127.0.0.1", 9};
    EXPECT_EQ(socket_errno_of([&] { s.recv(10); }), EBADF);
    EXPECT_EQ(socket_errno_of([&] { s.recv_into(std::span<char>(buffer)); }), EBADF);
    EXPECT_EQ(socket_errno_of([&] { s.recvfrom(10); }), EBADF);
    EXPECT_EQ(socket_errno_of([&] { s.send("x"); }), EBADF);
    EXPECT_EQ(socket_errno_of([&] { s.sendall("x"); }), EBADF);
    EXPECT_EQ(socket_errno_of([&] { s.sendall(""); }), EBADF);  // Python's sendall(b'') tries once
    EXPECT_EQ(socket_errno_of([&] { s.sendto("x", somewhere); }), EBADF);
    EXPECT_EQ(socket_errno_of([&] { s.bind(somewhere); }), EBADF);
    EXPECT_EQ(socket_errno_of([&] { s.listen(); }), EBADF);
    EXPECT_EQ(socket_errno_of([&] { s.connect(somewhere); }), EBADF);
    EXPECT_EQ(socket_errno_of([&] { s.connect_ex(somewhere); }), EBADF);
    EXPECT_EQ(socket_errno_of([&] { s.accept(); }), EBADF);
    EXPECT_EQ(socket_errno_of([&] { s.shutdown(SHUT_RDWR); }), EBADF);
    EXPECT_EQ(socket_errno_of([&] { s.setblocking(false); }), EBADF);
    EXPECT_EQ(socket_errno_of([&] { s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1); }), EBADF);
    EXPECT_EQ(socket_errno_of([&] { s.getsockopt(SOL_SOCKET, SO_TYPE); }), EBADF);
    EXPECT_EQ(socket_errno_of([&] { s.getsockname(); }), EBADF);
    EXPECT_EQ(socket_errno_of([&] { s.getpeername(); }), EBADF);
    try {
        s.recv(1);
    } catch (const OSError& e) {
        EXPECT_STREQ(e.what(), "[Errno 9] Bad file descriptor");
    }
}

TEST(Socket, AdoptTakesOwnershipAndReadsTheDescriptor) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    {
        net::Socket s = net::Socket::adopt(fd);
        EXPECT_EQ(s.fileno(), fd);
        EXPECT_EQ(s.family(), AF_INET);
        EXPECT_EQ(s.type(), SOCK_DGRAM);
        EXPECT_FALSE(s.getblocking());
    }
    EXPECT_FALSE(fd_is_open(fd));  // closed with the Socket
}

TEST(Socket, AdoptRefusesWhatIsNotASocket) {
    EXPECT_THROW(net::Socket::adopt(-1), concurrence::ValueError);
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    EXPECT_EQ(socket_errno_of([&] { net::Socket::adopt(fds[0]); }), ENOTSOCK);
    EXPECT_TRUE(fd_is_open(fds[0]));  // not taken: still the caller's
    ::close(fds[0]);
    ::close(fds[1]);
}

TEST(Socket, SocketpairIsConnectedBlockingAndCloseOnExec) {
    auto [a, b] = net::socketpair();
    EXPECT_EQ(a.family(), AF_UNIX);
    EXPECT_EQ(b.type(), SOCK_STREAM);
    EXPECT_TRUE(a.getblocking());
    EXPECT_TRUE(b.getblocking());
    EXPECT_TRUE(fd_is_cloexec(a.fileno()));
    EXPECT_TRUE(fd_is_cloexec(b.fileno()));
    EXPECT_EQ(a.send("ping"), 4u);
    EXPECT_EQ(b.recv(100), "ping");
    b.sendall("pong");
    EXPECT_EQ(a.recv(100), "pong");
}

TEST(Socket, ShutdownWriteGivesEofToThePeerWhichCanStillSend) {
    auto [a, b] = net::socketpair();
    a.sendall("last");
    a.shutdown(SHUT_WR);
    EXPECT_EQ(b.recv(100), "last");
    EXPECT_EQ(b.recv(100), "");  // EOF, Python's b''
    EXPECT_EQ(b.recv(100), "");
    b.sendall("reply");
    EXPECT_EQ(a.recv(100), "reply");
    EXPECT_THROW(a.send("more"), concurrence::BrokenPipeError);  // EPIPE, and no SIGPIPE
}

TEST(Socket, SendToAClosedPeerIsBrokenPipeWithoutSignal) {
    auto [a, b] = net::socketpair();
    b.close();
    try {
        a.sendall("data");
        ADD_FAILURE() << "sendall returned";
    } catch (const concurrence::ConnectionError& e) {
        EXPECT_TRUE(e.errno_code() == EPIPE || e.errno_code() == ECONNRESET) << e.what();
    }
}

TEST(Socket, BlockingSendallAndRecvMoveEveryByte) {
    auto pair = net::socketpair();  // not a structured binding: clang 14 cannot capture one
    net::Socket& a = pair.first;
    net::Socket& b = pair.second;
    const std::string data = pattern_bytes(2 << 20);
    std::thread writer([&a, &data] {
        a.sendall(data);
        a.shutdown(SHUT_WR);
    });
    std::string got;
    for (;;) {
        std::string chunk = b.recv(70000);
        if (chunk.empty()) break;
        got += chunk;
    }
    writer.join();
    EXPECT_EQ(got.size(), data.size());
    EXPECT_TRUE(got == data);
}

TEST(Socket, RecvIntoFillsThePrefixOfTheBuffer) {
    auto [a, b] = net::socketpair();
    a.sendall("abc");
    std::string buffer(8, '.');
    const std::size_t n = b.recv_into(std::span<char>(buffer).subspan(2));
    EXPECT_EQ(n, 3u);
    EXPECT_EQ(buffer, "..abc...");
}

// ---- addresses: bind, listen, getsockname

TEST(Socket, BindToPortZeroPicksAPortAndAcceptSeesThePeer) {
    net::Socket server(AF_INET, SOCK_STREAM);
    server.bind({"127.0.0.1", 0});
    server.listen();
    const net::Address where = server.getsockname();
    EXPECT_EQ(where.family, AF_INET);
    EXPECT_EQ(where.host, "127.0.0.1");
    EXPECT_GT(where.port, 0);
    EXPECT_LE(where.port, 65535);

    net::Socket client(AF_INET, SOCK_STREAM);
    client.connect(where);
    EXPECT_EQ(client.getpeername(), where);
    auto [conn, peer] = server.accept();
    EXPECT_EQ(peer, client.getsockname());
    EXPECT_TRUE(conn.getblocking());  // Python's accept() returns a blocking socket
    EXPECT_FALSE(fd_is_nonblocking(conn.fileno()));
    EXPECT_TRUE(fd_is_cloexec(conn.fileno()));
    EXPECT_EQ(conn.family(), AF_INET);
    client.sendall("hi");
    EXPECT_EQ(conn.recv(10), "hi");
}

TEST(Socket, EmptyHostBindsTheAnyAddress) {
    net::Socket s(AF_INET, SOCK_STREAM);
    s.bind({"", 0});
    EXPECT_EQ(s.getsockname().host, "0.0.0.0");
}

TEST(Socket, BindResolvesAHostName) {
    net::Socket s(AF_INET, SOCK_DGRAM);
    s.bind({"localhost", 0});
    EXPECT_EQ(s.getsockname().host, "127.0.0.1");
}

TEST(Socket, BindToAnAddressInUseIsEADDRINUSE) {
    net::Socket first(AF_INET, SOCK_STREAM);
    first.bind({"127.0.0.1", 0});
    first.listen();
    net::Socket second(AF_INET, SOCK_STREAM);
    try {
        second.bind(first.getsockname());
        ADD_FAILURE() << "bind succeeded";
    } catch (const OSError& e) {
        EXPECT_EQ(typeid(e), typeid(OSError));  // no subclass for EADDRINUSE in Python
        EXPECT_EQ(e.errno_code(), EADDRINUSE);
        EXPECT_STREQ(e.what(), "[Errno 98] Address already in use");
    }
}

TEST(Socket, PortOutOfRangeIsOverflowError) {
    net::Socket s(AF_INET, SOCK_STREAM);
    EXPECT_THROW(s.bind({"127.0.0.1", 65536}), concurrence::OverflowError);
    EXPECT_THROW(s.bind({"127.0.0.1", -1}), concurrence::OverflowError);
    EXPECT_THROW(s.connect({"127.0.0.1", 70000}), concurrence::OverflowError);
    net::Socket u(AF_INET, SOCK_DGRAM);
    EXPECT_THROW(u.sendto("x", {"127.0.0.1", 65536}), concurrence::OverflowError);
    s.bind({"127.0.0.1", 0});  // the socket is still usable
    EXPECT_GT(s.getsockname().port, 0);
}

TEST(Socket, BlockingConnectToAClosedPortIsConnectionRefused) {
    net::Address closed_port;
    {
        net::Socket s = listener();
        closed_port = s.getsockname();
    }
    net::Socket client(AF_INET, SOCK_STREAM);
    try {
        client.connect(closed_port);
        ADD_FAILURE() << "connected";
    } catch (const concurrence::ConnectionRefusedError& e) {
        EXPECT_STREQ(e.what(), "[Errno 111] Connection refused");
    }
    net::Socket again(AF_INET, SOCK_STREAM);
    EXPECT_EQ(again.connect_ex(closed_port), ECONNREFUSED);
}

TEST(Socket, GetpeernameOfAnUnconnectedSocketIsENOTCONN) {
    net::Socket s(AF_INET, SOCK_STREAM);
    EXPECT_EQ(socket_errno_of([&] { s.getpeername(); }), ENOTCONN);
}

TEST(Socket, SocketOptionsRoundTrip) {
    net::Socket s(AF_INET, SOCK_STREAM);
    s.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
    EXPECT_NE(s.getsockopt(SOL_SOCKET, SO_REUSEADDR), 0);
    s.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
    EXPECT_NE(s.getsockopt(IPPROTO_TCP, TCP_NODELAY), 0);
    EXPECT_EQ(s.getsockopt(SOL_SOCKET, SO_TYPE), SOCK_STREAM);
    EXPECT_EQ(socket_errno_of([&] { s.setsockopt(SOL_SOCKET, 987654, 1); }), ENOPROTOOPT);
}

TEST(Socket, UdpSendtoAndRecvfromSayWhoSent) {
    net::Socket receiver(AF_INET, SOCK_DGRAM);
    receiver.bind({"127.0.0.1", 0});
    net::Socket sender(AF_INET, SOCK_DGRAM);
    sender.bind({"127.0.0.1", 0});
    EXPECT_EQ(sender.sendto("datagram", receiver.getsockname()), 8u);
    EXPECT_EQ(sender.sendto("", receiver.getsockname()), 0u);  // an empty datagram is one too
    auto [data, from] = receiver.recvfrom(100);
    EXPECT_EQ(data, "datagram");
    EXPECT_EQ(from, sender.getsockname());
    EXPECT_EQ(from.repr(), "('127.0.0.1', " + std::to_string(sender.getsockname().port) + ")");
    auto [empty, from2] = receiver.recvfrom(100);
    EXPECT_EQ(empty, "");
    EXPECT_EQ(from2.port, sender.getsockname().port);
}

TEST(Socket, UdpRecvfromTruncatesToBufsize) {
    net::Socket receiver(AF_INET, SOCK_DGRAM);
    receiver.bind({"127.0.0.1", 0});
    net::Socket sender(AF_INET, SOCK_DGRAM);
    sender.sendto("0123456789", receiver.getsockname());
    auto [data, from] = receiver.recvfrom(4);
    EXPECT_EQ(data, "0123");
    EXPECT_EQ(from.family, AF_INET);
}

TEST(Socket, Ipv6LoopbackBindConnectAndRepr) {
    if (!ipv6_loopback_available()) GTEST_SKIP() << "no IPv6 loopback on this machine";
    net::Socket server(AF_INET6, SOCK_STREAM);
    server.bind({"::1", 0});
    server.listen();
    const net::Address where = server.getsockname();
    EXPECT_EQ(where.family, AF_INET6);
    EXPECT_EQ(where.host, "::1");
    EXPECT_GT(where.port, 0);
    EXPECT_EQ(where.repr(), "('::1', " + std::to_string(where.port) + ", 0, 0)");
    net::Socket client(AF_INET6, SOCK_STREAM);
    client.connect({"::1", where.port});
    auto [conn, peer] = server.accept();
    EXPECT_EQ(peer.host, "::1");
    EXPECT_EQ(peer.port, client.getsockname().port);
    conn.sendall("six");
    EXPECT_EQ(client.recv(10), "six");
}

TEST(Socket, UnixPathSocketBindConnectAccept) {
    SocketTempDir dir;
    ASSERT_TRUE(dir.ok());
    const std::string path = dir.file("server.sock");
    net::Socket server(AF_UNIX, SOCK_STREAM);
    server.bind(net::Address::unix_path(path));
    server.listen();
    const net::Address where = server.getsockname();
    EXPECT_EQ(where.family, AF_UNIX);
    EXPECT_EQ(where.host, path);
    EXPECT_EQ(where.repr(), "'" + path + "'");
    net::Socket client(AF_UNIX, SOCK_STREAM);
    client.connect(net::Address::unix_path(path));
    EXPECT_EQ(client.getpeername().host, path);
    auto [conn, peer] = server.accept();
    EXPECT_EQ(peer.family, AF_UNIX);
    EXPECT_EQ(peer.host, "");  // an unbound client has no name: Python's ''
    client.sendall("over unix");
    EXPECT_EQ(conn.recv(100), "over unix");
    // The file stays (Python does not unlink it): binding again is EADDRINUSE.
    net::Socket other(AF_UNIX, SOCK_STREAM);
    EXPECT_EQ(socket_errno_of([&] { other.bind(net::Address::unix_path(path)); }), EADDRINUSE);
}

TEST(Socket, UnixConnectToAMissingPathIsFileNotFound) {
    SocketTempDir dir;
    ASSERT_TRUE(dir.ok());
    net::Socket client(AF_UNIX, SOCK_STREAM);
    EXPECT_THROW(client.connect(net::Address::unix_path(dir.file("nobody.sock"))), concurrence::FileNotFoundError);
}

TEST(Socket, UnixPathTooLongIsOSError) {
    net::Socket s(AF_UNIX, SOCK_STREAM);
    const std::string too_long = "/tmp/" + std::string(110, 'x');
    try {
        s.bind(net::Address::unix_path(too_long));
        ADD_FAILURE() << "bound";
    } catch (const OSError& e) {
        EXPECT_STREQ(e.what(), "AF_UNIX path too long");
    }
    // A path needs its NUL: 108 characters do not fit in sun_path[108].
    EXPECT_THROW(s.bind(net::Address::unix_path("/" + std::string(107, 'y'))), OSError);
}

TEST(Socket, UnixAbstractAddress) {
    // (Built by appends: g++ 12 -O1 warns falsely (-Warray-bounds) on `string + string` here.)
    std::string name(1, '\0');
    name.append("concurrence-test-").append(std::to_string(::getpid()));
    net::Socket server(AF_UNIX, SOCK_STREAM);
    server.bind(net::Address::unix_path(name));
    server.listen();
    const net::Address where = server.getsockname();
    EXPECT_EQ(where.host.size(), name.size());
    EXPECT_EQ(where.host, name);
    net::Socket client(AF_UNIX, SOCK_STREAM);
    client.connect(net::Address::unix_path(name));
    auto [conn, peer] = server.accept();
    conn.sendall("abstract");
    EXPECT_EQ(client.recv(100), "abstract");
}

TEST(Socket, UnixAbstractAddressMayFillSunPath) {
    // No NUL terminator in the abstract namespace: all 108 bytes are the name (Python allows it).
    std::string name(1, '\0');
    name.append(107, 'z');
    net::Socket s(AF_UNIX, SOCK_STREAM);
    s.bind(net::Address::unix_path(name));
    EXPECT_EQ(s.getsockname().host, name);
    net::Socket t(AF_UNIX, SOCK_STREAM);
    std::string longer = name;
    longer.push_back('z');
    EXPECT_THROW(t.bind(net::Address::unix_path(longer)), OSError);  // 109: too long
}

TEST(Socket, UnixEmptyPathAutobinds) {
    // Python: sock.bind('') on Linux binds a fresh abstract name (autobind), e.g. b'\x0012ab3'.
    net::Socket a(AF_UNIX, SOCK_DGRAM);
    net::Socket b(AF_UNIX, SOCK_DGRAM);
    a.bind(net::Address::unix_path(""));
    b.bind(net::Address::unix_path(""));
    const std::string name_a = a.getsockname().host;
    const std::string name_b = b.getsockname().host;
    ASSERT_GT(name_a.size(), 1u);
    EXPECT_EQ(name_a[0], '\0');
    EXPECT_NE(name_a, name_b);
    a.sendto("to b", net::Address::unix_path(name_b));
    auto [data, from] = b.recvfrom(100);
    EXPECT_EQ(data, "to b");
    EXPECT_EQ(from.host, name_a);
}

// ---- Address::repr

TEST(AddressRepr, IPv4IsAHostPortTuple) {
    net::Address a{"127.0.0.1", 8888};
    EXPECT_EQ(a.repr(), "('127.0.0.1', 8888)");
    a.family = AF_INET;
    EXPECT_EQ(a.repr(), "('127.0.0.1', 8888)");
    EXPECT_EQ(net::Address("localhost", 0).repr(), "('localhost', 0)");
}

TEST(AddressRepr, IPv6HasFlowinfoAndScopeId) {
    net::Address a{"::1", 8888};
    a.family = AF_INET6;
    EXPECT_EQ(a.repr(), "('::1', 8888, 0, 0)");
    a.flowinfo = 5;
    a.scope_id = 2;
    EXPECT_EQ(a.repr(), "('::1', 8888, 5, 2)");
}

TEST(AddressRepr, UnixPathIsAQuotedString) {
    EXPECT_EQ(net::Address::unix_path("/tmp/app.sock").repr(), "'/tmp/app.sock'");
    EXPECT_EQ(net::Address::unix_path("").repr(), "''");
}

TEST(AddressRepr, AbstractUnixAddressIsBytes) {
    // Python's getsockname() gives bytes for the abstract namespace: b'\x00name'. A NUL in the
    // text would cut what() short in an error message that quotes the address.
    const std::string repr = net::Address::unix_path(std::string(1, '\0') + "name").repr();
    EXPECT_EQ(repr, "b'\\x00name'");
    EXPECT_EQ(repr.find('\0'), std::string::npos);
}

TEST(AddressRepr, AbstractUnixAddressEscapesLikePythonBytes) {
    const std::string name = std::string(1, '\0') + "it's\n\\\x7f";
    EXPECT_EQ(net::Address::unix_path(name).repr(), "b\"\\x00it's\\n\\\\\\x7f\"");
}

// ---- getaddrinfo / getnameinfo (blocking)

TEST(Resolve, GetaddrinfoLocalhost) {
    const auto infos = net::getaddrinfo("localhost", 80, AF_INET, SOCK_STREAM);
    ASSERT_FALSE(infos.empty());
    for (const net::AddrInfo& info : infos) {
        EXPECT_EQ(info.family, AF_INET);
        EXPECT_EQ(info.type, SOCK_STREAM);
        EXPECT_EQ(info.proto, IPPROTO_TCP);
        EXPECT_EQ(info.address.family, AF_INET);
        EXPECT_EQ(info.address.port, 80);
    }
    EXPECT_EQ(infos.front().address.host, "127.0.0.1");
}

TEST(Resolve, GetaddrinfoNumericHostsNeedNoLookup) {
    const auto v4 = net::getaddrinfo("127.0.0.1", "8080", 0, SOCK_DGRAM, 0, AI_NUMERICHOST);
    ASSERT_EQ(v4.size(), 1u);
    EXPECT_EQ(v4[0].family, AF_INET);
    net::Address expected{"127.0.0.1", 8080};
    expected.family = AF_INET;
    EXPECT_EQ(v4[0].address, expected);
    EXPECT_EQ(v4[0].type, SOCK_DGRAM);
    const auto v6 = net::getaddrinfo("::1", 443, AF_INET6, SOCK_STREAM, 0, AI_NUMERICHOST);
    ASSERT_EQ(v6.size(), 1u);
    EXPECT_EQ(v6[0].address.host, "::1");
    EXPECT_EQ(v6[0].address.port, 443);
    EXPECT_EQ(v6[0].address.repr(), "('::1', 443, 0, 0)");
}

TEST(Resolve, GetaddrinfoServiceName) {
    const auto infos = net::getaddrinfo("127.0.0.1", "http", AF_INET, SOCK_STREAM);
    ASSERT_FALSE(infos.empty());
    EXPECT_EQ(infos.front().address.port, 80);
    const auto none = net::getaddrinfo("127.0.0.1", "", AF_INET, SOCK_STREAM);  // Python's None
    ASSERT_FALSE(none.empty());
    EXPECT_EQ(none.front().address.port, 0);
    try {
        net::getaddrinfo("127.0.0.1", "no-such-service-here", AF_INET, SOCK_STREAM);
        ADD_FAILURE() << "resolved";
    } catch (const net::gaierror& e) {
        EXPECT_EQ(e.errno_code(), EAI_SERVICE);
        EXPECT_EQ(std::string(e.what()),
                  "[Errno " + std::to_string(EAI_SERVICE) + "] " + ::gai_strerror(EAI_SERVICE));
    }
}

TEST(Resolve, GetaddrinfoPassiveEmptyHostIsTheAnyAddress) {
    const auto infos = net::getaddrinfo("", 0, AF_INET, SOCK_STREAM, 0, AI_PASSIVE);
    ASSERT_FALSE(infos.empty());
    EXPECT_EQ(infos.front().address.host, "0.0.0.0");
    const auto loopback = net::getaddrinfo("", 0, AF_INET, SOCK_STREAM);  // no AI_PASSIVE
    ASSERT_FALSE(loopback.empty());
    EXPECT_EQ(loopback.front().address.host, "127.0.0.1");
}

TEST(Resolve, UnknownHostIsGaierrorWithANegativeErrno) {
    try {
        net::getaddrinfo("nonexistent.invalid", 80);
        ADD_FAILURE() << "resolved";
    } catch (const net::gaierror& e) {
        // EAI_NONAME (-2) where the resolver answers; EAI_AGAIN (-3) without a network.
        EXPECT_LT(e.errno_code(), 0);
        EXPECT_EQ(std::string(e.what()),
                  "[Errno " + std::to_string(e.errno_code()) + "] " + ::gai_strerror(e.errno_code()));
    }
    EXPECT_THROW(net::getaddrinfo("nonexistent.invalid", 80), OSError);  // gaierror is an OSError
}

TEST(Resolve, GaierrorMessageIsPythons) {
    const net::gaierror e(EAI_NONAME);
    EXPECT_STREQ(e.what(), "[Errno -2] Name or service not known");
    EXPECT_EQ(e.errno_code(), -2);
}

TEST(Resolve, GetnameinfoNumericAndNamed) {
    net::Address a{"127.0.0.1", 80};
    a.family = AF_INET;
    EXPECT_EQ(net::getnameinfo(a, NI_NUMERICHOST | NI_NUMERICSERV), std::make_pair(std::string("127.0.0.1"), std::string("80")));
    const auto named = net::getnameinfo(a);
    EXPECT_EQ(named.second, "http");
    EXPECT_EQ(named.first, "localhost");  // /etc/hosts
    net::Address unresolved{"127.0.0.1", 443};  // family 0: numeric, still understood
    EXPECT_EQ(net::getnameinfo(unresolved, NI_NUMERICSERV).second, "443");
}

TEST(Resolve, ConnectToAnUnknownHostIsGaierror) {
    net::Socket s(AF_INET, SOCK_STREAM);
    EXPECT_THROW(s.connect({"nonexistent.invalid", 80}), net::gaierror);
    EXPECT_TRUE(s.is_open());
}

}  // namespace
