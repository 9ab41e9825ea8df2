// How a stream transport reads, at the edges of the io_uring completion path (run on both
// backends like the whole network suite): more connections with data at once than the poller
// has receive buffers, pause_reading called from outside the transport's step while a receive
// is in the kernel, and a paused transport closed with what it read still held.
#include <gtest/gtest.h>

#include <sys/socket.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tp_support.hpp"

namespace {

using namespace tp_support;

// Echoes, but reads nothing until the test resumes it.
struct TrcPausedEcho : TpRecorder {
    void connection_made(asyncio::Transport& t) override {
        TpRecorder::connection_made(t);
        t.pause_reading();
    }
    void data_received(std::string_view data) override {
        TpRecorder::data_received(data);
        transport->write(data);
    }
};

struct TrcServed {
    std::vector<std::shared_ptr<TpRecorder>> protocols;
};

// 320 connections (the io_uring poller has 256 receive buffers) whose data all waits in their
// sockets when reading is resumed for all of them in one go: every receive finds data at once,
// some find the pool empty and the transport reads by itself. Every byte comes back, in order.
asyncio::Coro<> trc_more_connections_than_buffers() {
    constexpr int connections = 320;
    auto& loop = asyncio::get_running_loop();
    auto served = std::make_shared<TrcServed>();
    std::function<std::shared_ptr<TpRecorder>()> factory = [served] {
        auto p = std::make_shared<TrcPausedEcho>();
        served->protocols.push_back(p);
        return p;
    };
    asyncio::Server server = co_await loop.create_server(factory, "127.0.0.1", 0, {.backlog = connections});
    const net::Address where = server.sockets().at(0).getsockname();
    std::vector<net::Socket> clients;
    std::vector<std::string> sent;
    for (int i = 0; i < connections; ++i) {
        net::Socket s(AF_INET, SOCK_STREAM);
        s.setblocking(false);
        co_await loop.sock_connect(s, where);
        std::string message = "connection " + std::to_string(i) + ": " + std::string(static_cast<std::size_t>(50 + i), 'x');
        co_await loop.sock_sendall(s, message);
        sent.push_back(std::move(message));
        clients.push_back(std::move(s));
    }
    std::function<bool()> all_made = [served] { return served->protocols.size() == connections; };
    const bool made = co_await tp_wait_until(all_made);
    EXPECT_TRUE(made);
    co_await tp_spin();  // the data is in the server's sockets; nothing was read
    for (const auto& p : served->protocols) EXPECT_EQ(p->data_calls, 0);
    for (const auto& p : served->protocols) p->transport->resume_reading();
    for (int i = 0; i < connections; ++i) {
        const std::string back = co_await tp_recv_exactly(clients[static_cast<std::size_t>(i)], sent[static_cast<std::size_t>(i)].size());
        EXPECT_EQ(back, sent[static_cast<std::size_t>(i)]) << "connection " << i;
    }
    clients.clear();
    server.close();
    co_await server.wait_closed();
    std::function<bool()> all_lost = [served] {
        for (const auto& p : served->protocols)
            if (!p->lost) return false;
        return true;
    };
    const bool lost = co_await tp_wait_until(all_lost);
    EXPECT_TRUE(lost);
}

TEST(TrcTransport, MoreConnectionsWithDataThanReceiveBuffers) { tp_run_checked(trc_more_connections_than_buffers); }

// pause_reading from another task, then the peer sends at once: on io_uring the receive in
// the kernel may read it before the cancel lands; it is kept, not delivered, until resume.
asyncio::Coro<> trc_pause_from_outside() {
    TpConn c = co_await tp_connect();
    std::string expected;
    for (int round = 0; round < 200; ++round) {
        const std::string chunk = "round " + std::to_string(round) + ";";
        c.transport->pause_reading();
        const int calls = c.proto->data_calls;
        EXPECT_EQ(::send(c.peer.fileno(), chunk.data(), chunk.size(), MSG_NOSIGNAL), static_cast<ssize_t>(chunk.size()));
        expected += chunk;
        for (int k = 0; k < 3; ++k) co_await asyncio::sleep(0);
        EXPECT_EQ(c.proto->data_calls, calls);  // paused: nothing delivered
        c.transport->resume_reading();
        const bool ok = co_await tp_wait_received(c.proto, expected.size());
        EXPECT_TRUE(ok);
        if (!ok) break;
    }
    EXPECT_EQ(c.proto->received, expected);
    // The end of the stream while paused is held too, and comes after the data.
    const bool lost = co_await tp_end_while_paused(c, "last");
    EXPECT_TRUE(lost);
    EXPECT_EQ(c.proto->received, expected + "last");
    EXPECT_EQ(c.proto->events, (std::vector<std::string>{"made", "data", "eof", "lost"}));
}

TEST(TrcTransport, PauseFromOutsideWhileDataArrivesLosesNothing) { tp_run_checked(trc_pause_from_outside); }

// Pauses in every data_received (a slow consumer), and remembers the largest piece it got.
struct TrcPausingRecorder : TpRecorder {
    std::size_t largest = 0;
    void data_received(std::string_view data) override {
        TpRecorder::data_received(data);
        largest = std::max(largest, data.size());
        transport->pause_reading();
    }
};

// A bulk stream to a protocol that pauses after every piece and is resumed one iteration
// later: on io_uring what the kernel read past each pause is held and handed over a read's
// worth at a time (Python's max_size, 256 KiB), never more, and the stream arrives whole and
// in order.
asyncio::Coro<> trc_bulk_to_a_pausing_protocol() {
    auto& loop = asyncio::get_running_loop();
    auto rec = std::make_shared<TrcPausingRecorder>();
    std::function<std::shared_ptr<TpRecorder>()> factory = [rec] { return rec; };
    TpConn c = co_await tp_connect(factory);
    std::string sent(4 * 1024 * 1024, '\0');
    for (std::size_t i = 0; i < sent.size(); ++i) sent[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
    auto sender = asyncio::create_task(loop.sock_sendall(c.peer, sent));
    for (int i = 0; i < 200000 && rec->received.size() < sent.size(); ++i) {
        co_await asyncio::sleep(0);
        c.transport->resume_reading();
    }
    co_await sender;
    EXPECT_EQ(rec->received.size(), sent.size());
    EXPECT_TRUE(rec->received == sent) << "not the stream that was sent";
    EXPECT_LE(rec->largest, std::size_t{256 * 1024});
    EXPECT_GT(rec->data_calls, 16);  // it really paused: more than 16 reads of 256 KiB
}

TEST(TrcTransport, BulkToAProtocolThatPausesAfterEveryPiece) { tp_run_checked(trc_bulk_to_a_pausing_protocol); }

// Closed (or aborted) while paused with data read but not delivered: nothing is delivered,
// the socket closes, no descriptor or buffer is left behind.
asyncio::Coro<> trc_close_paused(bool abort) {
    auto& loop = asyncio::get_running_loop();
    TpConn c = co_await tp_connect();
    c.transport->pause_reading();
    co_await loop.sock_sendall(c.peer, "never delivered");
    co_await tp_spin();
    if (abort)
        c.transport->abort();
    else
        c.transport->close();
    const bool lost = co_await tp_wait_lost(c.proto);
    EXPECT_TRUE(lost);
    EXPECT_EQ(c.proto->data_calls, 0);
    EXPECT_EQ(c.proto->received, "");
    const std::string rest = co_await tp_recv_all(c.peer);  // the peer sees the end
    EXPECT_EQ(rest, "");
}

asyncio::Coro<> trc_close_paused_with_close() { co_await trc_close_paused(false); }
asyncio::Coro<> trc_close_paused_with_abort() { co_await trc_close_paused(true); }

TEST(TrcTransport, ClosingAPausedTransportWithUnreadDataLeaksNothing) { tp_run_checked(trc_close_paused_with_close); }
TEST(TrcTransport, AbortingAPausedTransportWithUnreadDataLeaksNothing) { tp_run_checked(trc_close_paused_with_abort); }

// The loop closes while transports wait in the kernel with receives armed, one of them
// paused with data held: the loop's close lets go of all, nothing leaks.
asyncio::Coro<> trc_open_four(std::vector<TpConn>* conns) {
    auto& loop = asyncio::get_running_loop();
    for (int i = 0; i < 4; ++i) {
        TpConn c = co_await tp_connect();
        conns->push_back(std::move(c));
    }
    (*conns)[0].transport->pause_reading();
    co_await loop.sock_sendall((*conns)[0].peer, "held");
    co_await tp_spin();
}

TEST(TrcTransport, ClosingTheLoopWithReceivesInTheKernel) {
    const int fds_before = open_fd_count();
    {
        asyncio::EventLoop loop;
        std::vector<TpConn> conns;
        loop.run_until_complete(trc_open_four(&conns));
        loop.close();
        for (auto& c : conns) EXPECT_EQ(c.proto->data_calls, 0);
    }
    EXPECT_EQ(open_fd_count(), fds_before);
}

}  // namespace
