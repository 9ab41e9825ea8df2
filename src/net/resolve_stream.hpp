// Python's _ensure_resolved: a numeric host needs no resolver (and no thread); a name goes
// through loop.getaddrinfo, in the default executor.
#pragma once

#include <string>
#include <vector>

#include "concurrence/loop/event_loop.hpp"
#include "concurrence/net/address.hpp"
#include "concurrence/net/resolve.hpp"
#include "concurrence/task/coro.hpp"

namespace concurrence::net::detail {

// For stream sockets (create_connection).
asyncio::Coro<std::vector<AddrInfo>> resolve_stream(asyncio::EventLoop& loop, std::string host, int port, int family,
                                                    int proto, int flags);
// For a socket of `type` (create_datagram_endpoint: SOCK_DGRAM). An IPv6 address keeps the
// flowinfo and scope_id it was given (Python's 4-tuple).
asyncio::Coro<std::vector<AddrInfo>> ensure_resolved(asyncio::EventLoop& loop, Address address, int family, int type,
                                                     int proto, int flags);

}  // namespace concurrence::net::detail
