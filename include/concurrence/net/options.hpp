// The keyword arguments of loop.create_connection, loop.create_server,
// loop.create_datagram_endpoint and loop.start_tls, as designated initialisers:
//
//   co_await loop.create_server(factory, "", 8888, {.backlog = 1000, .reuse_port = true});
//
// TLS (Python's ssl=): an ssl::SSLContext. Python's ssl=True is
// {.ssl = ssl::create_default_context()}.
//
//   net::ConnectionOptions tls{.ssl = ssl::create_default_context()};  // named: g++ 12
//   auto [reader, writer] = co_await asyncio::open_connection("example.com", 443,
//                                                             asyncio::default_stream_limit, std::move(tls));
//
//   net::DatagramOptions options{.local_addr = net::Address{"127.0.0.1", 9999}};
//   co_await loop.create_datagram_endpoint(factory, std::move(options));
//
// With g++ 12, options that own something (an address, a socket) must be named first, as
// above: that compiler mishandles such a temporary in a co_await expression (it copies it byte
// by byte; docs/design.md). clang takes `{.local_addr = ...}` in place.
#pragma once

#include <netdb.h>

#include <optional>
#include <string>

#include "concurrence/net/address.hpp"
#include "concurrence/net/socket.hpp"
#include "concurrence/ssl/context.hpp"

namespace concurrence::net {

struct ConnectionOptions {
    int family = 0;  // AF_INET, AF_INET6, or 0: whatever the host resolves to
    int proto = 0;
    int flags = 0;  // getaddrinfo flags
    std::optional<Address> local_addr = std::nullopt;  // bind the socket there first
    // An already connected socket to use instead of host and port (Python's sock=).
    std::optional<Socket> sock = std::nullopt;
    // Happy Eyeballs (RFC 8305): the next address is tried when the attempt before it failed
    // or has run this many seconds (0.25 is the RFC's advice), the first connection wins.
    std::optional<double> happy_eyeballs_delay = std::nullopt;
    // The addresses interleaved by family, this many of the first family first (RFC 8305's
    // First Address Family Count); by default 1 with Happy Eyeballs, else 0 (as resolved).
    std::optional<int> interleave = std::nullopt;
    // When every address fails: ExceptionGroup("create_connection failed", every error)
    // instead of the one OSError (3.12).
    bool all_errors = false;
    // TLS over the connection, with this context (the app protocol is connected after the
    // handshake). server_hostname: the name the server's certificate must be for, and SNI;
    // by default the host. Timeouts in seconds: Python's 60 for the handshake, 30 for the
    // closing exchange.
    std::optional<ssl::SSLContext> ssl = std::nullopt;
    std::optional<std::string> server_hostname = std::nullopt;
    std::optional<double> ssl_handshake_timeout = std::nullopt;
    std::optional<double> ssl_shutdown_timeout = std::nullopt;
};

struct ServerOptions {
    int family = 0;
    int flags = AI_PASSIVE;
    int backlog = 100;
    std::optional<bool> reuse_address = std::nullopt;  // default: true (Python's default on POSIX)
    bool reuse_port = false;
    bool start_serving = true;
    // An already bound socket to listen on instead of host and port (Python's sock=).
    std::optional<Socket> sock = std::nullopt;
    // TLS on every accepted connection, with this (server) context.
    std::optional<ssl::SSLContext> ssl = std::nullopt;
    std::optional<double> ssl_handshake_timeout = std::nullopt;
    std::optional<double> ssl_shutdown_timeout = std::nullopt;
};

// loop.connect_accepted_socket's keyword arguments: TLS, as the server's side.
struct AcceptedSocketOptions {
    std::optional<ssl::SSLContext> ssl = std::nullopt;
    std::optional<double> ssl_handshake_timeout = std::nullopt;
    std::optional<double> ssl_shutdown_timeout = std::nullopt;
};

// loop.start_tls's keyword arguments.
struct StartTLSOptions {
    bool server_side = false;
    std::optional<std::string> server_hostname = std::nullopt;
    std::optional<double> ssl_handshake_timeout = std::nullopt;
    std::optional<double> ssl_shutdown_timeout = std::nullopt;
};

// loop.create_datagram_endpoint's arguments. Python's (host, port) tuples are net::Address
// values: Address{"127.0.0.1", 9999} (a numeric host is used as is), Address{"localhost", 9999}
// (a name: resolved off the loop, in the default executor), host "" for Python's None (the
// loopback, or every interface with flags = AI_PASSIVE, as getaddrinfo answers). An AF_UNIX
// endpoint takes paths, Address::unix_path("/tmp/app.sock") (family = AF_UNIX, or implied by
// such an address); an empty path is Python's '' (no address).
struct DatagramOptions {
    std::optional<Address> local_addr = std::nullopt;   // bind there
    std::optional<Address> remote_addr = std::nullopt;  // connect there (sendto's default peer)
    int family = 0;  // AF_INET, AF_INET6, AF_UNIX, or 0: what the addresses resolve to
    int proto = 0;
    int flags = 0;  // getaddrinfo flags
    bool reuse_port = false;       // SO_REUSEPORT
    bool allow_broadcast = false;  // SO_BROADCAST; remote_addr is then not connected, only the default
    // An already made datagram socket to use instead (Python's sock=); nothing else may be given.
    std::optional<Socket> sock = std::nullopt;
};

}  // namespace concurrence::net
