// loop.create_datagram_endpoint: UDP and AF_UNIX endpoints, its options and its errors
// (CPython's test_base_events.py and test_events.py create_datagram_endpoint tests).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <type_traits>
#include <vector>

#include "dg_support.hpp"

namespace {

using namespace dg_support;
using concurrence::OSError;
using concurrence::TypeError;
using concurrence::ValueError;

// What a creation attempt threw: "ValueError: <what()>", "OSError 98", ...; "ok" if none.
asyncio::Coro<std::string> dg_create_outcome(net::DatagramOptions options) {
    std::string outcome = "ok";
    try {
        DgEndpoint e = co_await dg_endpoint(std::move(options));
        e.first->close();
        co_await dg_wait_lost(e.second);
    } catch (const ValueError& v) {
        outcome = std::string("ValueError: ") + v.what();
    } catch (const TypeError& t) {
        outcome = std::string("TypeError: ") + t.what();
    } catch (const OSError& o) {
        outcome = "OSError " + std::to_string(o.errno_code());
    }
    co_return outcome;
}

// ---- round trips

asyncio::Coro<> dg_echo_ipv4() {
    DgEndpoint server = co_await dg_local(dg_make_echo);
    const net::Address server_addr = dg_sockname(server.first);
    EXPECT_EQ(server_addr.family, AF_INET);
    EXPECT_EQ(server_addr.host, "127.0.0.1");
    EXPECT_NE(server_addr.port, 0);
    net::DatagramOptions options;
    options.remote_addr = net::Address{"127.0.0.1", server_addr.port};
    DgEndpoint client = co_await dg_endpoint(std::move(options));
    client.first->sendto("hello");
    client.first->sendto("world", net::Address{"127.0.0.1", server_addr.port});
    const bool got = co_await dg_wait_datagrams(client.second, 2);
    EXPECT_TRUE(got);
    EXPECT_EQ(client.second->datagrams, (std::vector<std::string>{"hello", "world"}));
    EXPECT_EQ(client.second->senders.at(0), server_addr);
    // The server saw the client's address, as the client's socket has it.
    EXPECT_EQ(server.second->senders.at(0), dg_sockname(client.first));
    co_await dg_close(client);
    co_await dg_close(server);
    EXPECT_EQ(client.second->events, (std::vector<std::string>{"made", "dgram", "dgram", "lost"}));
    EXPECT_EQ(server.second->events, (std::vector<std::string>{"made", "dgram", "dgram", "lost"}));
}

TEST(DatagramEndpoint, UdpEchoRoundTripIPv4) { tp_run_checked(dg_echo_ipv4); }

asyncio::Coro<> dg_echo_ipv6() {
    net::DatagramOptions server_options;
    server_options.local_addr = net::Address{"::1", 0};
    DgEndpoint server = co_await dg_endpoint(std::move(server_options), dg_make_echo);
    const net::Address server_addr = dg_sockname(server.first);
    EXPECT_EQ(server_addr.family, AF_INET6);
    net::DatagramOptions options;
    options.remote_addr = net::Address{"::1", server_addr.port};
    DgEndpoint client = co_await dg_endpoint(std::move(options));
    EXPECT_EQ(client.first->get_extra_info<net::Address>("peername"), server_addr);
    client.first->sendto("six");
    const bool got = co_await dg_wait_datagrams(client.second, 1);
    EXPECT_TRUE(got);
    EXPECT_EQ(client.second->datagrams, (std::vector<std::string>{"six"}));
    EXPECT_EQ(client.second->senders.at(0).repr(), "('::1', " + std::to_string(server_addr.port) + ", 0, 0)");
    co_await dg_close(client);
    co_await dg_close(server);
}

TEST(DatagramEndpoint, UdpEchoRoundTripIPv6) {
    if (!ipv6_loopback_available()) GTEST_SKIP() << "no IPv6 loopback";
    tp_run_checked(dg_echo_ipv6);
}

asyncio::Coro<> dg_returns_after_made() {
    DgEndpoint e = co_await dg_local();
    EXPECT_EQ(e.second->events, (std::vector<std::string>{"made"}));
    EXPECT_EQ(e.second->transport, e.first.get());
    EXPECT_EQ(&e.first->get_protocol(), e.second.get());
    EXPECT_FALSE(e.first->is_closing());
    EXPECT_TRUE(e.first->is_reading());
    EXPECT_EQ(e.first->get_write_buffer_size(), 0u);
    const int fd = dg_fd(e.first);
    EXPECT_TRUE(fd_is_nonblocking(fd));
    EXPECT_TRUE(fd_is_cloexec(fd));
    EXPECT_FALSE(e.first->get_extra_info<net::Address>("peername"));  // not connected: None
    EXPECT_FALSE(e.first->get_extra_info("no such name").has_value());
    co_await dg_close(e);
    EXPECT_FALSE(e.first->get_extra_info<int>("socket"));  // closed
}

TEST(DatagramEndpoint, CreateReturnsAfterConnectionMade) {
    // The protocol comes back with its own type, as create_connection's does.
    using Made = decltype(std::declval<asyncio::EventLoop&>().create_datagram_endpoint(dg_make_recorder,
                                                                                       net::DatagramOptions{}));
    static_assert(std::is_same_v<Made, asyncio::Coro<std::pair<std::shared_ptr<asyncio::DatagramTransport>,
                                                               std::shared_ptr<DgRecorder>>>>);
    tp_run_checked(dg_returns_after_made);
}

asyncio::Coro<> dg_connected() {
    DgEndpoint server = co_await dg_local();
    const int port = dg_sockname(server.first).port;
    net::DatagramOptions options;
    options.local_addr = net::Address{"127.0.0.1", 0};
    options.remote_addr = net::Address{"127.0.0.1", port};
    DgEndpoint client = co_await dg_endpoint(std::move(options));
    auto peer = client.first->get_extra_info<net::Address>("peername");
    EXPECT_TRUE(peer);
    if (peer) {
        EXPECT_EQ(peer->repr(), "('127.0.0.1', " + std::to_string(port) + ")");
    }
    // A connected socket takes datagrams from its peer only: another sender is not heard.
    net::Socket stranger(AF_INET, SOCK_DGRAM);
    stranger.sendto("stranger", dg_sockname(client.first));
    server.first->sendto("from the peer", dg_sockname(client.first));
    const bool got = co_await dg_wait_datagrams(client.second, 1);
    EXPECT_TRUE(got);
    co_await tp_spin();
    EXPECT_EQ(client.second->datagrams, (std::vector<std::string>{"from the peer"}));
    co_await dg_close(client);
    co_await dg_close(server);
}

TEST(DatagramEndpoint, ConnectedEndpointHearsItsPeerOnly) { tp_run_checked(dg_connected); }

asyncio::Coro<> dg_wrong_address() {
    DgEndpoint server = co_await dg_local();
    const int port = dg_sockname(server.first).port;
    net::DatagramOptions options;
    options.remote_addr = net::Address{"127.0.0.1", port};
    DgEndpoint client = co_await dg_endpoint(std::move(options));
    std::string message;
    try {
        client.first->sendto("x", net::Address{"127.0.0.1", port + 1});
    } catch (const ValueError& e) {
        message = e.what();
    }
    EXPECT_EQ(message, "Invalid address: must be None or ('127.0.0.1', " + std::to_string(port) + ")");
    message.clear();
    try {
        client.first->sendto("x", net::Address{"localhost", port});  // Python compares the tuples
    } catch (const ValueError& e) {
        message = e.what();
    }
    EXPECT_EQ(message, "Invalid address: must be None or ('127.0.0.1', " + std::to_string(port) + ")");
    // The remote address itself, as given or as resolved, is fine.
    client.first->sendto("a", net::Address{"127.0.0.1", port});
    client.first->sendto("b", dg_sockname(server.first));
    const bool got = co_await dg_wait_datagrams(server.second, 2);
    EXPECT_TRUE(got);
    EXPECT_EQ(server.second->datagrams, (std::vector<std::string>{"a", "b"}));
    EXPECT_FALSE(client.first->is_closing());
    co_await dg_close(client);
    co_await dg_close(server);
}

TEST(DatagramEndpoint, SendtoAnotherAddressOnAConnectedEndpointIsValueError) { tp_run_checked(dg_wrong_address); }

asyncio::Coro<> dg_refused() {
    net::DatagramOptions options;
    options.remote_addr = net::Address{"127.0.0.1", dg_unused_udp_port()};
    DgEndpoint client = co_await dg_endpoint(std::move(options));
    // The kernel answers with an ICMP port unreachable; the next receive (or send) reports it.
    std::shared_ptr<asyncio::DatagramTransport> t = client.first;
    std::shared_ptr<DgRecorder> p = client.second;
    std::function<bool()> refused = [t, p] {
        if (!p->errors.empty()) return true;
        t->sendto("anyone?");
        return false;
    };
    const bool got = co_await tp_wait_until(std::move(refused));
    EXPECT_TRUE(got);
    if (!got) co_return;
    bool is_refused = false;
    try {
        std::rethrow_exception(p->errors.front());
    } catch (const concurrence::ConnectionRefusedError& e) {
        is_refused = e.errno_code() == ECONNREFUSED;
    } catch (...) {
    }
    EXPECT_TRUE(is_refused) << tp_what(p->errors.front());
    EXPECT_FALSE(t->is_closing());  // an error_received does not close the endpoint
    EXPECT_FALSE(p->lost);
    co_await dg_close(client);
    EXPECT_EQ(p->events.back(), "lost");
}

TEST(DatagramEndpoint, IcmpPortUnreachableGoesToErrorReceived) { tp_run_checked(dg_refused); }

asyncio::Coro<> dg_name_resolution() {
    net::DatagramOptions options;
    options.local_addr = net::Address{"localhost", 0};
    options.family = AF_INET;
    DgEndpoint e = co_await dg_endpoint(std::move(options));
    EXPECT_EQ(dg_sockname(e.first).host, "127.0.0.1");
    co_await dg_close(e);
    // Host "" is Python's None: what getaddrinfo answers for no host, the loopback, or every
    // interface with AI_PASSIVE.
    net::DatagramOptions none;
    none.local_addr = net::Address{"", 0};
    none.family = AF_INET;
    DgEndpoint loopback = co_await dg_endpoint(std::move(none));
    EXPECT_EQ(dg_sockname(loopback.first).host, "127.0.0.1");
    co_await dg_close(loopback);
    net::DatagramOptions passive;
    passive.local_addr = net::Address{"", 0};
    passive.family = AF_INET;
    passive.flags = AI_PASSIVE;
    DgEndpoint any = co_await dg_endpoint(std::move(passive));
    EXPECT_EQ(dg_sockname(any.first).host, "0.0.0.0");
    co_await dg_close(any);
}

TEST(DatagramEndpoint, NamesAreResolved) { tp_run_checked(dg_name_resolution); }

asyncio::Coro<> dg_family_only() {
    DgEndpoint server = co_await dg_local();
    // Python: no address, a family: an unbound socket, which sendto binds.
    net::DatagramOptions options;
    options.family = AF_INET;
    DgEndpoint client = co_await dg_endpoint(std::move(options));
    client.first->sendto("hi", dg_sockname(server.first));
    const bool got = co_await dg_wait_datagrams(server.second, 1);
    EXPECT_TRUE(got);
    EXPECT_EQ(server.second->datagrams, (std::vector<std::string>{"hi"}));
    // Unconnected, no address: the system's EDESTADDRREQ, to error_received.
    client.first->sendto("nowhere");
    EXPECT_EQ(client.second->errors.size(), 1u);
    if (!client.second->errors.empty()) {
        EXPECT_EQ(tp_errno_of(client.second->errors[0]), EDESTADDRREQ);
    }
    co_await dg_close(client);
    co_await dg_close(server);
    std::string outcome = co_await dg_create_outcome(net::DatagramOptions{});
    EXPECT_EQ(outcome, "ValueError: unexpected address family");
}

TEST(DatagramEndpoint, FamilyWithoutAddressesAndNeither) { tp_run_checked(dg_family_only); }

asyncio::Coro<> dg_no_matching_family() {
    net::DatagramOptions options;
    options.local_addr = net::Address{"127.0.0.1", 0};
    options.remote_addr = net::Address{"::1", 9};
    std::string outcome = co_await dg_create_outcome(std::move(options));
    EXPECT_EQ(outcome, "ValueError: can not get address information");
    net::DatagramOptions mixed;
    mixed.local_addr = net::Address::unix_path("/tmp/x.sock");
    mixed.family = AF_INET;
    outcome = co_await dg_create_outcome(std::move(mixed));
    EXPECT_EQ(outcome, "TypeError: 2-tuple is expected");
    net::DatagramOptions unix_with_port;
    unix_with_port.family = AF_UNIX;
    unix_with_port.local_addr = net::Address{"127.0.0.1", 80};
    outcome = co_await dg_create_outcome(std::move(unix_with_port));
    EXPECT_EQ(outcome, "TypeError: string is expected");
}

TEST(DatagramEndpoint, AddressesOfNoCommonFamilyAreValueError) { tp_run_checked(dg_no_matching_family); }

asyncio::Coro<> dg_bind_in_use() {
    DgEndpoint first = co_await dg_local();
    net::DatagramOptions options;
    options.local_addr = dg_sockname(first.first);
    std::string outcome = co_await dg_create_outcome(std::move(options));
    EXPECT_EQ(outcome, "OSError " + std::to_string(EADDRINUSE));
    co_await dg_close(first);
}

TEST(DatagramEndpoint, BindErrorIsRaised) { tp_run_checked(dg_bind_in_use); }

// ---- socket options

asyncio::Coro<> dg_reuse_port() {
    net::DatagramOptions a;
    a.local_addr = net::Address{"127.0.0.1", 0};
    a.reuse_port = true;
    DgEndpoint first = co_await dg_endpoint(std::move(a));
    const int fd = dg_fd(first.first);
    int value = 0;
    socklen_t length = sizeof value;
    EXPECT_EQ(::getsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &value, &length), 0);
    EXPECT_EQ(value, 1);
    // A second endpoint on the same port, with reuse_port too.
    net::DatagramOptions b;
    b.local_addr = dg_sockname(first.first);
    b.reuse_port = true;
    DgEndpoint second = co_await dg_endpoint(std::move(b));
    EXPECT_EQ(dg_sockname(second.first), dg_sockname(first.first));
    co_await dg_close(second);
    co_await dg_close(first);
    // Without it, nothing is set.
    DgEndpoint plain = co_await dg_local();
    value = 1;
    ::getsockopt(dg_fd(plain.first), SOL_SOCKET, SO_REUSEPORT, &value, &length);
    EXPECT_EQ(value, 0);
    co_await dg_close(plain);
}

TEST(DatagramEndpoint, ReusePortSetsSoReuseport) { tp_run_checked(dg_reuse_port); }

asyncio::Coro<> dg_broadcast() {
    DgEndpoint server = co_await dg_local();
    net::DatagramOptions options;
    options.remote_addr = dg_sockname(server.first);
    options.allow_broadcast = true;
    DgEndpoint client = co_await dg_endpoint(std::move(options));
    int value = 0;
    socklen_t length = sizeof value;
    EXPECT_EQ(::getsockopt(dg_fd(client.first), SOL_SOCKET, SO_BROADCAST, &value, &length), 0);
    EXPECT_EQ(value, 1);
    // Python: with allow_broadcast the remote address is not connected; it is sendto's default.
    EXPECT_FALSE(client.first->get_extra_info<net::Address>("peername"));
    client.first->sendto("to the default");
    const bool got = co_await dg_wait_datagrams(server.second, 1);
    EXPECT_TRUE(got);
    EXPECT_EQ(server.second->datagrams, (std::vector<std::string>{"to the default"}));
    std::string message;
    try {
        client.first->sendto("x", net::Address{"127.0.0.1", 9});
    } catch (const ValueError& e) {
        message = e.what();
    }
    EXPECT_EQ(message, "Invalid address: must be None or " + dg_sockname(server.first).repr());
    co_await dg_close(client);
    co_await dg_close(server);
}

TEST(DatagramEndpoint, AllowBroadcastSetsSoBroadcast) { tp_run_checked(dg_broadcast); }

// ---- sock=

asyncio::Coro<> dg_sock_option() {
    auto& loop = asyncio::get_running_loop();
    net::Socket raw(AF_INET, SOCK_DGRAM);
    raw.bind({"127.0.0.1", 0});
    const net::Address addr = raw.getsockname();
    const int fd = raw.fileno();
    EXPECT_FALSE(fd_is_nonblocking(fd));
    net::DatagramOptions options;
    options.sock = std::move(raw);
    DgEndpoint e = co_await dg_endpoint(std::move(options));
    EXPECT_EQ(dg_fd(e.first), fd);
    EXPECT_TRUE(fd_is_nonblocking(fd));  // Python: sock.setblocking(False)
    EXPECT_EQ(dg_sockname(e.first), addr);
    net::Socket sender(AF_INET, SOCK_DGRAM);
    sender.setblocking(false);
    co_await loop.sock_sendto(sender, "via sock=", addr);
    const bool got = co_await dg_wait_datagrams(e.second, 1);
    EXPECT_TRUE(got);
    EXPECT_EQ(e.second->datagrams, (std::vector<std::string>{"via sock="}));
    co_await dg_close(e);
    EXPECT_FALSE(fd_is_open(fd));  // the transport owned it
}

TEST(DatagramEndpoint, SockOptionUsesTheSocket) { tp_run_checked(dg_sock_option); }

asyncio::Coro<> dg_sock_stream() {
    net::Socket stream(AF_INET, SOCK_STREAM);
    const std::string expected = "ValueError: A datagram socket was expected, got " +
                                 dg_expected_repr(stream, "('0.0.0.0', 0)");
    net::DatagramOptions options;
    options.sock = std::move(stream);
    std::string outcome = co_await dg_create_outcome(std::move(options));
    EXPECT_EQ(outcome, expected);
    // An AF_UNIX one without a name: no laddr.
    auto pair = net::socketpair(AF_UNIX, SOCK_STREAM);
    const std::string expected_unix =
        "ValueError: A datagram socket was expected, got " + dg_expected_repr(pair.first, "");
    net::DatagramOptions unix_options;
    unix_options.sock = std::move(pair.first);
    outcome = co_await dg_create_outcome(std::move(unix_options));
    EXPECT_EQ(outcome, expected_unix);
}

TEST(DatagramEndpoint, SockOptionStreamSocketIsValueError) { tp_run_checked(dg_sock_stream); }

asyncio::Coro<> dg_sock_with_options() {
    const std::string prefix = "ValueError: socket modifier keyword arguments can not be used when sock is specified. (";
    {
        net::DatagramOptions options;
        options.sock = net::Socket(AF_INET, SOCK_DGRAM);
        options.local_addr = net::Address{"127.0.0.1", 0};
        std::string outcome = co_await dg_create_outcome(std::move(options));
        EXPECT_EQ(outcome, prefix + "local_addr=('127.0.0.1', 0))");
    }
    {
        net::DatagramOptions options;
        options.sock = net::Socket(AF_INET, SOCK_DGRAM);
        options.remote_addr = net::Address{"127.0.0.1", 9};
        std::string outcome = co_await dg_create_outcome(std::move(options));
        EXPECT_EQ(outcome, prefix + "remote_addr=('127.0.0.1', 9))");
    }
    {
        net::DatagramOptions options;
        options.sock = net::Socket(AF_INET, SOCK_DGRAM);
        options.family = AF_INET;
        options.proto = IPPROTO_UDP;
        options.flags = AI_PASSIVE;
        options.reuse_port = true;
        options.allow_broadcast = true;
        std::string outcome = co_await dg_create_outcome(std::move(options));
        EXPECT_EQ(outcome, prefix + "family=2, proto=17, flags=1, reuse_port=True, allow_broadcast=True)");
    }
    {
        net::DatagramOptions options;
        options.sock = net::Socket(AF_UNIX, SOCK_DGRAM);
        options.local_addr = net::Address::unix_path("/tmp/dg.sock");
        std::string outcome = co_await dg_create_outcome(std::move(options));
        EXPECT_EQ(outcome, prefix + "local_addr=/tmp/dg.sock)");
    }
}

TEST(DatagramEndpoint, SockOptionWithOtherOptionsIsValueError) { tp_run_checked(dg_sock_with_options); }

// ---- AF_UNIX

asyncio::Coro<> dg_unix_pair() {
    TpSocketPath server_path;
    TpSocketPath client_path;
    net::DatagramOptions server_options;
    server_options.local_addr = net::Address::unix_path(server_path.path);  // AF_UNIX, implied
    DgEndpoint server = co_await dg_endpoint(std::move(server_options), dg_make_echo);
    net::DatagramOptions client_options;
    client_options.family = AF_UNIX;  // Python's way: the family, and the paths
    client_options.local_addr = net::Address{client_path.path, 0};
    client_options.remote_addr = net::Address{server_path.path, 0};
    DgEndpoint client = co_await dg_endpoint(std::move(client_options));
    EXPECT_EQ(client.first->get_extra_info<net::Address>("peername"), net::Address::unix_path(server_path.path));
    EXPECT_EQ(dg_sockname(client.first), net::Address::unix_path(client_path.path));
    client.first->sendto("over unix");
    client.first->sendto("");
    const bool got = co_await dg_wait_datagrams(client.second, 2);
    EXPECT_TRUE(got);
    EXPECT_EQ(client.second->datagrams, (std::vector<std::string>{"over unix", ""}));
    EXPECT_EQ(client.second->senders.at(0), net::Address::unix_path(server_path.path));
    EXPECT_EQ(server.second->senders.at(0), net::Address::unix_path(client_path.path));
    std::string message;
    try {
        client.first->sendto("x", net::Address::unix_path("/tmp/elsewhere.sock"));
    } catch (const ValueError& e) {
        message = e.what();
    }
    EXPECT_EQ(message, "Invalid address: must be None or " + server_path.path);  // Python's str: no quotes
    co_await dg_close(client);
    co_await dg_close(server);
    // Python does not remove the socket files of datagram endpoints.
    EXPECT_TRUE(tp_path_exists(server_path.path));
}

TEST(DatagramEndpoint, UnixDatagramPair) { tp_run_checked(dg_unix_pair); }

asyncio::Coro<> dg_unix_stale() {
    TpSocketPath path;
    {
        net::Socket old(AF_UNIX, SOCK_DGRAM);
        old.bind(net::Address::unix_path(path.path));
    }  // closed; its file stays
    EXPECT_TRUE(tp_path_exists(path.path));
    net::DatagramOptions options;
    options.local_addr = net::Address::unix_path(path.path);
    DgEndpoint e = co_await dg_endpoint(std::move(options));  // Python removes the stale socket file
    EXPECT_EQ(dg_sockname(e.first), net::Address::unix_path(path.path));
    co_await dg_close(e);
    // A file that is not a socket is left alone: bind fails.
    ::unlink(path.path.c_str());
    const int fd = ::open(path.path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    EXPECT_GE(fd, 0);
    if (fd >= 0) ::close(fd);
    net::DatagramOptions again;
    again.local_addr = net::Address::unix_path(path.path);
    std::string outcome = co_await dg_create_outcome(std::move(again));
    EXPECT_EQ(outcome, "OSError " + std::to_string(EADDRINUSE));
    // And a remote path where nothing is bound: connect's error.
    ::unlink(path.path.c_str());
    net::DatagramOptions nobody;
    nobody.remote_addr = net::Address::unix_path(path.path);
    outcome = co_await dg_create_outcome(std::move(nobody));
    EXPECT_EQ(outcome, "OSError " + std::to_string(ENOENT));
}

TEST(DatagramEndpoint, UnixStaleSocketFileIsReplacedOtherFilesAreNot) { tp_run_checked(dg_unix_stale); }

asyncio::Coro<> dg_unix_sock_pair() {
    // sock= with a connected AF_UNIX pair: the peer has no name, sendto() goes to it all the same.
    auto pair = net::socketpair(AF_UNIX, SOCK_DGRAM);
    net::Socket other = std::move(pair.second);
    other.setblocking(false);
    net::DatagramOptions options;
    options.sock = std::move(pair.first);
    DgEndpoint e = co_await dg_endpoint(std::move(options));
    e.first->sendto("to the pair");
    auto& loop = asyncio::get_running_loop();
    std::string got = co_await loop.sock_recv(other, 100);
    EXPECT_EQ(got, "to the pair");
    other.send("back");
    const bool received = co_await dg_wait_datagrams(e.second, 1);
    EXPECT_TRUE(received);
    EXPECT_EQ(e.second->datagrams, (std::vector<std::string>{"back"}));
    EXPECT_TRUE(e.second->senders.at(0).host.empty());  // a sender without a name
    co_await dg_close(e);
}

TEST(DatagramEndpoint, UnixSocketpairThroughSockOption) { tp_run_checked(dg_unix_sock_pair); }

// ---- cancellation and descriptors

asyncio::Coro<> dg_cancel_resolution() {
    int made = 0;
    std::function<std::shared_ptr<DgRecorder>()> factory = [&made] {
        ++made;
        return std::make_shared<DgRecorder>();
    };
    net::DatagramOptions options;
    options.local_addr = net::Address{"localhost", 0};  // a name: resolved in the executor
    auto task = asyncio::create_task(dg_endpoint(std::move(options), factory));
    co_await asyncio::sleep(0);  // the task is now waiting for the resolver
    task.cancel();
    std::string outcome = co_await tp_task_outcome(std::move(task));
    EXPECT_EQ(outcome, "CancelledError");
    EXPECT_EQ(made, 0);
}

TEST(DatagramEndpoint, CancelledDuringResolutionLeavesNoDescriptor) { tp_run_checked(dg_cancel_resolution); }

asyncio::Coro<> dg_cancel_before_made() {
    std::shared_ptr<DgRecorder> proto;
    std::function<std::shared_ptr<DgRecorder>()> factory = [&proto] {
        proto = std::make_shared<DgRecorder>();
        return proto;
    };
    net::DatagramOptions options;
    options.local_addr = net::Address{"127.0.0.1", 0};
    auto task = asyncio::create_task(dg_endpoint(std::move(options), factory));
    co_await asyncio::sleep(0);  // the task made the transport and waits for connection_made
    EXPECT_TRUE(proto);
    task.cancel();
    std::string outcome = co_await tp_task_outcome(std::move(task));
    EXPECT_EQ(outcome, "CancelledError");
    if (!proto) co_return;
    const bool lost = co_await dg_wait_lost(proto);  // Python: transport.close()
    EXPECT_TRUE(lost);
    EXPECT_EQ(proto->lost_calls, 1);
}

TEST(DatagramEndpoint, CancelledBeforeConnectionMadeClosesTheTransport) { tp_run_checked(dg_cancel_before_made); }

asyncio::Coro<> dg_left_open(std::shared_ptr<DgRecorder>* out) {
    DgEndpoint e = co_await dg_local();
    *out = e.second;
}

TEST(DatagramEndpoint, EndpointLeftOpenIsClosedWithTheLoop) {
    const int fds_before = open_fd_count();
    std::shared_ptr<DgRecorder> proto;
    asyncio::run(dg_left_open(&proto));
    EXPECT_EQ(open_fd_count(), fds_before);
    ASSERT_TRUE(proto);
    EXPECT_EQ(proto->events, (std::vector<std::string>{"made"}));  // no callback from a dead loop
}

asyncio::Coro<> dg_many_endpoints() {
    std::vector<DgEndpoint> endpoints;
    for (int i = 0; i < 50; ++i) endpoints.push_back(co_await dg_local());
    for (DgEndpoint& e : endpoints) e.first->abort();
    for (DgEndpoint& e : endpoints) co_await dg_wait_lost(e.second);
}

TEST(DatagramEndpoint, ManyEndpointsLeaveNoDescriptor) { tp_run_checked(dg_many_endpoints); }

}  // namespace
