// Streams: the Python docs' TCP echo client and server, in small.
#include <gtest/gtest.h>

#include "net_support.hpp"

namespace {

using namespace net_tests;

asyncio::Coro<> handle_echo(asyncio::StreamReader reader, asyncio::StreamWriter writer) {
    std::string data = co_await reader.read(100);
    writer.write(data);
    co_await writer.drain();
    writer.close();
    co_await writer.wait_closed();
}

asyncio::Coro<std::string> echo_client(int port, std::string message) {
    auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port);
    writer.write(message);
    co_await writer.drain();
    std::string data = co_await reader.read(100);
    writer.close();
    co_await writer.wait_closed();
    co_return data;
}

asyncio::Coro<std::string> echo_session() {
    asyncio::Server server = co_await asyncio::start_server(handle_echo, "127.0.0.1", 0);
    const int port = server.sockets().at(0).getsockname().port;
    std::string reply = co_await echo_client(port, "Hello World!");
    server.close();
    co_await server.wait_closed();
    co_return reply;
}

TEST(StreamsSmoke, DocsEchoClientAndServer) {
    const int fds_before = open_fd_count();
    EXPECT_EQ(asyncio::run(echo_session()), "Hello World!");
    EXPECT_EQ(open_fd_count(), fds_before);
}

asyncio::Coro<std::vector<std::string>> lines_of(std::string text) {
    asyncio::StreamReader reader;
    reader.feed_data(text);
    reader.feed_eof();
    std::vector<std::string> lines;
    while (auto line = co_await reader.next()) lines.push_back(*line);
    co_return lines;
}

TEST(StreamsSmoke, AsyncIterationByLines) {
    EXPECT_EQ(asyncio::run(lines_of("a\nbb\nccc")), (std::vector<std::string>{"a\n", "bb\n", "ccc"}));
}

}  // namespace
