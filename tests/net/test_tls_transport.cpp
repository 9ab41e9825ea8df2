// The Protocol/Transport API over TLS (loop.create_connection / create_server with ssl=), as
// CPython's Lib/asyncio/sslproto.py (3.11+) has it: the app protocol is connected after the
// handshake (and never if it fails), the peer's close_notify is eof_received then
// connection_lost(None), write_eof is not supported, the write buffer limits are the TLS ones,
// a cancelled create_connection leaves nothing open, and an exception of the app protocol is a
// fatal error of the connection ("Fatal error on SSL protocol").
// Flow control, close/abort with data buffered and the server's close_clients: test_tls_flow.cpp.
#include <gtest/gtest.h>

#include <sys/socket.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "tls_support.hpp"
#include "tp_support.hpp"

namespace {

using namespace net_tests;
using namespace tp_support;

// A recorder (tp_support's TpRecorder) that also notes what the TLS transport tells inside
// connection_made, and can echo, throw or close on demand.
class TlstRecorder : public TpRecorder {
public:
    // What it does.
    bool echo = false;           // writes back what it receives
    bool close_at_made = false;  // closes its transport in connection_made
    bool throw_in_data = false;  // data_received throws
    // What connection_made saw.
    std::optional<ssl::PeerCert> peercert_at_made;
    bool cipher_at_made = false;
    bool ssl_object_at_made = false;
    bool protocol_is_self = false;
    bool closing_at_made = true;
    std::size_t received_at_eof = 0;

    void connection_made(asyncio::Transport& t) override {
        TpRecorder::connection_made(t);
        peercert_at_made = t.get_extra_info<ssl::PeerCert>("peercert");
        cipher_at_made = t.get_extra_info<ssl::Cipher>("cipher").has_value();
        ssl_object_at_made = t.get_extra_info<ssl::SSLObject>("ssl_object").has_value();
        protocol_is_self = &t.get_protocol() == static_cast<asyncio::BaseProtocol*>(this);
        closing_at_made = t.is_closing();
        if (close_at_made) t.close();
    }
    void data_received(std::string_view data) override {
        TpRecorder::data_received(data);
        if (throw_in_data) throw std::runtime_error("tlst: data_received failed");
        if (echo && transport) transport->write(data);
    }
    bool eof_received() override {
        received_at_eof = received.size();
        return TpRecorder::eof_received();
    }
};

std::shared_ptr<TlstRecorder> tlst_make_recorder() { return std::make_shared<TlstRecorder>(); }

// The protocols a TLS server made, in order; `make` says how to make the next one.
struct TlstServed {
    std::vector<std::shared_ptr<TlstRecorder>> protocols;
    std::function<std::shared_ptr<TlstRecorder>()> make = tlst_make_recorder;
};

// A TLS server on 127.0.0.1 (the tests' localhost certificate) whose protocols `served` records.
asyncio::Coro<asyncio::Server> tlst_start_server(std::shared_ptr<TlstServed> served,
                                                 const char* cert = "localhost.pem") {
    auto& loop = asyncio::get_running_loop();
    std::function<std::shared_ptr<asyncio::Protocol>()> factory = [served]() -> std::shared_ptr<asyncio::Protocol> {
        auto p = served->make();
        served->protocols.push_back(p);
        return p;
    };
    net::ServerOptions options{.ssl = tls_server_context(cert)};
    co_return co_await loop.create_server(std::move(factory), "127.0.0.1", 0, std::move(options));
}

struct TlstClient {
    std::shared_ptr<asyncio::Transport> transport;
    std::shared_ptr<TlstRecorder> proto;
};

// A TLS client connection to 127.0.0.1:port, trusting the tests' CA.
asyncio::Coro<TlstClient> tlst_connect(int port,
                                       std::function<std::shared_ptr<TlstRecorder>()> make = tlst_make_recorder) {
    auto& loop = asyncio::get_running_loop();
    net::ConnectionOptions options{.ssl = tls_client_context()};
    auto [transport, proto] = co_await loop.create_connection(std::move(make), "127.0.0.1", port, std::move(options));
    TlstClient client;
    client.transport = std::move(transport);
    client.proto = std::move(proto);
    co_return client;
}

// Waits (bounded) until every protocol the server made has heard connection_made.
asyncio::Coro<bool> tlst_wait_served(std::shared_ptr<TlstServed> served, std::size_t n) {
    std::function<bool()> pred = [served, n] {
        if (served->protocols.size() < n) return false;
        return std::all_of(served->protocols.begin(), served->protocols.end(),
                           [](const auto& p) { return !p->events.empty(); });
    };
    co_return co_await tp_wait_until(std::move(pred));
}

// Closes the server and waits (bounded) for wait_closed: every connection it accepted is gone.
asyncio::Coro<bool> tlst_close_server(asyncio::Server server) {
    server.close();
    auto waiter = asyncio::create_task(server.wait_closed());
    std::function<bool()> done = [waiter] { return waiter.done(); };
    const bool closed = co_await tp_wait_until(std::move(done));
    if (closed) co_await waiter;
    co_return closed;
}

bool tlst_has_common_name(const ssl::PeerCert& cert, const std::string& name) {
    for (const auto& rdn : cert.subject)
        for (const auto& [key, value] : rdn)
            if (key == "commonName" && value == name) return true;
    return false;
}

using TlstEvents = std::vector<std::string>;

// ---- 1. the order of the callbacks, on both sides

asyncio::Coro<> tlst_callback_order() {
    auto log = tp_capture_handler(asyncio::get_running_loop());
    auto served = std::make_shared<TlstServed>();
    served->make = [] {
        auto p = std::make_shared<TlstRecorder>();
        p->echo = true;
        return p;
    };
    asyncio::Server server = co_await tlst_start_server(served);
    TlstClient c = co_await tlst_connect(server_port(server));

    // create_connection returns once the handshake is done and connection_made has run, in
    // which the handshake's extra info was there already.
    EXPECT_EQ(c.proto->events, TlstEvents{"made"});
    EXPECT_EQ(c.proto->transport, c.transport.get());
    EXPECT_TRUE(c.proto->peercert_at_made.has_value());
    if (c.proto->peercert_at_made) {
        EXPECT_TRUE(tlst_has_common_name(*c.proto->peercert_at_made, "localhost"));
    }
    EXPECT_TRUE(c.proto->cipher_at_made);
    EXPECT_TRUE(c.proto->ssl_object_at_made);
    EXPECT_TRUE(c.proto->protocol_is_self);
    EXPECT_FALSE(c.proto->closing_at_made);

    c.transport->write("hello over TLS");
    const bool echoed = co_await tp_wait_received(c.proto, 14);
    EXPECT_TRUE(echoed);
    EXPECT_EQ(c.proto->received, "hello over TLS");
    const bool made = co_await tlst_wait_served(served, 1);
    EXPECT_TRUE(made);
    if (!made) co_return;
    auto s = served->protocols.at(0);
    // The server's app protocol: connected after its handshake too (the client sent no
    // certificate: no peercert, Python's None).
    EXPECT_TRUE(s->ssl_object_at_made);
    EXPECT_TRUE(s->cipher_at_made);
    EXPECT_FALSE(s->peercert_at_made.has_value());
    EXPECT_TRUE(s->protocol_is_self);
    EXPECT_EQ(s->received, "hello over TLS");

    // The client closes: the server hears eof_received (its close_notify), then
    // connection_lost(None); the client, once the server's close_notify is back, the same.
    c.transport->close();
    const bool server_lost = co_await tp_wait_lost(s);
    const bool client_lost = co_await tp_wait_lost(c.proto);
    EXPECT_TRUE(server_lost);
    EXPECT_TRUE(client_lost);
    EXPECT_EQ(s->events, (TlstEvents{"made", "data", "eof", "lost"}));
    EXPECT_EQ(s->lost_calls, 1);
    EXPECT_FALSE(s->lost_exc) << tp_what(s->lost_exc);
    EXPECT_FALSE(s->data_before_made);
    EXPECT_EQ(s->received_at_eof, 14u);
    // Python's _do_shutdown calls _call_eof_received once the peer's close_notify came.
    EXPECT_EQ(c.proto->events, (TlstEvents{"made", "data", "eof", "lost"}));
    EXPECT_EQ(c.proto->lost_calls, 1);
    EXPECT_FALSE(c.proto->lost_exc) << tp_what(c.proto->lost_exc);
    EXPECT_FALSE(c.proto->data_before_made);
    const bool closed = co_await tlst_close_server(server);
    EXPECT_TRUE(closed);
    EXPECT_EQ(log->messages, TlstEvents{});
}

TEST(TLSTransport, CallbacksComeInOrderOnBothSides) { tp_run_checked(tlst_callback_order); }

// A handshake that fails (the server's certificate does not verify): create_connection
// throws the verification error, and neither side's app protocol hears anything.
asyncio::Coro<> tlst_handshake_failure() {
    auto log = tp_capture_handler(asyncio::get_running_loop());
    auto served = std::make_shared<TlstServed>();
    asyncio::Server server = co_await tlst_start_server(served, "selfsigned.pem");
    std::shared_ptr<TlstRecorder> client_proto;
    std::function<std::shared_ptr<TlstRecorder>()> make = [&client_proto] {
        client_proto = std::make_shared<TlstRecorder>();
        return client_proto;
    };
    std::string outcome = "connected";
    try {
        TlstClient c = co_await tlst_connect(server_port(server), make);
        c.transport->abort();
    } catch (const ssl::SSLCertVerificationError& e) {
        outcome = std::string("SSLCertVerificationError ") + std::to_string(e.verify_code());
    } catch (const std::exception& e) {
        outcome = std::string("other: ") + e.what();
    }
    EXPECT_EQ(outcome, "SSLCertVerificationError 18");  // self-signed
    EXPECT_TRUE(client_proto);                          // made by the factory before the handshake...
    if (!client_proto) co_return;
    // wait_closed: the server's connection is gone too.
    const bool closed = co_await tlst_close_server(server);
    EXPECT_TRUE(closed);
    co_await tp_spin();
    EXPECT_EQ(client_proto->events, TlstEvents{});  // ...but never connected
    EXPECT_EQ(served->protocols.size(), 1u);
    for (auto& p : served->protocols) EXPECT_EQ(p->events, TlstEvents{});
    // An SSLError is an OSError: Python does not report it.
    EXPECT_EQ(log->messages, TlstEvents{});
}

TEST(TLSTransport, FailedHandshakeNeverConnectsTheAppProtocols) { tp_run_checked(tlst_handshake_failure); }

// ---- 2. write_eof and the write buffer limits

asyncio::Coro<> tlst_write_eof_and_limits() {
    auto served = std::make_shared<TlstServed>();
    asyncio::Server server = co_await tlst_start_server(served);
    TlstClient c = co_await tlst_connect(server_port(server));
    const bool made = co_await tlst_wait_served(served, 1);
    EXPECT_TRUE(made);
    if (!made) co_return;
    std::vector<asyncio::Transport*> transports{c.transport.get(), served->protocols.at(0)->transport};
    for (asyncio::Transport* t : transports) {
        std::string what = "no exception";
        try {
            t->write_eof();
        } catch (const concurrence::NotImplementedError& e) {
            what = std::string("NotImplementedError: ") + e.what();
        } catch (const std::exception& e) {
            what = std::string("other: ") + e.what();
        }
        EXPECT_EQ(what, "NotImplementedError: SSL doesn't support half-closes");
        EXPECT_FALSE(t->can_write_eof());
        // Python's FLOW_CONTROL_HIGH_WATER_SSL_WRITE (512 KiB), low = high / 4.
        EXPECT_EQ(t->get_write_buffer_limits(), (std::pair<std::size_t, std::size_t>{131072, 524288}));
        what = "no exception";
        try {
            t->set_write_buffer_limits(10, 20);
        } catch (const concurrence::ValueError& e) {
            what = std::string("ValueError: ") + e.what();
        }
        EXPECT_EQ(what, "ValueError: high (10) must be >= low (20) must be >= 0");
        EXPECT_EQ(t->get_write_buffer_limits(), (std::pair<std::size_t, std::size_t>{131072, 524288}));
        t->set_write_buffer_limits(1000);
        EXPECT_EQ(t->get_write_buffer_limits(), (std::pair<std::size_t, std::size_t>{250, 1000}));
        t->set_write_buffer_limits(std::nullopt, 100);
        EXPECT_EQ(t->get_write_buffer_limits(), (std::pair<std::size_t, std::size_t>{100, 400}));
        t->set_write_buffer_limits();  // back to the TLS defaults
        EXPECT_EQ(t->get_write_buffer_limits(), (std::pair<std::size_t, std::size_t>{131072, 524288}));
    }
    // The connection still works after all that.
    c.transport->write("still open");
    auto s = served->protocols.at(0);
    const bool got = co_await tp_wait_received(s, 10);
    EXPECT_TRUE(got);
    EXPECT_EQ(s->received, "still open");
    c.transport->close();
    const bool lost = co_await tp_wait_lost(c.proto);
    EXPECT_TRUE(lost);
    const bool closed = co_await tlst_close_server(server);
    EXPECT_TRUE(closed);
}

TEST(TLSTransport, NoHalfCloseAndTheTLSWriteBufferLimits) { tp_run_checked(tlst_write_eof_and_limits); }

// ---- 5. is_closing and get_protocol

asyncio::Coro<> tlst_is_closing_and_protocol() {
    auto served = std::make_shared<TlstServed>();
    asyncio::Server server = co_await tlst_start_server(served);
    TlstClient c = co_await tlst_connect(server_port(server));
    TlstClient d = co_await tlst_connect(server_port(server));
    const bool made = co_await tlst_wait_served(served, 2);
    EXPECT_TRUE(made);
    if (!made) co_return;
    for (auto& p : served->protocols) {
        EXPECT_TRUE(p->protocol_is_self);
        EXPECT_FALSE(p->closing_at_made);
    }
    EXPECT_EQ(&c.transport->get_protocol(), static_cast<asyncio::BaseProtocol*>(c.proto.get()));
    EXPECT_EQ(&d.transport->get_protocol(), static_cast<asyncio::BaseProtocol*>(d.proto.get()));
    EXPECT_FALSE(c.transport->is_closing());
    EXPECT_TRUE(c.transport->is_reading());
    c.transport->close();
    EXPECT_TRUE(c.transport->is_closing());
    // Still its protocol's while it closes; a second close changes nothing.
    EXPECT_EQ(&c.transport->get_protocol(), static_cast<asyncio::BaseProtocol*>(c.proto.get()));
    c.transport->close();
    EXPECT_TRUE(c.transport->is_closing());
    EXPECT_FALSE(d.transport->is_closing());
    d.transport->abort();
    EXPECT_TRUE(d.transport->is_closing());
    const bool lost_c = co_await tp_wait_lost(c.proto);
    const bool lost_d = co_await tp_wait_lost(d.proto);
    EXPECT_TRUE(lost_c && lost_d);
    EXPECT_EQ(c.proto->lost_calls, 1);
    EXPECT_EQ(d.proto->lost_calls, 1);
    EXPECT_TRUE(c.transport->is_closing());
    EXPECT_TRUE(d.transport->is_closing());
    const bool closed = co_await tlst_close_server(server);
    EXPECT_TRUE(closed);
}

TEST(TLSTransport, IsClosingAfterCloseAndGetProtocolIsTheAppProtocol) { tp_run_checked(tlst_is_closing_and_protocol); }

// ---- 6. a server that closes in connection_made

asyncio::Coro<> tlst_server_closes_at_once() {
    auto log = tp_capture_handler(asyncio::get_running_loop());
    auto served = std::make_shared<TlstServed>();
    served->make = [] {
        auto p = std::make_shared<TlstRecorder>();
        p->close_at_made = true;
        return p;
    };
    asyncio::Server server = co_await tlst_start_server(served);
    TlstClient c = co_await tlst_connect(server_port(server));
    const bool lost = co_await tp_wait_lost(c.proto);
    EXPECT_TRUE(lost);
    // The server's close_notify: a clean end.
    EXPECT_EQ(c.proto->events, (TlstEvents{"made", "eof", "lost"}));
    EXPECT_FALSE(c.proto->lost_exc) << tp_what(c.proto->lost_exc);
    EXPECT_TRUE(c.transport->is_closing());
    const bool closed = co_await tlst_close_server(server);
    EXPECT_TRUE(closed);
    EXPECT_EQ(served->protocols.size(), 1u);
    for (auto& p : served->protocols) {
        const bool server_lost = co_await tp_wait_lost(p);
        EXPECT_TRUE(server_lost);
        EXPECT_FALSE(p->events.empty());
        if (p->events.empty()) continue;
        EXPECT_EQ(p->events.front(), "made");
        EXPECT_EQ(p->events.back(), "lost");
        EXPECT_FALSE(p->lost_exc) << tp_what(p->lost_exc);
    }
    EXPECT_EQ(log->messages, TlstEvents{});
}

TEST(TLSTransport, ServerClosingInConnectionMadeEndsTheClientCleanly) { tp_run_checked(tlst_server_closes_at_once); }

// ---- 8. create_connection cancelled during the handshake

// What the accepted peer reads until EOF (or an error).
asyncio::Coro<std::string> tlst_accept_and_read_all(net::Socket& lst) {
    auto& loop = asyncio::get_running_loop();
    auto [peer, addr] = co_await loop.sock_accept(lst);
    std::string got = co_await tp_recv_all(peer);
    co_return got;
}

asyncio::Coro<> tlst_cancelled_during_handshake() {
    auto& loop = asyncio::get_running_loop();
    auto log = tp_capture_handler(loop);
    // Accepts TCP connections (the kernel's backlog) but never answers the handshake.
    net::Socket lst = listener();
    const int port = lst.getsockname().port;
    const int fds_before = open_fd_count();
    std::shared_ptr<TlstRecorder> proto;
    std::function<std::shared_ptr<TlstRecorder>()> make = [&proto] {
        proto = std::make_shared<TlstRecorder>();
        return proto;
    };
    net::ConnectionOptions options{.ssl = tls_client_context()};
    std::string outcome = "connected";
    try {
        auto [transport, p] =
            co_await asyncio::wait_for(loop.create_connection(make, "127.0.0.1", port, std::move(options)), 0.2);
        transport->abort();
    } catch (const concurrence::TimeoutError&) {
        outcome = "TimeoutError";
    } catch (const asyncio::CancelledError&) {
        outcome = "CancelledError";
    } catch (const std::exception& e) {
        outcome = std::string("other: ") + e.what();
    }
    EXPECT_EQ(outcome, "TimeoutError");
    // The handshake had started (the peer got the ClientHello, a TLS handshake record), and
    // the client's socket is closed: the peer reads EOF after it.
    auto reading = tlst_accept_and_read_all(lst);
    std::string hello;
    try {
        hello = co_await asyncio::wait_for(std::move(reading), 20.0);  // (a bound far above need)
    } catch (const concurrence::TimeoutError&) {
        hello = "the peer never saw EOF";
    }
    EXPECT_FALSE(hello.empty());
    if (!hello.empty()) {
        EXPECT_EQ(hello[0], '\x16') << hello;
    }
    co_await tp_spin();
    EXPECT_EQ(open_fd_count(), fds_before);
    EXPECT_TRUE(proto);
    if (proto) {
        EXPECT_EQ(proto->events, TlstEvents{});  // never connected
    }
    EXPECT_EQ(log->messages, TlstEvents{});
}

TEST(TLSTransport, CreateConnectionCancelledDuringTheHandshakeLeavesNothingOpen) {
    tp_run_checked(tlst_cancelled_during_handshake);
}

// ---- 9. an exception from the app protocol

asyncio::Coro<> tlst_data_received_throws() {
    auto log = tp_capture_handler(asyncio::get_running_loop());
    auto served = std::make_shared<TlstServed>();
    served->make = [] {
        auto p = std::make_shared<TlstRecorder>();
        p->throw_in_data = true;
        return p;
    };
    asyncio::Server server = co_await tlst_start_server(served);
    TlstClient c = co_await tlst_connect(server_port(server));
    c.transport->write("trigger");
    const bool made = co_await tlst_wait_served(served, 1);
    EXPECT_TRUE(made);
    if (!made) co_return;
    auto s = served->protocols.at(0);
    const bool server_lost = co_await tp_wait_lost(s);
    EXPECT_TRUE(server_lost);
    // Python's _fatal_error: the transport is force-closed with the exception, which the app
    // protocol's connection_lost gets, and the loop's handler is told.
    EXPECT_EQ(s->events, (TlstEvents{"made", "data", "lost:error"}));
    EXPECT_EQ(s->lost_calls, 1);
    EXPECT_EQ(tp_what(s->lost_exc), "tlst: data_received failed");
    EXPECT_EQ(log->messages, TlstEvents{"Fatal error on SSL protocol"});
    if (!log->exceptions.empty()) {
        EXPECT_EQ(tp_what(log->exceptions[0]), "tlst: data_received failed");
    }
    // The client sees its connection end.
    const bool client_lost = co_await tp_wait_lost(c.proto);
    EXPECT_TRUE(client_lost);
    EXPECT_FALSE(c.proto->events.empty());
    if (!c.proto->events.empty()) {
        EXPECT_EQ(c.proto->events.front(), "made");
    }
    EXPECT_EQ(c.proto->lost_calls, 1);
    const bool closed = co_await tlst_close_server(server);
    EXPECT_TRUE(closed);
}

TEST(TLSTransport, ExceptionInDataReceivedIsAFatalErrorOfTheConnection) { tp_run_checked(tlst_data_received_throws); }

// Python 3.12.8+ / 3.13.1+ (CPython gh-118950): the TLS transport is closing as soon as the
// socket transport under it is, e.g. right after a fatal error force-closed it, before any
// connection_lost.
asyncio::Coro<> tlst_closing_after_fatal_error(std::optional<bool>& closing_in_handler) {
    auto& loop = asyncio::get_running_loop();
    auto served = std::make_shared<TlstServed>();
    served->make = [] {
        auto p = std::make_shared<TlstRecorder>();
        p->throw_in_data = true;
        return p;
    };
    loop.set_exception_handler([served, &closing_in_handler](asyncio::EventLoop&, const asyncio::ExceptionContext&) {
        if (!served->protocols.empty() && served->protocols[0]->transport)
            closing_in_handler = served->protocols[0]->transport->is_closing();
    });
    asyncio::Server server = co_await tlst_start_server(served);
    TlstClient c = co_await tlst_connect(server_port(server));
    c.transport->write("trigger");
    const bool made = co_await tlst_wait_served(served, 1);
    EXPECT_TRUE(made);
    if (!made) co_return;
    const bool server_lost = co_await tp_wait_lost(served->protocols[0]);
    EXPECT_TRUE(server_lost);
    const bool client_lost = co_await tp_wait_lost(c.proto);
    EXPECT_TRUE(client_lost);
    const bool closed = co_await tlst_close_server(server);
    EXPECT_TRUE(closed);
}

TEST(TLSTransport, IsClosingOnceTheConnectionFailed) {
    std::optional<bool> closing_in_handler;
    tp_run_checked([&closing_in_handler] { return tlst_closing_after_fatal_error(closing_in_handler); });
    ASSERT_TRUE(closing_in_handler.has_value());
    EXPECT_TRUE(*closing_in_handler);
}

}  // namespace
