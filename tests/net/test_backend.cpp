// Choosing the I/O backend: per loop, per asyncio::run, and by CONCURRENCE_BACKEND (the
// network suite runs twice in make test: as is (epoll), and with CONCURRENCE_BACKEND=io_uring).
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "net_support.hpp"

namespace {

using namespace net_tests;

bool io_uring_available() {
    try {
        asyncio::EventLoop loop(asyncio::Backend::io_uring);
        return true;
    } catch (const concurrence::OSError&) {
        return false;
    }
}

TEST(Backend, EpollOnRequest) {
    asyncio::EventLoop loop(asyncio::Backend::epoll);
    EXPECT_EQ(loop.backend_name(), "epoll");
}

TEST(Backend, IoUringOnRequestOrTheSystemsError) {
    if (!io_uring_available()) GTEST_SKIP() << "io_uring refused here";
    asyncio::EventLoop loop(asyncio::Backend::io_uring);
    EXPECT_EQ(loop.backend_name(), "io_uring");
}

TEST(Backend, AutomaticIsEpollUnlessTheEnvironmentAsksForIoUring) {
    asyncio::EventLoop loop;
    const char* env = std::getenv("CONCURRENCE_BACKEND");
    if (env && std::string(env) == "io_uring") {
        EXPECT_EQ(loop.backend_name(), io_uring_available() ? "io_uring" : "epoll");
    } else {
        EXPECT_EQ(loop.backend_name(), "epoll");
    }
}

TEST(Backend, AnUnknownNameInTheEnvironmentIsTheDefault) {
    const char* old = std::getenv("CONCURRENCE_BACKEND");
    const std::string saved = old ? old : "";
    ::setenv("CONCURRENCE_BACKEND", "kqueue", 1);
    std::string name;
    {
        asyncio::EventLoop loop;
        name = std::string(loop.backend_name());
    }
    if (old)
        ::setenv("CONCURRENCE_BACKEND", saved.c_str(), 1);
    else
        ::unsetenv("CONCURRENCE_BACKEND");
    EXPECT_EQ(name, "epoll");
}

asyncio::Coro<std::string> backend_of_running_loop() {
    co_return std::string(asyncio::get_running_loop().backend_name());
}

TEST(Backend, RunTakesTheBackend) {
    EXPECT_EQ(asyncio::run(backend_of_running_loop(), {.backend = asyncio::Backend::epoll}), "epoll");
    if (io_uring_available()) {
        EXPECT_EQ(asyncio::run(backend_of_running_loop(), {.backend = asyncio::Backend::io_uring}), "io_uring");
    }
}

// The same echo exchange on each backend, explicitly (the rest of the suite runs on both
// through the environment).
asyncio::Coro<std::string> be_echo_session() {
    auto& loop = asyncio::get_running_loop();
    net::Socket server = listener();
    auto accepted = asyncio::create_task(loop.sock_accept(server));
    net::Socket client(AF_INET, SOCK_STREAM);
    client.setblocking(false);
    co_await loop.sock_connect(client, server.getsockname());
    auto [conn, peer] = co_await accepted;
    co_await loop.sock_sendall(client, "over " + std::string(loop.backend_name()));
    co_return co_await loop.sock_recv(conn, 100);
}

TEST(Backend, SocketsWorkOnBoth) {
    EXPECT_EQ(asyncio::run(be_echo_session(), {.backend = asyncio::Backend::epoll}), "over epoll");
    if (io_uring_available()) {
        EXPECT_EQ(asyncio::run(be_echo_session(), {.backend = asyncio::Backend::io_uring}), "over io_uring");
    }
}

}  // namespace
