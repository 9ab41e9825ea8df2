// The datagram transport (CPython's test_selector_events.py SelectorDatagramTransportTests, on
// real sockets): sendto and its buffer, flow control, close and abort, errors, callbacks.
#include <gtest/gtest.h>

#include <sys/socket.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "dg_support.hpp"

namespace {

using namespace dg_support;
using concurrence::ValueError;

// A connected AF_UNIX pair of endpoints (AF_UNIX datagrams are reliable and in order): the
// server bound to a path, the client connected to it with a small send buffer.
struct DgtUnixPair {
    std::unique_ptr<TpSocketPath> path = std::make_unique<TpSocketPath>();
    DgEndpoint server;
    DgEndpoint client;
};

asyncio::Coro<DgtUnixPair> dgt_unix_pair() {
    DgtUnixPair pair;
    net::DatagramOptions server_options;
    server_options.local_addr = net::Address::unix_path(pair.path->path);
    pair.server = co_await dg_endpoint(std::move(server_options));
    net::DatagramOptions client_options;
    client_options.remote_addr = net::Address::unix_path(pair.path->path);
    pair.client = co_await dg_endpoint(std::move(client_options));
    const int size = 4096;
    ::setsockopt(dg_fd(pair.client.first), SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    co_return pair;
}

std::string dgt_numbered(int i) { return std::to_string(i) + ":" + std::string(500, '.'); }

// Sends n numbered datagrams while the server does not read: the first ones go at once, the
// rest are buffered. Returns the index of the first one buffered (n if none was).
int dgt_fill(DgtUnixPair& pair, int n, std::size_t* expected_buffer) {
    int first_buffered = n;
    *expected_buffer = 0;
    for (int i = 0; i < n; ++i) {
        const std::string d = dgt_numbered(i);
        pair.client.first->sendto(d);
        if (first_buffered == n && pair.client.first->get_write_buffer_size() > 0) first_buffered = i;
        if (first_buffered <= i) *expected_buffer += d.size() + 8;  // Python 3.13: 8 per datagram
    }
    return first_buffered;
}

asyncio::Coro<> dgt_buffered_in_order() {
    DgtUnixPair pair = co_await dgt_unix_pair();
    pair.server.first->pause_reading();
    pair.client.first->set_write_buffer_limits(16 * 1024);
    const int n = 400;
    std::size_t expected = 0;
    const int first_buffered = dgt_fill(pair, n, &expected);
    EXPECT_LT(first_buffered, n);  // the socket refused some: they wait in the transport
    EXPECT_GT(first_buffered, 0);  // the first went at once
    EXPECT_EQ(pair.client.first->get_write_buffer_size(), expected);
    EXPECT_EQ(pair.client.second->pauses, 1);  // once, when over the high-water mark
    EXPECT_EQ(pair.client.second->resumes, 0);
    co_await tp_spin();
    EXPECT_EQ(pair.client.first->get_write_buffer_size(), expected);  // nobody reads: still there
    EXPECT_EQ(pair.client.second->resumes, 0);
    pair.server.first->resume_reading();
    const bool all = co_await dg_wait_datagrams(pair.server.second, n);
    EXPECT_TRUE(all);
    std::vector<std::string> sent;
    for (int i = 0; i < n; ++i) sent.push_back(dgt_numbered(i));
    EXPECT_TRUE(pair.server.second->datagrams == sent);  // every one, in order
    std::shared_ptr<DgRecorder> client = pair.client.second;
    std::function<bool()> resumed = [client] { return client->resumes > 0; };
    const bool ok = co_await tp_wait_until(std::move(resumed));
    EXPECT_TRUE(ok);
    EXPECT_EQ(pair.client.first->get_write_buffer_size(), 0u);
    EXPECT_EQ(client->events, (std::vector<std::string>{"made", "pause", "resume"}));
    co_await dg_close(pair.client);
    co_await dg_close(pair.server);
}

TEST(DatagramTransport, BufferedSendsPauseResumeAndArriveInOrder) { tp_run_checked(dgt_buffered_in_order); }

asyncio::Coro<> dgt_close_flushes() {
    DgtUnixPair pair = co_await dgt_unix_pair();
    pair.server.first->pause_reading();
    const int n = 200;
    std::size_t expected = 0;
    const int first_buffered = dgt_fill(pair, n, &expected);
    EXPECT_LT(first_buffered, n);
    pair.client.first->close();
    EXPECT_TRUE(pair.client.first->is_closing());
    EXPECT_FALSE(pair.client.first->is_reading());
    pair.client.first->sendto("tail");  // Python: still buffered while the buffer drains
    co_await tp_spin();
    EXPECT_FALSE(pair.client.second->lost);  // not before the buffer is sent
    pair.server.first->resume_reading();
    const bool lost = co_await dg_wait_lost(pair.client.second);
    EXPECT_TRUE(lost);
    const bool all = co_await dg_wait_datagrams(pair.server.second, n + 1);
    EXPECT_TRUE(all);
    EXPECT_EQ(pair.server.second->datagrams.size(), static_cast<std::size_t>(n + 1));
    if (!pair.server.second->datagrams.empty()) {
        EXPECT_EQ(pair.server.second->datagrams.back(), "tail");
    }
    EXPECT_FALSE(pair.client.second->lost_exc);
    EXPECT_EQ(pair.client.second->lost_calls, 1);
    co_await dg_close(pair.server);
}

TEST(DatagramTransport, CloseSendsTheBufferThenConnectionLost) { tp_run_checked(dgt_close_flushes); }

asyncio::Coro<> dgt_abort_drops() {
    DgtUnixPair pair = co_await dgt_unix_pair();
    pair.server.first->pause_reading();
    const int n = 200;
    std::size_t expected = 0;
    const int first_buffered = dgt_fill(pair, n, &expected);
    EXPECT_LT(first_buffered, n);
    pair.client.first->abort();
    EXPECT_EQ(pair.client.first->get_write_buffer_size(), 0u);
    EXPECT_TRUE(pair.client.first->is_closing());
    const bool lost = co_await dg_wait_lost(pair.client.second);
    EXPECT_TRUE(lost);
    EXPECT_FALSE(pair.client.second->lost_exc);
    pair.server.first->resume_reading();
    co_await tp_spin();
    // Only what the socket had taken before the abort.
    EXPECT_EQ(pair.server.second->datagrams.size(), static_cast<std::size_t>(first_buffered));
    co_await dg_close(pair.server);
}

TEST(DatagramTransport, AbortDropsTheBuffer) { tp_run_checked(dgt_abort_drops); }

asyncio::Coro<> dgt_sendto_after_close() {
    DgEndpoint server = co_await dg_local();
    const net::Address to = dg_sockname(server.first);
    net::DatagramOptions options;
    options.remote_addr = to;
    DgEndpoint client = co_await dg_endpoint(std::move(options));
    DgEndpoint unconnected = co_await dg_local();
    client.first->sendto("before");
    client.first->close();
    unconnected.first->close();
    for (int i = 0; i < 6; ++i) {  // Python: ignored (a warning from the fifth on)
        client.first->sendto("after close");
        unconnected.first->sendto("after close", to);
    }
    EXPECT_EQ(client.first->get_write_buffer_size(), 0u);
    const bool lost = co_await dg_wait_lost(client.second);
    EXPECT_TRUE(lost);
    co_await dg_wait_lost(unconnected.second);
    client.first->sendto("after connection_lost");
    unconnected.first->sendto("after connection_lost", to);
    co_await dg_wait_datagrams(server.second, 1);
    co_await tp_spin();
    EXPECT_EQ(server.second->datagrams, (std::vector<std::string>{"before"}));
    EXPECT_TRUE(client.second->errors.empty());
    EXPECT_EQ(client.second->events, (std::vector<std::string>{"made", "lost"}));
    co_await dg_close(server);
}

TEST(DatagramTransport, SendtoAfterCloseIsIgnored) { tp_run_checked(dgt_sendto_after_close); }

asyncio::Coro<> dgt_zero_length() {
    DgEndpoint server = co_await dg_local(dg_make_echo);
    net::DatagramOptions options;
    options.remote_addr = dg_sockname(server.first);
    DgEndpoint client = co_await dg_endpoint(std::move(options));
    client.first->sendto("");
    client.first->sendto(std::string_view());
    client.first->sendto("not empty");
    const bool got = co_await dg_wait_datagrams(client.second, 3);
    EXPECT_TRUE(got);
    EXPECT_EQ(server.second->datagrams, (std::vector<std::string>{"", "", "not empty"}));
    EXPECT_EQ(client.second->datagrams, (std::vector<std::string>{"", "", "not empty"}));
    co_await dg_close(client);
    co_await dg_close(server);
}

TEST(DatagramTransport, ZeroLengthDatagramsAreSentAndReceived) { tp_run_checked(dgt_zero_length); }

asyncio::Coro<> dgt_large() {
    DgEndpoint server = co_await dg_local();
    net::DatagramOptions options;
    options.remote_addr = dg_sockname(server.first);
    DgEndpoint client = co_await dg_endpoint(std::move(options));
    const std::string biggest_udp = pattern_bytes(65507);  // the largest UDP payload over IPv4
    client.first->sendto(biggest_udp);
    const bool got = co_await dg_wait_datagrams(server.second, 1);
    EXPECT_TRUE(got);
    if (got) {
        EXPECT_TRUE(server.second->datagrams[0] == biggest_udp);
    }
    // Too big for UDP: EMSGSIZE, to error_received.
    client.first->sendto(std::string(70000, 'x'));
    EXPECT_EQ(client.second->errors.size(), 1u);
    if (!client.second->errors.empty()) {
        EXPECT_EQ(tp_errno_of(client.second->errors[0]), EMSGSIZE);
    }
    EXPECT_FALSE(client.first->is_closing());
    co_await dg_close(client);
    co_await dg_close(server);

    // AF_UNIX datagrams may be larger; up to 256 KiB is read (Python's max_size).
    TpSocketPath path;
    net::DatagramOptions unix_server;
    unix_server.local_addr = net::Address::unix_path(path.path);
    DgEndpoint userver = co_await dg_endpoint(std::move(unix_server));
    net::DatagramOptions unix_client;
    unix_client.remote_addr = net::Address::unix_path(path.path);
    DgEndpoint uclient = co_await dg_endpoint(std::move(unix_client));
    const int want = 1 << 20;
    ::setsockopt(dg_fd(uclient.first), SOL_SOCKET, SO_SNDBUF, &want, sizeof want);
    int sndbuf = 0;
    socklen_t length = sizeof sndbuf;
    ::getsockopt(dg_fd(uclient.first), SOL_SOCKET, SO_SNDBUF, &sndbuf, &length);
    const std::string big = pattern_bytes(150000);
    uclient.first->sendto(big);
    std::size_t expected = 1;
    const std::string huge = pattern_bytes(300000);
    if (sndbuf > 300000 + 1024) {  // the system allows so large a buffer
        uclient.first->sendto(huge);
        expected = 2;
    }
    const bool ugot = co_await dg_wait_datagrams(userver.second, expected);
    EXPECT_TRUE(ugot);
    if (ugot) {
        EXPECT_TRUE(userver.second->datagrams[0] == big);
    }
    if (ugot && expected == 2) {
        EXPECT_EQ(userver.second->datagrams[1].size(), 256u * 1024);  // the rest is cut, as Python's
        EXPECT_TRUE(userver.second->datagrams[1] == huge.substr(0, 256 * 1024));
    }
    co_await dg_close(uclient);
    co_await dg_close(userver);
}

TEST(DatagramTransport, LargeDatagrams) { tp_run_checked(dgt_large); }

asyncio::Coro<> dgt_datagram_received_throws() {
    auto& loop = asyncio::get_running_loop();
    auto log = tp_capture_handler(loop);
    struct ThrowsOnce : DgRecorder {
        bool thrown = false;
        void datagram_received(std::string_view data, const net::Address& addr) override {
            DgRecorder::datagram_received(data, addr);
            if (!thrown) {
                thrown = true;
                throw std::runtime_error("datagram failed");
            }
        }
    };
    std::function<std::shared_ptr<DgRecorder>()> factory = [] { return std::make_shared<ThrowsOnce>(); };
    DgEndpoint server = co_await dg_local(factory);
    net::DatagramOptions options;
    options.remote_addr = dg_sockname(server.first);
    DgEndpoint client = co_await dg_endpoint(std::move(options));
    client.first->sendto("first");
    client.first->sendto("second");
    const bool got = co_await dg_wait_datagrams(server.second, 2);
    EXPECT_TRUE(got);
    EXPECT_EQ(server.second->datagrams, (std::vector<std::string>{"first", "second"}));
    // Python: the callback's Handle reports it; the transport stays open.
    EXPECT_EQ(log->messages, (std::vector<std::string>{"Exception in callback _SelectorDatagramTransport._read_ready()"}));
    if (!log->exceptions.empty()) {
        EXPECT_EQ(tp_what(log->exceptions[0]), "datagram failed");
    }
    EXPECT_FALSE(server.first->is_closing());
    EXPECT_FALSE(server.second->lost);
    co_await dg_close(client);
    co_await dg_close(server);
}

TEST(DatagramTransport, DatagramReceivedExceptionGoesToTheHandler) { tp_run_checked(dgt_datagram_received_throws); }

asyncio::Coro<> dgt_error_received_throws() {
    auto& loop = asyncio::get_running_loop();
    auto log = tp_capture_handler(loop);
    struct ThrowsOnError : DgRecorder {
        void error_received(std::exception_ptr exc) override {
            DgRecorder::error_received(exc);
            throw std::runtime_error("error handler failed");
        }
    };
    std::function<std::shared_ptr<DgRecorder>()> factory = [] { return std::make_shared<ThrowsOnError>(); };
    net::DatagramOptions options;
    options.remote_addr = net::Address{"127.0.0.1", dg_unused_udp_port()};
    DgEndpoint client = co_await dg_endpoint(std::move(options), factory);
    client.first->sendto("anyone?");  // the port unreachable comes back to the reader
    const bool got = co_await dg_wait_errors(client.second, 1);
    EXPECT_TRUE(got);
    EXPECT_EQ(log->messages, (std::vector<std::string>{"Exception in callback _SelectorDatagramTransport._read_ready()"}));
    if (!log->exceptions.empty()) {
        EXPECT_EQ(tp_what(log->exceptions[0]), "error handler failed");
    }
    EXPECT_FALSE(client.first->is_closing());
    co_await dg_close(client);
}

TEST(DatagramTransport, ErrorReceivedExceptionGoesToTheHandler) { tp_run_checked(dgt_error_received_throws); }

asyncio::Coro<> dgt_connection_made_throws() {
    auto& loop = asyncio::get_running_loop();
    auto log = tp_capture_handler(loop);
    struct Thrower : DgRecorder {
        void connection_made(asyncio::DatagramTransport& t) override {
            DgRecorder::connection_made(t);
            throw std::runtime_error("made failed");
        }
    };
    std::function<std::shared_ptr<DgRecorder>()> factory = [] { return std::make_shared<Thrower>(); };
    DgEndpoint server = co_await dg_local(factory);
    EXPECT_EQ(log->messages, (std::vector<std::string>{"Exception in callback DatagramProtocol.connection_made()"}));
    net::Socket sender(AF_INET, SOCK_DGRAM);
    sender.sendto("x", dg_sockname(server.first));
    const bool got = co_await dg_wait_datagrams(server.second, 1);  // reading started all the same
    EXPECT_TRUE(got);
    co_await dg_close(server);
}

TEST(DatagramTransport, ConnectionMadeExceptionIsReportedAndReadingStarts) {
    tp_run_checked(dgt_connection_made_throws);
}

asyncio::Coro<> dgt_pause_reading() {
    DgEndpoint server = co_await dg_local();
    net::Socket sender(AF_INET, SOCK_DGRAM);
    server.first->pause_reading();
    EXPECT_FALSE(server.first->is_reading());
    for (const char* d : {"one", "two", "three"}) sender.sendto(d, dg_sockname(server.first));
    co_await tp_spin();
    EXPECT_TRUE(server.second->datagrams.empty());
    server.first->resume_reading();
    EXPECT_TRUE(server.first->is_reading());
    const bool got = co_await dg_wait_datagrams(server.second, 3);
    EXPECT_TRUE(got);
    EXPECT_EQ(server.second->datagrams, (std::vector<std::string>{"one", "two", "three"}));
    co_await dg_close(server);
}

TEST(DatagramTransport, PauseReadingHoldsDatagramsBack) { tp_run_checked(dgt_pause_reading); }

asyncio::Coro<> dgt_send_error() {
    TpSocketPath path;
    TpSocketPath missing;
    net::DatagramOptions options;
    options.local_addr = net::Address::unix_path(path.path);
    DgEndpoint e = co_await dg_endpoint(std::move(options));
    e.first->sendto("lost", net::Address::unix_path(missing.path));
    EXPECT_EQ(e.second->errors.size(), 1u);
    bool not_found = false;
    try {
        if (!e.second->errors.empty()) std::rethrow_exception(e.second->errors[0]);
    } catch (const concurrence::FileNotFoundError&) {
        not_found = true;
    } catch (...) {
    }
    EXPECT_TRUE(not_found);
    EXPECT_FALSE(e.first->is_closing());
    e.first->sendto("to myself", net::Address::unix_path(path.path));
    const bool got = co_await dg_wait_datagrams(e.second, 1);
    EXPECT_TRUE(got);
    EXPECT_EQ(e.second->datagrams, (std::vector<std::string>{"to myself"}));
    co_await dg_close(e);
}

TEST(DatagramTransport, SendErrorGoesToErrorReceivedAndTheEndpointStaysOpen) { tp_run_checked(dgt_send_error); }

asyncio::Coro<> dgt_bad_port() {
    auto& loop = asyncio::get_running_loop();
    auto log = tp_capture_handler(loop);
    DgEndpoint e = co_await dg_local();
    e.first->sendto("x", net::Address{"127.0.0.1", 70000});  // Python: OverflowError, a fatal error
    EXPECT_EQ(log->messages, (std::vector<std::string>{"Fatal write error on datagram transport"}));
    EXPECT_TRUE(e.first->is_closing());
    const bool lost = co_await dg_wait_lost(e.second);
    EXPECT_TRUE(lost);
    EXPECT_TRUE(dg_is<concurrence::OverflowError>(e.second->lost_exc));
    EXPECT_EQ(e.second->events, (std::vector<std::string>{"made", "lost:error"}));
}

asyncio::Coro<> dgt_buffered_send_errors() {
    // An unconnected AF_UNIX sender fills a receiver that does not read; the receiver goes
    // away: each buffered datagram then fails (ECONNREFUSED), one error_received each.
    TpSocketPath server_path;
    TpSocketPath client_path;
    net::DatagramOptions server_options;
    server_options.local_addr = net::Address::unix_path(server_path.path);
    DgEndpoint server = co_await dg_endpoint(std::move(server_options));
    server.first->pause_reading();
    net::DatagramOptions client_options;
    client_options.local_addr = net::Address::unix_path(client_path.path);
    DgEndpoint client = co_await dg_endpoint(std::move(client_options));
    client.first->set_write_buffer_limits(2000);
    const net::Address to = net::Address::unix_path(server_path.path);
    int buffered = 0;
    for (int i = 0; i < 40; ++i) {
        client.first->sendto(dgt_numbered(i), to);
        if (client.first->get_write_buffer_size() > 0) ++buffered;
    }
    EXPECT_GT(buffered, 0);
    EXPECT_EQ(client.second->pauses, 1);
    EXPECT_TRUE(client.second->errors.empty());
    server.first->abort();  // its queue is dropped: the sender is told it may write again
    co_await dg_wait_lost(server.second);
    std::shared_ptr<DgRecorder> p = client.second;
    std::shared_ptr<asyncio::DatagramTransport> t = client.first;
    std::function<bool()> drained = [t, p] { return t->get_write_buffer_size() == 0 && p->resumes > 0; };
    const bool ok = co_await tp_wait_until(std::move(drained));
    EXPECT_TRUE(ok);
    EXPECT_EQ(p->errors.size(), static_cast<std::size_t>(buffered));
    for (const std::exception_ptr& e : p->errors) EXPECT_EQ(tp_errno_of(e), ECONNREFUSED);
    EXPECT_FALSE(t->is_closing());
    EXPECT_EQ(p->events.back(), "resume");
    co_await dg_close(client);
}

TEST(DatagramTransport, BufferedSendErrorsGoToErrorReceivedOneByOne) { tp_run_checked(dgt_buffered_send_errors); }

TEST(DatagramTransport, AnInvalidPortIsAFatalError) { tp_run_checked(dgt_bad_port); }

TEST(DatagramTransport, WriteBufferLimits) {
    tp_run_checked([]() -> asyncio::Coro<> {
        DgEndpoint e = co_await dg_local();
        auto& t = *e.first;
        EXPECT_EQ(t.get_write_buffer_limits(), (std::pair<std::size_t, std::size_t>{16384, 65536}));
        t.set_write_buffer_limits(1000);
        EXPECT_EQ(t.get_write_buffer_limits(), (std::pair<std::size_t, std::size_t>{250, 1000}));
        std::string message;
        try {
            t.set_write_buffer_limits(1, 2);
        } catch (const ValueError& err) {
            message = err.what();
        }
        EXPECT_EQ(message, "high (1) must be >= low (2) must be >= 0");
        co_await dg_close(e);
    });
}

asyncio::Coro<> dgt_abort_then_close() {
    DgEndpoint e = co_await dg_local();
    e.first->abort();
    e.first->close();  // nothing more
    e.first->abort();
    const bool lost = co_await dg_wait_lost(e.second);
    EXPECT_TRUE(lost);
    co_await tp_spin();
    EXPECT_EQ(e.second->lost_calls, 1);
    EXPECT_EQ(e.second->events, (std::vector<std::string>{"made", "lost"}));
}

TEST(DatagramTransport, ConnectionLostOnceWhateverTheCalls) { tp_run_checked(dgt_abort_then_close); }

}  // namespace

namespace {

using namespace dg_support;

// transport.set_protocol on a datagram endpoint: the datagrams after it go to the new protocol.
asyncio::Coro<std::vector<std::size_t>> dgt_set_protocol() {
    DgEndpoint receiver = co_await dg_local();
    DgEndpoint sender = co_await dg_local();
    const net::Address to = dg_sockname(receiver.first);
    sender.first->sendto("one", to);
    co_await dg_wait_datagrams(receiver.second, 1);
    auto second = dg_make_recorder();
    receiver.first->set_protocol(second);
    sender.first->sendto("two", to);
    co_await dg_wait_datagrams(second, 1);
    const bool swapped = &receiver.first->get_protocol() == second.get();
    const std::size_t first_got = receiver.second->datagrams.size();
    co_await dg_close(sender);
    co_await dg_close(DgEndpoint(receiver.first, second));  // the end goes to the new protocol too
    co_return std::vector<std::size_t>{first_got, second->datagrams.size(), swapped ? 1u : 0u,
                                       receiver.second->lost ? 1u : 0u};
}

TEST(DatagramTransportSetProtocol, LaterDatagramsGoToTheNewProtocol) {
    EXPECT_EQ(asyncio::run(dgt_set_protocol()), (std::vector<std::size_t>{1, 1, 1, 0}));
}

}  // namespace
