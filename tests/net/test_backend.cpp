// Choosing the I/O backend: per loop, per asyncio::run, and by CONCURRENCE_BACKEND (the
// network suite runs twice in make test: as is (io_uring where the kernel has completion
// receives, else epoll), and with CONCURRENCE_BACKEND=epoll).
#include <gtest/gtest.h>

#include <sys/utsname.h>

#include <cstdio>
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

// Completion receives (multishot-era recv with provided buffers) came with Linux 6.0.
bool kernel_6_or_later() {
    utsname u{};
    int major = 0;
    return ::uname(&u) == 0 && std::sscanf(u.release, "%d", &major) == 1 && major >= 6;
}

TEST(Backend, AutomaticIsIoUringWhereItReceivesByCompletionsUnlessTheEnvironmentSays) {
    asyncio::EventLoop loop;
    const char* env = std::getenv("CONCURRENCE_BACKEND");
    const std::string wanted = env ? env : "";
    if (wanted == "epoll") {
        EXPECT_EQ(loop.backend_name(), "epoll");
    } else if (wanted == "io_uring") {
        EXPECT_EQ(loop.backend_name(), io_uring_available() ? "io_uring" : "epoll");
    } else {
        EXPECT_EQ(loop.backend_name(), io_uring_available() && kernel_6_or_later() ? "io_uring" : "epoll");
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
    EXPECT_EQ(name, io_uring_available() && kernel_6_or_later() ? "io_uring" : "epoll");
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
