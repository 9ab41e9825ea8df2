// Helpers of the TLS network tests: contexts on the test certificates (tests/data/tls).
#pragma once

#include <concurrence/ssl.hpp>

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

}  // namespace net_tests
