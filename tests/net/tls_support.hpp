// Helpers of the TLS network tests: contexts on the test certificates (tests/data/tls).
#pragma once

#include <concurrence/ssl.hpp>

#include <utility>

#include "net_support.hpp"
#include "tls_data.hpp"

namespace net_tests {

namespace ssl = concurrence::ssl;
using concurrence::testing::tls_file;

// A server with the CA-signed certificate for localhost / 127.0.0.1.
inline ssl::SSLContext tls_server_context(const char* cert = "localhost.pem") {
    ssl::SSLContext context(ssl::PROTOCOL_TLS_SERVER);
    context.load_cert_chain(tls_file(cert));
    return context;
}

// A client that trusts the tests' CA (and checks hostnames).
inline ssl::SSLContext tls_client_context() {
    return ssl::create_default_context(ssl::Purpose::SERVER_AUTH, tls_file("ca.pem"));
}

inline int server_port(const asyncio::Server& server) { return server.sockets().at(0).getsockname().port; }

using TlsStreams = std::pair<asyncio::StreamReader, asyncio::StreamWriter>;

// start_server on 127.0.0.1 (a free port) with TLS on the given certificate. (References, not
// copies: g++ 12 mishandles a temporary that owns something in a co_await's full-expression.)
template <class Handler>
asyncio::Coro<asyncio::Server> tls_stream_server(const Handler& handler, const char* cert = "localhost.pem") {
    net::ServerOptions options{.ssl = tls_server_context(cert)};
    co_return co_await asyncio::start_server(handler, "127.0.0.1", 0, asyncio::default_stream_limit, std::move(options));
}

// open_connection to such a server, verifying it with `context`.
inline asyncio::Coro<TlsStreams> tls_stream_client(int port, const ssl::SSLContext& context) {
    net::ConnectionOptions options{.ssl = context};
    co_return co_await asyncio::open_connection("127.0.0.1", port, asyncio::default_stream_limit, std::move(options));
}

// ... or with the tests' CA.
inline asyncio::Coro<TlsStreams> tls_stream_client(int port) {
    const ssl::SSLContext context = tls_client_context();
    co_return co_await tls_stream_client(port, context);
}

}  // namespace net_tests
