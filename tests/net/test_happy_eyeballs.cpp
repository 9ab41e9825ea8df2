// create_connection's Happy Eyeballs (happy_eyeballs_delay=, interleave=) and all_errors=:
// the addresses' order, the staggered attempts (the next starts while the one before still
// hangs), the errors when every address fails.
#include <gtest/gtest.h>

#include "net/connect_attempts.hpp"
#include "net_support.hpp"

namespace {

using namespace net_tests;
namespace detail = concurrence::net::detail;

net::AddrInfo he_info(int family, const std::string& host, int port = 1) {
    return net::AddrInfo{family, SOCK_STREAM, IPPROTO_TCP, "", net::Address{host, port}};
}

std::vector<std::string> he_hosts(const std::vector<net::AddrInfo>& infos) {
    std::vector<std::string> out;
    for (const net::AddrInfo& i : infos) out.push_back(i.address.host);
    return out;
}

TEST(HappyEyeballs, InterleaveByFamilyAsPython) {
    // Python's _interleave_addrinfos on [v6 a, v6 b, v4 a, v4 b, v6 c].
    const std::vector<net::AddrInfo> infos{he_info(AF_INET6, "::a"), he_info(AF_INET6, "::b"),
                                           he_info(AF_INET, "10.0.0.1"), he_info(AF_INET, "10.0.0.2"),
                                           he_info(AF_INET6, "::c")};
    EXPECT_EQ(he_hosts(detail::interleave_addrinfos(infos, 1)),
              (std::vector<std::string>{"::a", "10.0.0.1", "::b", "10.0.0.2", "::c"}));
    EXPECT_EQ(he_hosts(detail::interleave_addrinfos(infos, 2)),
              (std::vector<std::string>{"::a", "::b", "10.0.0.1", "::c", "10.0.0.2"}));
    EXPECT_EQ(he_hosts(detail::interleave_addrinfos({}, 1)), std::vector<std::string>{});
}

// A listening socket whose accept queue is full: a connect to it hangs (the kernel drops its
// SYNs), as one to an address that does not answer.
struct HeBlackhole {
    net::Socket listening{AF_INET, SOCK_STREAM};
    std::vector<net::Socket> fillers;
    int port = 0;
    explicit HeBlackhole(const char* host) {
        listening.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
        listening.bind({host, 0});
        listening.listen(0);
        port = listening.getsockname().port;
        for (int i = 0; i < 3; ++i) {
            net::Socket s(AF_INET, SOCK_STREAM);
            s.setblocking(false);
            (void)s.connect_ex({host, port});
            fillers.push_back(std::move(s));
        }
    }
};

// The first address hangs; the second, tried after the delay while the first still waits,
// connects and wins; the first attempt is cancelled (no error recorded for it).
asyncio::Coro<std::vector<std::string>> he_race_past_a_hanging_address() {
    asyncio::EventLoop& loop = asyncio::get_running_loop();
    HeBlackhole hole("127.0.0.2");
    net::Socket server(AF_INET, SOCK_STREAM);
    server.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
    server.bind({"127.0.0.1", hole.port});  // the same port on another loopback address
    server.listen(8);
    std::vector<net::AddrInfo> infos{he_info(AF_INET, "127.0.0.2", hole.port), he_info(AF_INET, "127.0.0.1", hole.port)};
    auto errors = std::make_shared<std::vector<std::exception_ptr>>();
    std::optional<net::Socket> won = co_await detail::connect_staggered(loop, infos, std::nullopt, errors, 0.05);
    std::vector<std::string> got;
    got.push_back(won ? "connected to " + won->getpeername().host : "no connection");
    got.push_back(std::to_string(errors->size()) + " errors");
    co_return got;
}

TEST(HappyEyeballs, NextAttemptStartsWhileTheFirstHangs) {
    const int fds_before = open_fd_count();
    EXPECT_EQ(asyncio::run(he_race_past_a_hanging_address()),
              (std::vector<std::string>{"connected to 127.0.0.1", "0 errors"}));
    EXPECT_EQ(open_fd_count(), fds_before);
}

// A failure starts the next attempt at once (no wait for the delay): with an hour of delay,
// the refused first address is followed by the second.
asyncio::Coro<std::string> he_failure_starts_the_next() {
    asyncio::EventLoop& loop = asyncio::get_running_loop();
    net::Socket server = listener();
    const int port = server.getsockname().port;
    net::Socket closed_port(AF_INET, SOCK_STREAM);
    closed_port.bind({"127.0.0.3", port});  // bound, not listening: refused
    std::vector<net::AddrInfo> infos{he_info(AF_INET, "127.0.0.3", port), he_info(AF_INET, "127.0.0.1", port)};
    auto errors = std::make_shared<std::vector<std::exception_ptr>>();
    std::optional<net::Socket> won = co_await detail::connect_staggered(loop, infos, std::nullopt, errors, 3600.0);
    co_return (won ? "connected to " + won->getpeername().host : std::string("no connection")) + ", " +
        std::to_string(errors->size()) + " error";
}

TEST(HappyEyeballs, AFailureStartsTheNextAttemptAtOnce) {
    EXPECT_EQ(asyncio::run(he_failure_starts_the_next()), "connected to 127.0.0.1, 1 error");
}

// Through create_connection: "localhost" with Happy Eyeballs reaches a server on 127.0.0.1
// whatever order the resolver gives (::1 first fails or is refused).
asyncio::Coro<std::string> he_open_localhost() {
    auto handler = [](asyncio::StreamReader, asyncio::StreamWriter writer) { writer.write("hi\n"); };
    asyncio::Server server = co_await asyncio::start_server(handler, "127.0.0.1", 0);
    const int port = server.sockets().at(0).getsockname().port;
    net::ConnectionOptions options{.happy_eyeballs_delay = 0.25};
    auto [reader, writer] =
        co_await asyncio::open_connection("localhost", port, asyncio::default_stream_limit, std::move(options));
    std::string line = co_await reader.readline();
    writer.close();
    server.close();
    co_await server.wait_closed();
    co_return line;
}

TEST(HappyEyeballs, OpenConnectionWithHappyEyeballs) { EXPECT_EQ(asyncio::run(he_open_localhost()), "hi\n"); }

// Every address fails: all_errors gives them all in an ExceptionGroup (3.12); without it, the
// one OSError.
asyncio::Coro<std::string> he_all_fail(bool all_errors) {
    net::Socket closed_port(AF_INET, SOCK_STREAM);
    closed_port.bind({"127.0.0.1", 0});  // bound, not listening: refused
    const int port = closed_port.getsockname().port;
    net::ConnectionOptions options{.happy_eyeballs_delay = 0.01, .all_errors = all_errors};
    std::string text;
    try {
        (void)co_await asyncio::open_connection("127.0.0.1", port, asyncio::default_stream_limit, std::move(options));
        text = "connected";
    } catch (const concurrence::ExceptionGroup& e) {
        text = std::string("ExceptionGroup: ") + e.what() + " of " +
               (e.matching<concurrence::ConnectionRefusedError>().size() == 1 ? "ConnectionRefusedError" : "?");
    } catch (const concurrence::ConnectionRefusedError&) {
        text = "ConnectionRefusedError";
    }
    co_return text;
}

TEST(HappyEyeballs, AllErrors) {
    EXPECT_EQ(asyncio::run(he_all_fail(true)),
              "ExceptionGroup: create_connection failed (1 sub-exception) of ConnectionRefusedError");
    EXPECT_EQ(asyncio::run(he_all_fail(false)), "ConnectionRefusedError");
}

// Cancelled while every attempt hangs: the attempts are cancelled too, no descriptor is left.
asyncio::Coro<std::string> he_cancel_the_race() {
    asyncio::EventLoop& loop = asyncio::get_running_loop();
    HeBlackhole a("127.0.0.4");
    std::vector<net::AddrInfo> infos{he_info(AF_INET, "127.0.0.4", a.port), he_info(AF_INET, "127.0.0.4", a.port)};
    auto errors = std::make_shared<std::vector<std::exception_ptr>>();
    std::string text = "connected";
    try {
        (void)co_await asyncio::wait_for(detail::connect_staggered(loop, infos, std::nullopt, errors, 0.01), 0.1);
    } catch (const concurrence::TimeoutError&) {
        text = "TimeoutError";
    }
    co_return text;
}

TEST(HappyEyeballs, CancellingTheRaceCancelsItsAttempts) {
    const int fds_before = open_fd_count();
    EXPECT_EQ(asyncio::run(he_cancel_the_race()), "TimeoutError");
    EXPECT_EQ(open_fd_count(), fds_before);
}

}  // namespace
