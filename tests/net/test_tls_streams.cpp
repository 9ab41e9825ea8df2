// TLS under the streams API: open_connection(ssl=...) and start_server(ssl=...), as the Python
// docs' echo client and server with ssl= added; verification failures; EOF and close over TLS.
#include <gtest/gtest.h>

#include "tls_support.hpp"

namespace {

using namespace net_tests;

asyncio::Coro<> tls_echo_handler(asyncio::StreamReader reader, asyncio::StreamWriter writer) {
    while (true) {
        std::string line = co_await reader.readline();
        if (line.empty()) break;
        writer.write(line);
        co_await writer.drain();
    }
    writer.close();
    co_await writer.wait_closed();
}

asyncio::Coro<std::vector<std::string>> tls_echo_session() {
    asyncio::Server server = co_await tls_stream_server(tls_echo_handler);
    auto [reader, writer] = co_await tls_stream_client(server_port(server));
    std::vector<std::string> got;
    writer.write("Hello\n");
    got.push_back(co_await reader.readline());
    writer.write("World!\n");
    got.push_back(co_await reader.readline());
    auto cipher = writer.get_extra_info<ssl::Cipher>("cipher");
    got.push_back(cipher ? cipher->protocol : "no cipher");
    auto object = writer.get_extra_info<ssl::SSLObject>("ssl_object");
    got.push_back(object ? object->version().value_or("?") : "no ssl_object");
    got.push_back(writer.get_extra_info<ssl::SSLContext>("sslcontext") ? "sslcontext" : "no sslcontext");
    auto peer = writer.get_extra_info<net::Address>("peername");
    got.push_back(peer ? peer->host : "no peername");
    writer.close();
    co_await writer.wait_closed();
    server.close();
    co_await server.wait_closed();
    co_return got;
}

TEST(TLSStreams, EchoOverTLS) {
    const int fds_before = open_fd_count();
    EXPECT_EQ(asyncio::run(tls_echo_session()),
              (std::vector<std::string>{"Hello\n", "World!\n", "TLSv1.3", "TLSv1.3", "sslcontext", "127.0.0.1"}));
    EXPECT_EQ(open_fd_count(), fds_before);
}

// ---- STARTTLS: a plain connection that turns to TLS (StreamWriter.start_tls, 3.11)

asyncio::Coro<> tlss_starttls_handler(asyncio::StreamReader reader, asyncio::StreamWriter writer) {
    std::string command = co_await reader.readline();
    if (command != "STARTTLS\n") {
        writer.close();
        co_return;
    }
    writer.write("OK\n");
    co_await writer.start_tls(tls_server_context());
    std::string secret = co_await reader.readline();
    auto cipher = writer.get_extra_info<ssl::Cipher>("cipher");
    writer.write("server got " + secret.substr(0, secret.size() - 1) + " over " + (cipher ? cipher->protocol : "?") + "\n");
    co_await writer.drain();
    writer.close();
    co_await writer.wait_closed();
}

asyncio::Coro<std::vector<std::string>> tlss_starttls_session() {
    asyncio::Server server = co_await asyncio::start_server(tlss_starttls_handler, "127.0.0.1", 0);
    auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", server_port(server));
    std::vector<std::string> got;
    got.push_back(writer.get_extra_info<ssl::SSLContext>("sslcontext") ? "tls" : "plain");
    writer.write("STARTTLS\n");
    got.push_back(co_await reader.readline());
    co_await writer.start_tls(tls_client_context(), "localhost");
    got.push_back(writer.get_extra_info<ssl::SSLContext>("sslcontext") ? "tls" : "plain");
    writer.write("secret\n");
    got.push_back(co_await reader.readline());
    got.push_back(co_await reader.read());  // the server's close: the end
    got.push_back(reader.at_eof() ? "eof" : "not eof");
    writer.close();
    co_await writer.wait_closed();
    server.close();
    co_await server.wait_closed();
    co_return got;
}

TEST(TLSStreams, StartTlsOnAPlainConnection) {
    const int fds_before = open_fd_count();
    EXPECT_EQ(asyncio::run(tlss_starttls_session()),
              (std::vector<std::string>{"plain", "OK\n", "tls", "server got secret over TLSv1.3\n", "", "eof"}));
    EXPECT_EQ(open_fd_count(), fds_before);
}

asyncio::Coro<std::string> tlss_start_tls_on_a_pipe() {
    int fds[2];
    if (::pipe(fds) != 0) co_return "pipe failed";
    ::close(fds[1]);
    asyncio::EventLoop& loop = asyncio::get_running_loop();
    auto factory = [] { return std::make_shared<asyncio::Protocol>(); };
    auto [transport, protocol] = co_await loop.connect_read_pipe(factory, fds[0]);
    std::string text = "no error";
    try {
        (void)co_await loop.start_tls(*transport, protocol, tls_client_context());
    } catch (const concurrence::TypeError& e) {
        text = e.what();
    }
    transport->close();
    co_return text;
}

TEST(TLSStreams, StartTlsRefusesOtherTransports) {
    EXPECT_EQ(asyncio::run(tlss_start_tls_on_a_pipe()), "transport <transport> is not supported by start_tls()");
}

// ---- AF_UNIX, mutual TLS, the end of the stream

asyncio::Coro<std::string> tlss_unix_session(std::string path) {
    net::ServerOptions server_options{.ssl = tls_server_context()};
    asyncio::Server server = co_await asyncio::start_unix_server(tls_echo_handler, path, asyncio::default_stream_limit,
                                                                 std::move(server_options));
    net::ConnectionOptions tls{.ssl = tls_client_context(), .server_hostname = "localhost"};
    auto [reader, writer] = co_await asyncio::open_unix_connection(path, asyncio::default_stream_limit, std::move(tls));
    writer.write("over a unix socket\n");
    std::string line = co_await reader.readline();
    writer.close();
    co_await writer.wait_closed();
    server.close();
    co_await server.wait_closed();
    co_return line;
}

TEST(TLSStreams, UnixSocket) {
    const std::string path = "/tmp/concurrence-tls-" + std::to_string(::getpid()) + ".sock";
    EXPECT_EQ(asyncio::run(tlss_unix_session(path)), "over a unix socket\n");
    ::unlink(path.c_str());
}

// The server requires a client certificate signed by the tests' CA.
asyncio::Coro<std::vector<std::string>> tlss_mutual(bool client_has_cert) {
    ssl::SSLContext server_context = tls_server_context();
    server_context.load_verify_locations(tls_file("ca.pem"));
    server_context.set_verify_mode(ssl::CERT_REQUIRED);
    std::vector<std::string> got;
    auto handler = [&got](asyncio::StreamReader, asyncio::StreamWriter writer) -> asyncio::Coro<> {
        auto cert = writer.get_extra_info<ssl::PeerCert>("peercert");
        got.push_back("server sees " + (cert && !cert->subject.empty() ? cert->subject.back().at(0).second : "nobody"));
        writer.write("welcome\n");
        co_await writer.drain();
        writer.close();
    };
    net::ServerOptions server_options{.ssl = server_context};
    asyncio::Server server =
        co_await asyncio::start_server(handler, "127.0.0.1", 0, asyncio::default_stream_limit, std::move(server_options));
    ssl::SSLContext client_context = tls_client_context();
    if (client_has_cert) client_context.load_cert_chain(tls_file("client.pem"));
    try {
        // TLS 1.3: the client's handshake ends before the server checks its certificate.
        auto [reader, writer] = co_await tls_stream_client(server_port(server), client_context);
        got.push_back("client read " + co_await reader.readline());
        writer.close();
    } catch (const ssl::SSLError& e) {
        got.push_back(std::string("client: ") + e.what());
    }
    server.close();
    co_await server.wait_closed();
    co_return got;
}

TEST(TLSStreams, MutualTlsWithAClientCertificate) {
    EXPECT_EQ(asyncio::run(tlss_mutual(true)), (std::vector<std::string>{"server sees client", "client read welcome\n"}));
}

TEST(TLSStreams, MutualTlsWithoutAClientCertificate) {
    // The server's failed handshake closes at once, without sending its alert (Python's
    // SSLProtocol does the same): the client reads the end, and the handler never runs.
    EXPECT_EQ(asyncio::run(tlss_mutual(false)), (std::vector<std::string>{"client read "}));
}

// The server writes, then closes: the client reads it all, then the end (close_notify), and
// the server's peercert is Python's None (the client sent no certificate).
asyncio::Coro<std::vector<std::string>> tlss_read_to_the_end() {
    std::vector<std::string> got;
    auto handler = [&got](asyncio::StreamReader, asyncio::StreamWriter writer) -> asyncio::Coro<> {
        got.push_back(writer.get_extra_info<ssl::PeerCert>("peercert") ? "server: a peercert" : "server: no peercert");
        std::string big(300000, 'x');
        writer.write(big);
        writer.write("bye");
        writer.close();
        co_await writer.wait_closed();
    };
    asyncio::Server server = co_await tls_stream_server(handler);
    auto [reader, writer] = co_await tls_stream_client(server_port(server));
    std::string all = co_await reader.read();
    got.push_back(std::to_string(all.size()) + " bytes, ending " + all.substr(all.size() - 4));
    got.push_back(reader.at_eof() ? "eof" : "not eof");
    writer.close();
    co_await writer.wait_closed();
    server.close();
    co_await server.wait_closed();
    co_return got;
}

TEST(TLSStreams, ReadToTheEnd) {
    EXPECT_EQ(asyncio::run(tlss_read_to_the_end()),
              (std::vector<std::string>{"server: no peercert", "300003 bytes, ending xbye", "eof"}));
}

}  // namespace
