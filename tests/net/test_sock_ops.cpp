// The loop's sock_* operations (CPython's test_sock_lowlevel.py, in part).
#include <gtest/gtest.h>

#include "net_support.hpp"

namespace {

using namespace net_tests;

TEST(SockOps, SendallAndRecvOverASocketpair) {
    auto [a, b] = net::socketpair();
    a.setblocking(false);
    b.setblocking(false);
    auto got = asyncio::run([](net::Socket& x, net::Socket& y) -> asyncio::Coro<std::string> {
        auto& loop = asyncio::get_running_loop();
        co_await loop.sock_sendall(x, "hello");
        co_return co_await loop.sock_recv(y, 100);
    }(a, b));
    EXPECT_EQ(got, "hello");
}

TEST(SockOps, AcceptConnectAndEcho) {
    const int fds_before = open_fd_count();
    {
        net::Socket server = listener();
        const net::Address where = server.getsockname();
        auto reply = asyncio::run([](net::Socket& srv, net::Address addr) -> asyncio::Coro<std::string> {
            auto& loop = asyncio::get_running_loop();
            auto serve = asyncio::create_task([](net::Socket& s) -> asyncio::Coro<> {
                auto& l = asyncio::get_running_loop();
                auto [conn, peer] = co_await l.sock_accept(s);
                auto data = co_await l.sock_recv(conn, 100);
                co_await l.sock_sendall(conn, "echo:" + data);
            }(srv));
            net::Socket client(AF_INET, SOCK_STREAM);
            client.setblocking(false);
            co_await loop.sock_connect(client, addr);
            co_await loop.sock_sendall(client, "ping");
            std::string out = co_await loop.sock_recv(client, 100);
            co_await serve;
            co_return out;
        }(server, where));
        EXPECT_EQ(reply, "echo:ping");
    }
    EXPECT_EQ(open_fd_count(), fds_before);
}

TEST(SockOps, ConnectRefusedSaysWhere) {
    net::Address closed_port;
    {
        net::Socket s = listener();
        closed_port = s.getsockname();
    }  // closed: nothing listens there now
    try {
        asyncio::run([](net::Address addr) -> asyncio::Coro<> {
            net::Socket client(AF_INET, SOCK_STREAM);
            client.setblocking(false);
            co_await asyncio::get_running_loop().sock_connect(client, addr);
        }(closed_port));
        FAIL() << "no exception";
    } catch (const concurrence::ConnectionRefusedError& e) {
        EXPECT_EQ(e.errno_code(), ECONNREFUSED);
        const std::string what = e.what();
        EXPECT_NE(what.find("[Errno 111]"), std::string::npos) << what;
        EXPECT_NE(what.find(closed_port.repr()), std::string::npos) << what;
    }
}

TEST(SockOps, BlockingSocketIsRefused) {
    auto [a, b] = net::socketpair();
    EXPECT_THROW(asyncio::run([](net::Socket& x) -> asyncio::Coro<> {
                     co_await asyncio::get_running_loop().sock_recv(x, 1);
                 }(a)),
                 concurrence::ValueError);
}

TEST(SockOps, CancelledRecvLeavesTheSocketUsable) {
    auto [a, b] = net::socketpair();
    a.setblocking(false);
    b.setblocking(false);
    auto got = asyncio::run([](net::Socket& x, net::Socket& y) -> asyncio::Coro<std::string> {
        auto& loop = asyncio::get_running_loop();
        auto waiting = asyncio::create_task(loop.sock_recv(y, 10));
        co_await asyncio::sleep(0);
        waiting.cancel();
        try {
            co_await waiting;
        } catch (const asyncio::CancelledError&) {
        }
        co_await loop.sock_sendall(x, "after");
        co_return co_await loop.sock_recv(y, 10);
    }(a, b));
    EXPECT_EQ(got, "after");
}

}  // namespace
