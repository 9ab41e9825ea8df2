// loop.connect_accepted_socket (CPython's test_events.py test_connect_accepted_socket and
// base_events' checks): a stream socket accepted outside the loop becomes a transport.
#include <gtest/gtest.h>

#include <sys/socket.h>

#include <string>
#include <vector>

#include "tp_support.hpp"

namespace {

using namespace tp_support;
using concurrence::ValueError;

// Python's test: the server side is accepted by a plain (blocking) accept(), outside the loop.
asyncio::Coro<> accepted_serves_both_ways() {
    auto& loop = asyncio::get_running_loop();
    net::Socket lst = tp_small_listener();
    net::Socket client(AF_INET, SOCK_STREAM);
    client.setblocking(false);
    co_await loop.sock_connect(client, lst.getsockname());
    const int fd = ::accept(lst.fileno(), nullptr, nullptr);
    EXPECT_GE(fd, 0);
    net::Socket accepted = net::Socket::adopt(fd);
    EXPECT_TRUE(accepted.getblocking());

    auto [transport, proto] = co_await loop.connect_accepted_socket(tp_make_recorder, std::move(accepted));
    EXPECT_EQ(proto->events, (std::vector<std::string>{"made"}));
    EXPECT_EQ(proto->transport, transport.get());
    EXPECT_TRUE(transport->is_reading());
    const auto peername = transport->get_extra_info<net::Address>("peername");
    EXPECT_TRUE(peername && *peername == client.getsockname());

    co_await loop.sock_sendall(client, "from the client");
    const bool got = co_await tp_wait_received(proto, 15);
    EXPECT_TRUE(got);
    EXPECT_EQ(proto->received, "from the client");

    transport->write("from the server");
    transport->close();  // flushes, then the FIN
    const std::string back = co_await tp_recv_all(client);
    EXPECT_EQ(back, "from the server");
    const bool lost = co_await tp_wait_lost(proto);
    EXPECT_TRUE(lost);
    EXPECT_FALSE(proto->lost_exc);
}

TEST(AcceptedSocket, ServesBothWaysFromABlockingAcceptedSocket) { tp_run_checked(accepted_serves_both_ways); }

// Python: ValueError('A Stream Socket was expected, got ...'), raised when awaited. The socket
// given is closed with the failed call (no descriptor left behind).
asyncio::Coro<> accepted_rejects_a_datagram_socket() {
    auto& loop = asyncio::get_running_loop();
    net::Socket datagram(AF_INET, SOCK_DGRAM);
    const std::string expected = "A Stream Socket was expected, got <socket.socket fd=" +
                                 std::to_string(datagram.fileno()) + ", family=2, type=2, proto=0, laddr=('0.0.0.0', 0)>";
    auto call = loop.connect_accepted_socket(tp_make_recorder, std::move(datagram));
    std::string what;
    try {
        co_await std::move(call);
    } catch (const ValueError& e) {
        what = e.what();
    }
    EXPECT_EQ(what, expected);
}

TEST(AcceptedSocket, ADatagramSocketIsAValueError) { tp_run_checked(accepted_rejects_a_datagram_socket); }

// Cancelled before connection_made has run: the transport is closed (the peer reads EOF) and
// nothing leaks.
asyncio::Coro<> accepted_cancelled_before_made() {
    auto& loop = asyncio::get_running_loop();
    net::Socket lst = tp_small_listener();
    net::Socket client(AF_INET, SOCK_STREAM);
    client.setblocking(false);
    co_await loop.sock_connect(client, lst.getsockname());
    auto [server_side, addr] = co_await loop.sock_accept(lst);
    auto task = asyncio::create_task(loop.connect_accepted_socket(tp_make_recorder, std::move(server_side)));
    co_await asyncio::sleep(0);  // the task starts and waits for connection_made
    EXPECT_FALSE(task.done());
    const bool cancelled = co_await tp_cancel_and_wait(std::move(task));
    EXPECT_TRUE(cancelled);
    const std::string rest = co_await tp_recv_all(client);
    EXPECT_EQ(rest, "");
}

TEST(AcceptedSocket, CancelledBeforeConnectionMadeClosesTheTransport) {
    tp_run_checked(accepted_cancelled_before_made);
}

}  // namespace
