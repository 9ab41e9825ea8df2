// create_connection's attempts (Python's _connect_sock, _interleave_addrinfos and
// staggered_race): one address after another, or Happy Eyeballs (RFC 8305): the next attempt
// starts when the one before it failed or has run `delay` seconds, and the first connection
// wins; the others are cancelled (their sockets closed).
#pragma once

#include <exception>
#include <memory>
#include <optional>
#include <vector>

#include "concurrence/loop/event_loop.hpp"
#include "concurrence/net/address.hpp"
#include "concurrence/net/resolve.hpp"
#include "concurrence/net/socket.hpp"
#include "concurrence/task/coro.hpp"

namespace concurrence::net::detail {

// The errors of the attempts, in the order they came (shared: attempts may outlive a wait).
using ConnectErrors = std::shared_ptr<std::vector<std::exception_ptr>>;

// One attempt: a socket of the entry's family, bound to local_addr if given, connected. Its
// OSError is recorded in `errors` and rethrown.
asyncio::Coro<Socket> connect_one(asyncio::EventLoop& loop, AddrInfo info, std::optional<Address> local_addr,
                                  ConnectErrors errors);

// Python's _interleave_addrinfos: by family, alternating, the first family's first
// `first_address_family_count` entries first.
std::vector<AddrInfo> interleave_addrinfos(std::vector<AddrInfo> infos, int first_address_family_count);

// Python's staggered_race over connect_one: the connected socket, or nullopt if every
// attempt failed (their errors in `errors`).
asyncio::Coro<std::optional<Socket>> connect_staggered(asyncio::EventLoop& loop, std::vector<AddrInfo> infos,
                                                       std::optional<Address> local_addr, ConnectErrors errors,
                                                       double delay);

}  // namespace concurrence::net::detail
