// TLS failures, with Python's exceptions and messages: certificates that do not verify, the
// wrong hostname, a peer that does not speak TLS, the handshake and shutdown timeouts, and the
// argument checks of create_connection / create_server.
#include <gtest/gtest.h>

#include "tls_support.hpp"

namespace {

using namespace net_tests;

// What open_connection threw: "Type: what()" (verify_code appended for a certificate error).
struct TlsFailure {
    std::string text;
    long verify_code = -1;
    std::string library;
    std::string reason;
};

asyncio::Coro<TlsFailure> tlse_connect(int port, net::ConnectionOptions options) {
    TlsFailure failure;
    try {
        auto [reader, writer] =
            co_await asyncio::open_connection("127.0.0.1", port, asyncio::default_stream_limit, std::move(options));
        writer.close();
        failure.text = "connected";
    } catch (const ssl::SSLCertVerificationError& e) {
        failure = {std::string("SSLCertVerificationError: ") + e.what(), e.verify_code(), e.library(), e.reason()};
    } catch (const ssl::SSLError& e) {
        failure = {std::string("SSLError: ") + e.what(), -1, e.library(), e.reason()};
    } catch (const concurrence::ConnectionResetError& e) {
        failure.text = std::string("ConnectionResetError: ") + e.what();
    } catch (const concurrence::ConnectionAbortedError& e) {
        failure.text = std::string("ConnectionAbortedError: ") + e.what();
    } catch (const concurrence::ValueError& e) {
        failure.text = std::string("ValueError: ") + e.what();
    }
    co_return failure;
}

asyncio::Coro<TlsFailure> tlse_against_server(const char* cert, net::ConnectionOptions options) {
    int handler_calls = 0;
    auto handler = [&handler_calls](asyncio::StreamReader, asyncio::StreamWriter writer) {
        ++handler_calls;
        writer.close();
    };
    asyncio::Server server = co_await tls_stream_server(handler, cert);
    TlsFailure failure = co_await tlse_connect(server_port(server), std::move(options));
    server.close();
    co_await server.wait_closed();
    if (handler_calls != 0 && failure.text != "connected") failure.text += " (and the server's handler ran)";
    co_return failure;
}

TlsFailure tlse_run(const char* cert, ssl::SSLContext client, std::optional<std::string> server_hostname = std::nullopt) {
    net::ConnectionOptions options{.ssl = std::move(client), .server_hostname = std::move(server_hostname)};
    return asyncio::run(tlse_against_server(cert, std::move(options)));
}

TEST(TLSErrors, UnknownIssuer) {
    const TlsFailure f = tlse_run("localhost.pem", ssl::create_default_context());
    EXPECT_EQ(f.text,
              "SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local "
              "issuer certificate");
    EXPECT_EQ(f.verify_code, 20);
    EXPECT_EQ(f.library, "SSL");
    EXPECT_EQ(f.reason, "CERTIFICATE_VERIFY_FAILED");
}

TEST(TLSErrors, SelfSignedCertificate) {
    const TlsFailure f = tlse_run("selfsigned.pem", tls_client_context());
    EXPECT_EQ(f.text,
              "SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed "
              "certificate");
    EXPECT_EQ(f.verify_code, 18);
}

TEST(TLSErrors, HostnameMismatch) {
    const TlsFailure f = tlse_run("localhost.pem", tls_client_context(), "example.com");
    EXPECT_EQ(f.text,
              "SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, "
              "certificate is not valid for 'example.com'.");
    EXPECT_EQ(f.verify_code, 62);
}

TEST(TLSErrors, IpAddressMismatch) {
    const TlsFailure f = tlse_run("localhost.pem", tls_client_context(), "10.0.0.1");
    EXPECT_EQ(f.text,
              "SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: IP address "
              "mismatch, certificate is not valid for '10.0.0.1'.");
    EXPECT_EQ(f.verify_code, 64);
}

TEST(TLSErrors, TheNameOrTheAddressOfTheCertificateVerify) {
    EXPECT_EQ(tlse_run("localhost.pem", tls_client_context(), "localhost").text, "connected");
    EXPECT_EQ(tlse_run("localhost.pem", tls_client_context()).text, "connected");  // the host, 127.0.0.1
}

TEST(TLSErrors, WithoutVerificationAnyCertificateDoes) {
    ssl::SSLContext client(ssl::PROTOCOL_TLS_CLIENT);
    client.set_check_hostname(false);
    client.set_verify_mode(ssl::CERT_NONE);
    EXPECT_EQ(tlse_run("selfsigned.pem", client, "example.com").text, "connected");
}

// ---- a peer that does not speak TLS

// A plain server: accepts, then `reply` (if any) and closes.
asyncio::Coro<TlsFailure> tlse_plain_server(std::string reply) {
    auto handler = [reply](asyncio::StreamReader reader, asyncio::StreamWriter writer) -> asyncio::Coro<> {
        (void)co_await reader.read(10);  // the ClientHello's first bytes
        writer.write(reply);
        writer.close();
        co_await writer.wait_closed();
    };
    asyncio::Server server = co_await asyncio::start_server(handler, "127.0.0.1", 0);
    net::ConnectionOptions options{.ssl = tls_client_context()};
    TlsFailure failure = co_await tlse_connect(server_port(server), std::move(options));
    server.close();
    co_await server.wait_closed();
    co_return failure;
}

TEST(TLSErrors, PeerClosesDuringTheHandshake) {
    // Python: ConnectionResetError() without a message (the EOF came before the handshake's end).
    EXPECT_EQ(asyncio::run(tlse_plain_server("")).text, "ConnectionResetError: ");
}

TEST(TLSErrors, PeerAnswersInPlainText) {
    const TlsFailure f = asyncio::run(tlse_plain_server("HTTP/1.1 400 Bad Request\r\n\r\n"));
    EXPECT_EQ(f.text, "SSLError: [SSL: WRONG_VERSION_NUMBER] wrong version number");
    EXPECT_EQ(f.library, "SSL");
    EXPECT_EQ(f.reason, "WRONG_VERSION_NUMBER");
}

// A plain client to a TLS server: the server's handshake fails, quietly (an SSLError is an
// OSError: Python does not report it), and the client sees the connection end.
asyncio::Coro<std::string> tlse_plain_client(int& reported) {
    asyncio::get_running_loop().set_exception_handler(
        [&reported](asyncio::EventLoop&, const asyncio::ExceptionContext&) { ++reported; });
    auto handler = [](asyncio::StreamReader, asyncio::StreamWriter writer) { writer.write("never\n"); };
    asyncio::Server server = co_await tls_stream_server(handler);
    auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", server_port(server));
    writer.write("GET / HTTP/1.0\r\n\r\n");
    std::string answer = co_await reader.read();
    writer.close();
    server.close();
    co_await server.wait_closed();
    // An alert, maybe (TLS records start with 0x15 for an alert), never the handler's line.
    co_return answer.find("never") == std::string::npos ? "closed" : answer;
}

TEST(TLSErrors, PlainClientToATLSServer) {
    int reported = 0;
    EXPECT_EQ(asyncio::run(tlse_plain_client(reported)), "closed");
    EXPECT_EQ(reported, 0);
}

// ---- timeouts

asyncio::Coro<TlsFailure> tlse_silent_server() {
    net::Socket silent = listener();  // never accepted: the kernel takes the connection, nobody answers
    net::ConnectionOptions options{.ssl = tls_client_context(), .server_hostname = "localhost",
                                   .ssl_handshake_timeout = 0.05};
    co_return co_await tlse_connect(silent.getsockname().port, std::move(options));
}

TEST(TLSErrors, HandshakeTimeout) {
    const int fds_before = open_fd_count();
    EXPECT_EQ(asyncio::run(tlse_silent_server()).text,
              "ConnectionAbortedError: SSL handshake is taking longer than 0.05 seconds: aborting the connection");
    EXPECT_EQ(open_fd_count(), fds_before);
}

// A TLS peer run by hand on a plain socket (an SSLObject over two MemoryBIOs): it completes the
// handshake, then never answers the close_notify.
asyncio::Coro<> tlse_mute_tls_peer(net::Socket& listening) {
    asyncio::EventLoop& loop = asyncio::get_running_loop();
    auto [conn, peer] = co_await loop.sock_accept(listening);
    ssl::MemoryBIO incoming, outgoing;
    ssl::SSLObject tls = tls_server_context().wrap_bio(incoming, outgoing, true);
    bool done = false;
    while (!done) {
        try {
            tls.do_handshake();
            done = true;
        } catch (const ssl::SSLWantReadError&) {
        }
        if (outgoing.pending()) co_await loop.sock_sendall(conn, outgoing.read());
        if (!done) {
            std::string data = co_await loop.sock_recv(conn, 65536);
            if (data.empty()) co_return;
            incoming.write(data);
        }
    }
    // Read until the client's close_notify and EOF never come: hold the connection open.
    while (!(co_await loop.sock_recv(conn, 65536)).empty()) {
    }
}

asyncio::Coro<std::string> tlse_shutdown_timeout() {
    net::Socket listening = listener();
    const int port = listening.getsockname().port;
    asyncio::Task<void> peer = asyncio::create_task(tlse_mute_tls_peer(listening));
    net::ConnectionOptions options{.ssl = tls_client_context(), .ssl_shutdown_timeout = 0.05};
    auto [reader, writer] =
        co_await asyncio::open_connection("127.0.0.1", port, asyncio::default_stream_limit, std::move(options));
    writer.close();
    std::string outcome = "closed cleanly";
    try {
        co_await writer.wait_closed();
    } catch (const concurrence::TimeoutError& e) {
        outcome = std::string("TimeoutError: ") + e.what();
    }
    co_await peer;
    co_return outcome;
}

TEST(TLSErrors, ShutdownTimeout) {
    EXPECT_EQ(asyncio::run(tlse_shutdown_timeout()), "TimeoutError: SSL shutdown timed out");
}

// ---- argument checks (Python's messages)

asyncio::Coro<std::string> tlse_argument_error(std::string host, net::ConnectionOptions options, bool unix_socket) {
    std::string text = "no error";
    try {
        if (unix_socket)
            (void)co_await asyncio::open_unix_connection("/nonexistent/sock", asyncio::default_stream_limit,
                                                         std::move(options));
        else
            (void)co_await asyncio::open_connection(host, 1, asyncio::default_stream_limit, std::move(options));
    } catch (const concurrence::ValueError& e) {
        text = e.what();
    } catch (const std::exception& e) {
        text = std::string("other: ") + e.what();
    }
    co_return text;
}

std::string tlse_check(std::string host, net::ConnectionOptions options, bool unix_socket = false) {
    return asyncio::run(tlse_argument_error(std::move(host), std::move(options), unix_socket));
}

TEST(TLSErrors, ConnectionArgumentChecks) {
    EXPECT_EQ(tlse_check("127.0.0.1", net::ConnectionOptions{.server_hostname = "x"}),
              "server_hostname is only meaningful with ssl");
    EXPECT_EQ(tlse_check("127.0.0.1", net::ConnectionOptions{.ssl_handshake_timeout = 1.0}),
              "ssl_handshake_timeout is only meaningful with ssl");
    EXPECT_EQ(tlse_check("127.0.0.1", net::ConnectionOptions{.ssl_shutdown_timeout = 1.0}),
              "ssl_shutdown_timeout is only meaningful with ssl");
    EXPECT_EQ(tlse_check("", net::ConnectionOptions{.ssl = tls_client_context()}),
              "You must set server_hostname when using ssl without a host");
    EXPECT_EQ(tlse_check("127.0.0.1", net::ConnectionOptions{.ssl = tls_client_context(), .ssl_handshake_timeout = -1.0}),
              "ssl_handshake_timeout should be a positive number, got -1.0");
    EXPECT_EQ(tlse_check("127.0.0.1", net::ConnectionOptions{.ssl = tls_client_context(), .ssl_shutdown_timeout = 0.0}),
              "ssl_shutdown_timeout should be a positive number, got 0.0");
    EXPECT_EQ(tlse_check("", net::ConnectionOptions{.ssl = tls_client_context()}, true),
              "you have to pass server_hostname when using ssl");
    EXPECT_EQ(tlse_check("", net::ConnectionOptions{.server_hostname = "x"}, true),
              "server_hostname is only meaningful with ssl");
}

asyncio::Coro<std::string> tlse_server_argument_error(net::ServerOptions options) {
    std::string text = "no error";
    auto handler = [](asyncio::StreamReader, asyncio::StreamWriter) {};
    try {
        asyncio::Server server =
            co_await asyncio::start_server(handler, "127.0.0.1", 0, asyncio::default_stream_limit, std::move(options));
        server.close();
    } catch (const std::exception& e) {
        text = e.what();
    }
    co_return text;
}

TEST(TLSErrors, ServerArgumentChecks) {
    EXPECT_EQ(asyncio::run(tlse_server_argument_error(net::ServerOptions{.ssl_handshake_timeout = 1.0})),
              "ssl_handshake_timeout is only meaningful with ssl");
    EXPECT_EQ(asyncio::run(tlse_server_argument_error(net::ServerOptions{.ssl_shutdown_timeout = 1.0})),
              "ssl_shutdown_timeout is only meaningful with ssl");
    EXPECT_EQ(asyncio::run(tlse_server_argument_error(
                  net::ServerOptions{.ssl = tls_server_context(), .ssl_handshake_timeout = -2.5})),
              "ssl_handshake_timeout should be a positive number, got -2.5");
    EXPECT_EQ(asyncio::run(tlse_server_argument_error(net::ServerOptions{.ssl = tls_client_context()})),
              "Cannot create a server socket with a PROTOCOL_TLS_CLIENT context");
}

}  // namespace
