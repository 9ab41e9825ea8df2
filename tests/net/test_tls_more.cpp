// TLS beyond the streams basics: loop.sendfile over TLS (Python's fallback: read, encrypt,
// write), connect_accepted_socket(ssl=), and transport.set_protocol.
#include <gtest/gtest.h>

#include "tls_support.hpp"
#include "tp_support.hpp"

namespace {

using namespace net_tests;
using namespace tp_support;

std::string tlsm_pattern(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 977) % 26);
    return s;
}

// The server answers a request line with a header and the file, over TLS.
asyncio::Coro<std::vector<std::string>> tlsm_sendfile(const std::string& content, bool fallback) {
    TpTempFile file(content);
    std::vector<std::string> got;
    auto handler = [&](asyncio::StreamReader reader, asyncio::StreamWriter writer) -> asyncio::Coro<> {
        (void)co_await reader.readline();
        writer.write(std::to_string(content.size()) + "\n");
        try {
            const std::size_t sent = co_await asyncio::get_running_loop().sendfile(writer.transport(), file.fd(), 0,
                                                                                   std::nullopt, fallback);
            got.push_back("server sent " + std::to_string(sent));
            got.push_back("file position " + std::to_string(file.position()));
        } catch (const concurrence::RuntimeError& e) {
            got.push_back(std::string("server: ") + e.what());
        }
        writer.close();
        co_await writer.wait_closed();
    };
    asyncio::Server server = co_await tls_stream_server(handler);
    auto [reader, writer] = co_await tls_stream_client(server_port(server));
    writer.write("GET\n");
    std::string header = co_await reader.readline();
    std::string body = co_await reader.read();
    got.push_back("client got " + std::to_string(body.size()) + (body == content ? " same bytes" : " other bytes"));
    writer.close();
    co_await writer.wait_closed();
    server.close();
    co_await server.wait_closed();
    co_return got;
}

TEST(TLSMore, SendfileOverTlsReadsAndEncrypts) {
    const std::string content = tlsm_pattern(3 * 1024 * 1024 + 123);  // past every buffer's high-water mark
    EXPECT_EQ(asyncio::run(tlsm_sendfile(content, true)),
              (std::vector<std::string>{"server sent 3145851", "file position 3145851", "client got 3145851 same bytes"}));
}

TEST(TLSMore, SendfileOverTlsWithoutFallbackIsRefused) {
    EXPECT_EQ(asyncio::run(tlsm_sendfile("abc", false)),
              (std::vector<std::string>{
                  "server: fallback is disabled and native sendfile is not supported for transport <ssl transport>",
                  "client got 0 other bytes"}));
}

// connect_accepted_socket(ssl=): this side is TLS's server on a socket accepted by hand.
asyncio::Coro<std::vector<std::string>> tlsm_accepted() {
    asyncio::EventLoop& loop = asyncio::get_running_loop();
    net::Socket listening = listener();
    const int port = listening.getsockname().port;
    std::vector<std::string> got;
    auto serve = [&]() -> asyncio::Coro<> {
        auto [conn, peer] = co_await loop.sock_accept(listening);
        auto factory = [] { return std::make_shared<TpEcho>(); };
        net::AcceptedSocketOptions options{.ssl = tls_server_context()};
        auto [transport, protocol] = co_await loop.connect_accepted_socket(factory, std::move(conn), std::move(options));
        got.push_back(transport->get_extra_info<ssl::Cipher>("cipher") ? "server: tls" : "server: plain");
    };
    asyncio::Task<void> server = asyncio::create_task(serve());
    net::ConnectionOptions tls{.ssl = tls_client_context()};
    auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port, asyncio::default_stream_limit, std::move(tls));
    writer.write("echo me\n");
    got.push_back("client: " + co_await reader.readline());
    co_await server;
    writer.close();
    co_await writer.wait_closed();
    co_return got;
}

TEST(TLSMore, ConnectAcceptedSocketWithSsl) {
    const int fds_before = open_fd_count();
    EXPECT_EQ(asyncio::run(tlsm_accepted()), (std::vector<std::string>{"server: tls", "client: echo me\n"}));
    EXPECT_EQ(open_fd_count(), fds_before);
}

asyncio::Coro<std::string> tlsm_accepted_argument_error() {
    auto [a, b] = net::socketpair();
    auto factory = [] { return std::make_shared<TpEcho>(); };
    net::AcceptedSocketOptions options{.ssl_handshake_timeout = 1.0};
    std::string text = "no error";
    try {
        (void)co_await asyncio::get_running_loop().connect_accepted_socket(factory, std::move(a), std::move(options));
    } catch (const concurrence::ValueError& e) {
        text = e.what();
    }
    co_return text;
}

TEST(TLSMore, ConnectAcceptedSocketChecksItsArguments) {
    EXPECT_EQ(asyncio::run(tlsm_accepted_argument_error()), "ssl_handshake_timeout is only meaningful with ssl");
}

// ---- transport.set_protocol (Python's BaseTransport.set_protocol)

class TlsmRecorder : public asyncio::Protocol {
public:
    explicit TlsmRecorder(std::string name) : name_(std::move(name)) {}
    void data_received(std::string_view data) override { seen += name_ + ":" + std::string(data) + " "; }
    void connection_lost(std::exception_ptr) override { seen += name_ + ":lost "; }
    std::string seen;

private:
    std::string name_;
};

// The data that comes after set_protocol goes to the new protocol, and so does the end.
asyncio::Coro<std::vector<std::string>> tlsm_set_protocol(bool tls) {
    asyncio::EventLoop& loop = asyncio::get_running_loop();
    auto serve = [](asyncio::StreamReader reader, asyncio::StreamWriter writer) -> asyncio::Coro<> {
        writer.write("one");
        co_await writer.drain();
        (void)co_await reader.readline();  // the client swapped its protocol
        writer.write("two");
        co_await writer.drain();
        writer.close();
        co_await writer.wait_closed();
    };
    net::ServerOptions server_options;
    if (tls) server_options.ssl = tls_server_context();
    asyncio::Server server =
        co_await asyncio::start_server(serve, "127.0.0.1", 0, asyncio::default_stream_limit, std::move(server_options));
    auto first = std::make_shared<TlsmRecorder>("first");
    auto second = std::make_shared<TlsmRecorder>("second");
    auto factory = [first] { return first; };
    net::ConnectionOptions options;
    if (tls) options.ssl = tls_client_context();
    auto [transport, protocol] = co_await loop.create_connection(factory, "127.0.0.1", server_port(server), std::move(options));
    while (first->seen.empty()) co_await asyncio::sleep(0.001);
    transport->set_protocol(second);
    const bool same = &transport->get_protocol() == second.get();
    transport->write("swapped\n");
    while (second->seen.find("lost") == std::string::npos) co_await asyncio::sleep(0.001);
    server.close();
    co_await server.wait_closed();
    co_return std::vector<std::string>{first->seen, second->seen, same ? "get_protocol: second" : "get_protocol: other"};
}

TEST(TLSMore, SetProtocolOnAPlainTransport) {
    EXPECT_EQ(asyncio::run(tlsm_set_protocol(false)),
              (std::vector<std::string>{"first:one ", "second:two second:lost ", "get_protocol: second"}));
}

TEST(TLSMore, SetProtocolOnATlsTransport) {
    EXPECT_EQ(asyncio::run(tlsm_set_protocol(true)),
              (std::vector<std::string>{"first:one ", "second:two second:lost ", "get_protocol: second"}));
}

// A transport class of the program's own that does not override it: Python's base raises
// NotImplementedError.
class TlsmBareTransport final : public asyncio::Transport {
public:
    void close() override {}
    bool is_closing() const override { return false; }
    std::any get_extra_info(std::string_view) const override { return {}; }
    asyncio::BaseProtocol& get_protocol() const override { throw concurrence::RuntimeError("none"); }
    void write(std::string_view) override {}
    void write_eof() override {}
    bool can_write_eof() const override { return false; }
    void abort() override {}
    void pause_reading() override {}
    void resume_reading() override {}
    bool is_reading() const override { return true; }
    void set_write_buffer_limits(std::optional<std::size_t>, std::optional<std::size_t>) override {}
    std::pair<std::size_t, std::size_t> get_write_buffer_limits() const override { return {0, 0}; }
    std::size_t get_write_buffer_size() const override { return 0; }
};

TEST(TLSMore, SetProtocolIsNotImplementedByDefault) {
    TlsmBareTransport bare;
    EXPECT_THROW(bare.set_protocol(std::make_shared<TlsmRecorder>("x")), concurrence::NotImplementedError);
}

}  // namespace
