// Python's _ensure_resolved for stream sockets: a numeric host needs no resolver (and no
// thread); a name goes through loop.getaddrinfo, in the default executor.
#pragma once

#include <string>
#include <vector>

#include "concurrence/loop/event_loop.hpp"
#include "concurrence/net/resolve.hpp"
#include "concurrence/task/coro.hpp"

namespace concurrence::net::detail {

asyncio::Coro<std::vector<AddrInfo>> resolve_stream(asyncio::EventLoop& loop, std::string host, int port, int family,
                                                    int proto, int flags);

}  // namespace concurrence::net::detail
