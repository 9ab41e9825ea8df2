// Transports and protocols: a first echo round trip (CPython's test_events.py, in small).
#include <gtest/gtest.h>

#include "net_support.hpp"

namespace {

using namespace net_tests;

class EchoServerProtocol : public asyncio::Protocol {
public:
    void connection_made(asyncio::Transport& t) override { transport_ = &t; }
    void data_received(std::string_view data) override { transport_->write(data); }

private:
    asyncio::Transport* transport_ = nullptr;
};

class RecordingClient : public asyncio::Protocol {
public:
    std::string received;
    std::vector<std::string> events;
    asyncio::Transport* transport = nullptr;
    void connection_made(asyncio::Transport& t) override {
        transport = &t;
        events.push_back("made");
    }
    void data_received(std::string_view data) override { received += data; }
    bool eof_received() override {
        events.push_back("eof");
        return false;
    }
    void connection_lost(std::exception_ptr e) override { events.push_back(e ? "lost:error" : "lost"); }
};

asyncio::Coro<std::vector<std::string>> echo_once() {
    auto& loop = asyncio::get_running_loop();
    asyncio::Server server =
        co_await loop.create_server([] { return std::make_shared<EchoServerProtocol>(); }, "127.0.0.1", 0);
    const net::Address where = server.sockets().at(0).getsockname();
    auto [transport, client] =
        co_await loop.create_connection([] { return std::make_shared<RecordingClient>(); }, "127.0.0.1", where.port);
    transport->write("hello ");
    transport->write("world");
    while (client->received.size() < 11) co_await asyncio::sleep(0.001);
    EXPECT_EQ(client->received, "hello world");
    EXPECT_EQ(transport->get_extra_info<net::Address>("peername"), where);
    transport->close();
    while (client->events.size() < 2) co_await asyncio::sleep(0);
    server.close();
    co_await server.wait_closed();
    co_return client->events;
}

TEST(TransportSmoke, EchoRoundTrip) {
    const int fds_before = open_fd_count();
    auto events = asyncio::run(echo_once());
    EXPECT_EQ(events, (std::vector<std::string>{"made", "lost"}));
    EXPECT_EQ(open_fd_count(), fds_before);
}

}  // namespace
