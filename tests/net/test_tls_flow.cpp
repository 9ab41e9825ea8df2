// Flow control and the end of a TLS connection under the Protocol/Transport API, as CPython's
// Lib/asyncio/sslproto.py (3.11+): big transfers with paused readers (pause_writing and
// resume_writing on the writers, every byte in order), close() after a big write (all the
// data, then close_notify), abort() (what is buffered is dropped), writes after close(), and
// the server's close_clients() / abort_clients(). The rest: test_tls_transport.cpp.
#include <gtest/gtest.h>

#include <sys/socket.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tls_support.hpp"
#include "tp_support.hpp"

namespace {

using namespace net_tests;
using namespace tp_support;

// Python's FLOW_CONTROL_HIGH_WATER_SSL_WRITE and the low-water mark it implies.
constexpr std::size_t tlstf_high_water = 512 * 1024;
constexpr std::size_t tlstf_low_water = tlstf_high_water / 4;

// A recorder (tp_support's TpRecorder) that can pause its reading from connection_made, shrink
// its socket's kernel buffers (so that what the peer does not read stays in the transports),
// and write `to_send` in chunks as fast as flow control lets it (pausing at pause_writing,
// going on at resume_writing).
class TlstfPeer : public TpRecorder {
public:
    bool pause_reading_at_made = false;
    bool small_buffers = false;
    std::string to_send;
    std::size_t chunk = 64 * 1024;
    std::size_t sent = 0;
    bool writing_paused = false;
    std::size_t received_at_eof = 0;

    void connection_made(asyncio::Transport& t) override {
        TpRecorder::connection_made(t);
        if (small_buffers) {
            if (auto fd = t.get_extra_info<int>("socket")) {
                const int size = 32 * 1024;
                ::setsockopt(*fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
                ::setsockopt(*fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
            }
        }
        if (pause_reading_at_made) t.pause_reading();
        pump();
    }
    void pause_writing() override {
        TpRecorder::pause_writing();
        writing_paused = true;
    }
    void resume_writing() override {
        TpRecorder::resume_writing();
        writing_paused = false;
        pump();
    }
    bool eof_received() override {
        received_at_eof = received.size();
        return TpRecorder::eof_received();
    }
    void pump() {
        while (transport && !writing_paused && sent < to_send.size()) {
            const std::size_t n = std::min(chunk, to_send.size() - sent);
            transport->write(std::string_view(to_send).substr(sent, n));
            sent += n;
        }
    }
};

std::shared_ptr<TlstfPeer> tlstf_make_peer() { return std::make_shared<TlstfPeer>(); }

struct TlstfServed {
    std::vector<std::shared_ptr<TlstfPeer>> protocols;
    std::function<std::shared_ptr<TlstfPeer>()> make = tlstf_make_peer;
};

// A TLS server on 127.0.0.1 whose listening socket gives its connections a small receive buffer.
asyncio::Coro<asyncio::Server> tlstf_start_server(std::shared_ptr<TlstfServed> served) {
    auto& loop = asyncio::get_running_loop();
    std::function<std::shared_ptr<asyncio::Protocol>()> factory = [served]() -> std::shared_ptr<asyncio::Protocol> {
        auto p = served->make();
        served->protocols.push_back(p);
        return p;
    };
    net::ServerOptions options{.sock = tp_small_listener(), .ssl = tls_server_context()};
    co_return co_await loop.create_server(std::move(factory), "", 0, std::move(options));
}

struct TlstfClient {
    std::shared_ptr<asyncio::Transport> transport;
    std::shared_ptr<TlstfPeer> proto;
};

asyncio::Coro<TlstfClient> tlstf_connect(int port, std::function<std::shared_ptr<TlstfPeer>()> make = tlstf_make_peer) {
    auto& loop = asyncio::get_running_loop();
    net::ConnectionOptions options{.ssl = tls_client_context()};
    auto [transport, proto] = co_await loop.create_connection(std::move(make), "127.0.0.1", port, std::move(options));
    TlstfClient client;
    client.transport = std::move(transport);
    client.proto = std::move(proto);
    co_return client;
}

asyncio::Coro<bool> tlstf_wait_served(std::shared_ptr<TlstfServed> served, std::size_t n) {
    std::function<bool()> pred = [served, n] {
        if (served->protocols.size() < n) return false;
        return std::all_of(served->protocols.begin(), served->protocols.end(),
                           [](const auto& p) { return !p->events.empty(); });
    };
    co_return co_await tp_wait_until(std::move(pred));
}

// Waits (bounded) for the task to finish.
asyncio::Coro<bool> tlstf_wait_done(asyncio::Task<void> task) {
    std::function<bool()> done = [task] { return task.done(); };
    co_return co_await tp_wait_until(std::move(done));
}

asyncio::Coro<bool> tlstf_close_server(asyncio::Server server) {
    server.close();
    auto waiter = asyncio::create_task(server.wait_closed());
    const bool closed = co_await tlstf_wait_done(waiter);
    if (closed) co_await waiter;
    co_return closed;
}

using TlstfEvents = std::vector<std::string>;

// ---- 3. 8 MiB each way, both readers paused for a while

asyncio::Coro<> tlstf_big_transfer() {
    constexpr std::size_t size = 8u << 20;
    const std::string c2s = pattern_bytes(size);
    const std::string s2c(c2s.rbegin(), c2s.rend());
    auto served = std::make_shared<TlstfServed>();
    served->make = [s2c] {
        auto p = std::make_shared<TlstfPeer>();
        p->to_send = s2c;
        p->pause_reading_at_made = true;
        p->small_buffers = true;
        return p;
    };
    asyncio::Server server = co_await tlstf_start_server(served);
    std::function<std::shared_ptr<TlstfPeer>()> make = [&c2s] {
        auto p = std::make_shared<TlstfPeer>();
        p->to_send = c2s;
        p->pause_reading_at_made = true;
        p->small_buffers = true;
        return p;
    };
    TlstfClient c = co_await tlstf_connect(server_port(server), make);
    const bool made = co_await tlstf_wait_served(served, 1);
    EXPECT_TRUE(made);
    if (!made) co_return;
    auto s = served->protocols.at(0);

    // Neither side reads: both writers are paused, with the TLS write buffer at its high-water
    // mark, long before all is written.
    std::function<bool()> both_paused = [c, s] { return c.proto->pauses > 0 && s->pauses > 0; };
    const bool paused = co_await tp_wait_until(both_paused);
    EXPECT_TRUE(paused);
    if (!paused) co_return;
    EXPECT_GE(c.proto->size_at_pause, tlstf_high_water);
    EXPECT_GE(s->size_at_pause, tlstf_high_water);
    // (A writer may be resumed while the kernel's buffers still take data; once they are
    // full, both stay paused.)
    co_await tp_spin();
    std::function<bool()> stalled = [c, s] { return c.proto->writing_paused && s->writing_paused; };
    const bool stay_paused = co_await tp_wait_until(stalled);
    EXPECT_TRUE(stay_paused);
    co_await tp_spin();
    EXPECT_TRUE(c.proto->writing_paused);
    EXPECT_TRUE(s->writing_paused);
    EXPECT_LT(c.proto->sent, size);
    EXPECT_LT(s->sent, size);
    EXPECT_EQ(c.proto->received.size(), 0u);  // nothing delivered to a paused reader
    EXPECT_EQ(s->received.size(), 0u);
    EXPECT_FALSE(c.transport->is_reading());
    EXPECT_TRUE(s->transport && !s->transport->is_reading());
    if (!s->transport) co_return;

    // Reading again: everything flows, the writers are resumed (under the low-water mark).
    c.transport->resume_reading();
    s->transport->resume_reading();
    EXPECT_TRUE(c.transport->is_reading());
    EXPECT_TRUE(s->transport->is_reading());
    std::function<bool()> all_in = [c, s] {
        return c.proto->received.size() >= size && s->received.size() >= size;
    };
    const bool done = co_await tp_wait_until(all_in, 60.0);
    EXPECT_TRUE(done);
    EXPECT_EQ(c.proto->sent, size);
    EXPECT_EQ(s->sent, size);
    EXPECT_EQ(s->received.size(), size);
    EXPECT_TRUE(s->received == c2s);  // intact and in order
    EXPECT_EQ(c.proto->received.size(), size);
    EXPECT_TRUE(c.proto->received == s2c);
    EXPECT_GE(c.proto->resumes, 1);
    EXPECT_GE(s->resumes, 1);
    EXPECT_LE(c.proto->size_at_resume, tlstf_low_water);
    EXPECT_LE(s->size_at_resume, tlstf_low_water);
    EXPECT_EQ(c.proto->pauses, c.proto->resumes);
    EXPECT_EQ(s->pauses, s->resumes);
    EXPECT_FALSE(c.proto->lost);
    EXPECT_FALSE(s->lost);

    c.transport->close();
    const bool lost_s = co_await tp_wait_lost(s);
    const bool lost_c = co_await tp_wait_lost(c.proto);
    EXPECT_TRUE(lost_s && lost_c);
    EXPECT_FALSE(s->lost_exc) << tp_what(s->lost_exc);
    EXPECT_FALSE(c.proto->lost_exc) << tp_what(c.proto->lost_exc);
    const bool closed = co_await tlstf_close_server(server);
    EXPECT_TRUE(closed);
}

TEST(TLSFlow, EightMebibytesEachWayWithPausedReaders) { tp_run_checked(tlstf_big_transfer); }

// ---- 4. close() after a big write, abort(), writes after close()

// A server whose protocols do not read until told; a client with small kernel buffers.
struct TlstfPausedPair {
    asyncio::Server server;
    TlstfClient client;
    std::shared_ptr<TlstfPeer> served;
};

asyncio::Coro<TlstfPausedPair> tlstf_paused_pair(std::shared_ptr<TlstfServed> served) {
    served->make = [] {
        auto p = std::make_shared<TlstfPeer>();
        p->pause_reading_at_made = true;
        p->small_buffers = true;
        return p;
    };
    asyncio::Server server = co_await tlstf_start_server(served);
    std::function<std::shared_ptr<TlstfPeer>()> make = [] {
        auto p = std::make_shared<TlstfPeer>();
        p->small_buffers = true;
        return p;
    };
    TlstfClient c = co_await tlstf_connect(server_port(server), make);
    const bool made = co_await tlstf_wait_served(served, 1);
    EXPECT_TRUE(made);
    std::shared_ptr<TlstfPeer> s = made ? served->protocols.at(0) : nullptr;
    co_return TlstfPausedPair{server, std::move(c), std::move(s)};
}

asyncio::Coro<> tlstf_close_after_big_write() {
    const std::string data = pattern_bytes(1u << 20);
    auto served = std::make_shared<TlstfServed>();
    TlstfPausedPair pair = co_await tlstf_paused_pair(served);
    TlstfClient& c = pair.client;
    auto s = pair.served;
    if (!s) co_return;
    c.transport->write(data);
    c.transport->close();
    EXPECT_TRUE(c.transport->is_closing());
    co_await tp_spin();
    // The server reads nothing yet; the client waits for its close_notify.
    EXPECT_EQ(s->received.size(), 0u);
    EXPECT_FALSE(s->lost);
    EXPECT_FALSE(c.proto->lost);
    if (s->transport) s->transport->resume_reading();
    const bool lost_s = co_await tp_wait_lost(s);
    const bool lost_c = co_await tp_wait_lost(c.proto);
    EXPECT_TRUE(lost_s && lost_c);
    // Every byte, then the client's close_notify (eof_received), then connection_lost(None).
    EXPECT_EQ(s->received.size(), data.size());
    EXPECT_TRUE(s->received == data);
    EXPECT_EQ(s->received_at_eof, data.size());
    EXPECT_EQ(s->events, (TlstfEvents{"made", "data", "eof", "lost"}));
    EXPECT_FALSE(s->lost_exc) << tp_what(s->lost_exc);
    EXPECT_EQ(c.proto->events, (TlstfEvents{"made", "eof", "lost"}));
    EXPECT_FALSE(c.proto->lost_exc) << tp_what(c.proto->lost_exc);
    const bool closed = co_await tlstf_close_server(pair.server);
    EXPECT_TRUE(closed);
}

TEST(TLSFlow, CloseAfterABigWriteDeliversEveryByteBeforeTheEnd) { tp_run_checked(tlstf_close_after_big_write); }

asyncio::Coro<> tlstf_abort_drops_buffered() {
    const std::string data = pattern_bytes(4u << 20);
    auto served = std::make_shared<TlstfServed>();
    TlstfPausedPair pair = co_await tlstf_paused_pair(served);
    TlstfClient& c = pair.client;
    auto s = pair.served;
    if (!s) co_return;
    c.transport->write(data);
    co_await tp_spin();  // the kernel's buffers fill up; the rest waits in the client's transports
    EXPECT_FALSE(s->lost);
    c.transport->abort();
    EXPECT_TRUE(c.transport->is_closing());
    c.transport->write("after abort");  // dropped, quietly
    const bool lost_c = co_await tp_wait_lost(c.proto);
    EXPECT_TRUE(lost_c);
    EXPECT_EQ(c.proto->events, (TlstfEvents{"made", "lost"}));
    EXPECT_FALSE(c.proto->lost_exc) << tp_what(c.proto->lost_exc);
    // The server gets what had reached its kernel, then the end of the connection (maybe an
    // error): not the rest, nor anything written after the abort.
    if (s->transport) s->transport->resume_reading();
    const bool lost_s = co_await tp_wait_lost(s);
    EXPECT_TRUE(lost_s);
    EXPECT_LT(s->received.size(), data.size());
    EXPECT_TRUE(s->received == data.substr(0, s->received.size()));
    EXPECT_FALSE(s->events.empty());
    if (!s->events.empty()) {
        EXPECT_EQ(s->events.front(), "made");
    }
    EXPECT_EQ(s->lost_calls, 1);
    const bool closed = co_await tlstf_close_server(pair.server);
    EXPECT_TRUE(closed);
}

TEST(TLSFlow, AbortDropsWhatIsBufferedAndEndsBothSides) { tp_run_checked(tlstf_abort_drops_buffered); }

asyncio::Coro<> tlstf_writes_after_close() {
    auto served = std::make_shared<TlstfServed>();
    asyncio::Server server = co_await tlstf_start_server(served);
    TlstfClient c = co_await tlstf_connect(server_port(server));
    const bool made = co_await tlstf_wait_served(served, 1);
    EXPECT_TRUE(made);
    if (!made) co_return;
    auto s = served->protocols.at(0);
    std::string thrown;
    try {
        c.transport->write("before close");
        c.transport->close();
        // Python drops them (logging "SSL connection is closed" after 5).
        for (int i = 0; i < 8; ++i) c.transport->write("after close");
    } catch (const std::exception& e) {
        thrown = e.what();
    }
    EXPECT_EQ(thrown, "");
    const bool lost_s = co_await tp_wait_lost(s);
    const bool lost_c = co_await tp_wait_lost(c.proto);
    EXPECT_TRUE(lost_s && lost_c);
    try {
        c.transport->write("after connection_lost");
    } catch (const std::exception& e) {
        thrown = e.what();
    }
    EXPECT_EQ(thrown, "");
    co_await tp_spin();
    EXPECT_EQ(s->received, "before close");
    EXPECT_EQ(s->events, (TlstfEvents{"made", "data", "eof", "lost"}));
    EXPECT_FALSE(s->lost_exc) << tp_what(s->lost_exc);
    EXPECT_FALSE(c.proto->lost_exc) << tp_what(c.proto->lost_exc);
    const bool closed = co_await tlstf_close_server(server);
    EXPECT_TRUE(closed);
}

TEST(TLSFlow, WritesAfterCloseAreDroppedWithoutAnError) { tp_run_checked(tlstf_writes_after_close); }

// ---- 7. Server.close_clients() / abort_clients() on a TLS server

asyncio::Coro<> tlstf_close_clients(bool abort) {
    auto& loop = asyncio::get_running_loop();
    auto log = tp_capture_handler(loop);
    const std::string big = pattern_bytes(8u << 20);
    auto served = std::make_shared<TlstfServed>();
    served->make = [] {
        auto p = std::make_shared<TlstfPeer>();
        p->small_buffers = true;
        return p;
    };
    asyncio::Server server = co_await tlstf_start_server(served);
    std::function<std::shared_ptr<TlstfPeer>()> make = [abort] {
        auto p = std::make_shared<TlstfPeer>();
        p->small_buffers = true;
        p->pause_reading_at_made = abort;
        return p;
    };
    TlstfClient c1 = co_await tlstf_connect(server_port(server), make);
    TlstfClient c2 = co_await tlstf_connect(server_port(server), make);
    const bool both = co_await tlstf_wait_served(served, 2);
    EXPECT_TRUE(both);
    if (!both) co_return;
    if (abort) {
        // Something buffered on the server side that the clients do not read: abort drops it.
        for (auto& p : served->protocols)
            if (p->transport) p->transport->write(big);
        co_await tp_spin();
    }
    server.close();
    auto waiter = asyncio::create_task(server.wait_closed());
    co_await tp_spin();
    EXPECT_FALSE(waiter.done());  // the connections are still open
    abort ? server.abort_clients() : server.close_clients();
    const bool closed = co_await tlstf_wait_done(waiter);
    EXPECT_TRUE(closed);
    if (closed) co_await waiter;
    for (auto& p : served->protocols) {
        const bool lost = co_await tp_wait_lost(p);
        EXPECT_TRUE(lost);
        EXPECT_EQ(p->events, (TlstfEvents{"made", "lost"}));
        EXPECT_FALSE(p->lost_exc) << tp_what(p->lost_exc);
    }
    // The clients see their connections end.
    c1.transport->resume_reading();
    c2.transport->resume_reading();
    std::vector<TlstfClient*> clients{&c1, &c2};
    for (TlstfClient* c : clients) {
        const bool lost = co_await tp_wait_lost(c->proto);
        EXPECT_TRUE(lost);
        EXPECT_EQ(c->proto->lost_calls, 1);
        if (abort) {
            EXPECT_LT(c->proto->received.size(), big.size());
            EXPECT_TRUE(c->proto->received == big.substr(0, c->proto->received.size()));
        } else {
            // The socket closed under the TLS session (no close_notify, as Python's
            // close_clients closes the socket transports): EOF, then connection_lost(None).
            EXPECT_EQ(c->proto->events, (TlstfEvents{"made", "eof", "lost"}));
            EXPECT_FALSE(c->proto->lost_exc) << tp_what(c->proto->lost_exc);
        }
    }
    EXPECT_EQ(log->messages, TlstfEvents{});
}

TEST(TLSFlow, CloseClientsClosesTheTLSConnections) {
    tp_run_checked([] { return tlstf_close_clients(false); });
}

TEST(TLSFlow, AbortClientsAbortsTheTLSConnections) {
    tp_run_checked([] { return tlstf_close_clients(true); });
}

// ---- the water marks, compared as sslproto.py compares them

// Python's SSLProtocol._control_app_writing pauses at size >= high (the socket transports'
// _maybe_pause_protocol: size > high): with high = 0, set_write_buffer_limits pauses the
// protocol at once, and setting the defaults back resumes it.
asyncio::Coro<> tlstf_pause_at_high_water_itself() {
    auto served = std::make_shared<TlstfServed>();
    asyncio::Server server = co_await tlstf_start_server(served);
    TlstfClient c = co_await tlstf_connect(server_port(server));
    EXPECT_EQ(c.transport->get_write_buffer_size(), 0u);
    c.transport->set_write_buffer_limits(0);
    EXPECT_EQ(c.proto->pauses, 1);
    c.transport->set_write_buffer_limits();
    EXPECT_EQ(c.proto->resumes, 1);
    EXPECT_EQ(c.proto->events, (TlstfEvents{"made", "pause", "resume"}));
    c.transport->close();
    const bool lost = co_await tp_wait_lost(c.proto);
    EXPECT_TRUE(lost);
    const bool closed = co_await tlstf_close_server(server);
    EXPECT_TRUE(closed);
}

TEST(TLSFlow, PauseWritingAtTheHighWaterMarkItself) {
    tp_run_checked(tlstf_pause_at_high_water_itself);
}

}  // namespace
