// A socket address, as Python writes them: (host, port) for IPv4, (host, port, flowinfo,
// scope_id) for IPv6, a path for AF_UNIX.
//
//   net::Address{"127.0.0.1", 8888}           // ('127.0.0.1', 8888)
//   net::Address{"localhost", 8888}           // resolved where it is used, as Python does
//   net::Address::unix_path("/tmp/app.sock")  // '/tmp/app.sock'
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>

namespace concurrence::net {

struct Address {
    Address() = default;
    Address(std::string host_, int port_) : host(std::move(host_)), port(port_) {}
    static Address unix_path(std::string path) {
        Address a;
        a.family = AF_UNIX;
        a.host = std::move(path);
        return a;
    }

    // AF_INET, AF_INET6 or AF_UNIX; 0 for a host not resolved yet (a name, or "" for any).
    int family = 0;
    std::string host;  // the path for AF_UNIX
    int port = 0;
    std::uint32_t flowinfo = 0;  // IPv6 only
    std::uint32_t scope_id = 0;  // IPv6 only

    bool operator==(const Address&) const = default;
    // Python's repr: ('127.0.0.1', 8888), ('::1', 8888, 0, 0), '/tmp/app.sock'.
    std::string repr() const;
};

}  // namespace concurrence::net
