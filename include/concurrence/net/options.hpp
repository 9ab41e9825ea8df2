// The keyword arguments of loop.create_connection and loop.create_server, as designated
// initialisers:
//
//   co_await loop.create_server(factory, "", 8888, {.backlog = 1000, .reuse_port = true});
#pragma once

#include <netdb.h>

#include <optional>

#include "concurrence/net/address.hpp"
#include "concurrence/net/socket.hpp"

namespace concurrence::net {

struct ConnectionOptions {
    int family = 0;  // AF_INET, AF_INET6, or 0: whatever the host resolves to
    int proto = 0;
    int flags = 0;  // getaddrinfo flags
    std::optional<Address> local_addr = std::nullopt;  // bind the socket there first
    // An already connected socket to use instead of host and port (Python's sock=).
    std::optional<Socket> sock = std::nullopt;
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
};

}  // namespace concurrence::net
