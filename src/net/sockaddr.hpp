// Address <-> struct sockaddr.
#pragma once

#include <sys/socket.h>

#include "concurrence/net/address.hpp"

namespace concurrence::net::detail {

struct RawAddress {
    sockaddr_storage storage{};
    socklen_t length = 0;
    const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
    sockaddr* get() { return reinterpret_cast<sockaddr*>(&storage); }
};

// The sockaddr for a socket of `family`: numeric hosts directly, names through getaddrinfo
// (blocking; gaierror if unknown). "" is the any-address.
RawAddress to_raw(const Address& address, int family, int type);
// Numeric only: false if the host needs resolving.
bool to_raw_numeric(const Address& address, int family, RawAddress& out);
Address from_raw(const sockaddr* sa, socklen_t length);

}  // namespace concurrence::net::detail
