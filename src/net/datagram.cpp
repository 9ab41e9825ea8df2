// loop.create_datagram_endpoint (Python's base_events), UDP and AF_UNIX.
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "concurrence/base/errors.hpp"
#include "concurrence/net/endpoints.hpp"
#include "concurrence/net/sock_ops.hpp"
#include "concurrence/task/task.hpp"
#include "net/datagram_transport.hpp"
#include "net/resolve_stream.hpp"

namespace concurrence::net::detail {

namespace {

// Python's truth value of an address argument: a (host, port) tuple is always given; a path
// only if not empty.
bool dg_given(const std::optional<Address>& address, bool unix_endpoint) {
    if (!address) return false;
    if (unix_endpoint || address->family == AF_UNIX) return !address->host.empty();
    return true;
}

// An address of an AF_UNIX endpoint, as the path it is.
Address dg_unix(const Address& address) { return Address::unix_path(address.host); }

// Python's _set_reuseport.
void dg_set_reuseport(Socket& sock) {
    try {
        sock.setsockopt(SOL_SOCKET, SO_REUSEPORT, 1);
    } catch (const OSError&) {
        throw ValueError("reuse_port not supported by socket module, SO_REUSEPORT defined but not implemented.");
    }
}

// The transport starts; the caller gets it once protocol.connection_made() has run (or, if
// cancelled meanwhile, the transport is closed).
asyncio::Coro<std::shared_ptr<asyncio::DatagramTransport>> dg_start(asyncio::EventLoop& loop, Socket sock,
                                                                    DatagramProtocolFactory factory,
                                                                    std::optional<Address> address) {
    auto transport = std::make_shared<DatagramSocketTransport>(loop, std::move(sock), factory(), std::move(address));
    co_await transport->start_and_wait();
    co_return transport;
}

// One (family, proto) of the resolved addresses, with the local and remote address of it.
// (No std::optional members: g++ 12 warns of its moves, maybe-uninitialized.)
struct DgCandidate {
    DgCandidate(int family_, int proto_) : family(family_), proto(proto_) {}
    int family;
    int proto;
    Address local;
    Address remote;
    bool has_local = false;
    bool has_remote = false;
};

}  // namespace

asyncio::Coro<std::shared_ptr<asyncio::DatagramTransport>> open_datagram_endpoint(asyncio::EventLoop& loop,
                                                                                   DatagramProtocolFactory factory,
                                                                                   DatagramOptions options) {
    if (options.sock) {
        if (options.sock->type() == SOCK_STREAM)
            throw ValueError("A datagram socket was expected, got " + options.sock->repr());
        // Python names every option given beside sock, in its order.
        const bool unix_hint = options.family == AF_UNIX;
        std::string problems;
        auto note = [&problems](const std::string& item) { problems += (problems.empty() ? "" : ", ") + item; };
        if (dg_given(options.local_addr, unix_hint))
            note("local_addr=" + address_str(unix_hint ? dg_unix(*options.local_addr) : *options.local_addr));
        if (dg_given(options.remote_addr, unix_hint))
            note("remote_addr=" + address_str(unix_hint ? dg_unix(*options.remote_addr) : *options.remote_addr));
        if (options.family) note("family=" + std::to_string(options.family));
        if (options.proto) note("proto=" + std::to_string(options.proto));
        if (options.flags) note("flags=" + std::to_string(options.flags));
        if (options.reuse_port) note("reuse_port=True");
        if (options.allow_broadcast) note("allow_broadcast=True");
        if (!problems.empty())
            throw ValueError("socket modifier keyword arguments can not be used when sock is specified. (" + problems +
                             ")");
        Socket sock = std::move(*options.sock);
        sock.setblocking(false);
        co_return co_await dg_start(loop, std::move(sock), std::move(factory), std::nullopt);
    }

    int family = options.family;
    const auto is_path = [](const std::optional<Address>& a) { return a && a->family == AF_UNIX; };
    // An Address::unix_path says AF_UNIX by itself (Python needs family=AF_UNIX).
    if (family == 0 && (is_path(options.local_addr) || is_path(options.remote_addr))) family = AF_UNIX;
    const bool unix_endpoint = family == AF_UNIX;
    const bool has_local = dg_given(options.local_addr, unix_endpoint);
    const bool has_remote = dg_given(options.remote_addr, unix_endpoint);

    std::vector<DgCandidate> candidates;
    if (!has_local && !has_remote) {
        if (family == 0) throw ValueError("unexpected address family");
        candidates.emplace_back(family, options.proto);
    } else if (unix_endpoint) {
        for (const std::optional<Address>* a : {&options.local_addr, &options.remote_addr}) {
            if (*a && ((*a)->family == AF_INET || (*a)->family == AF_INET6 || (*a)->port != 0))
                throw TypeError("string is expected");
        }
        DgCandidate candidate(AF_UNIX, options.proto);
        if (has_local) {
            candidate.local = dg_unix(*options.local_addr);
            candidate.has_local = true;
            // Python: a stale socket file (from an endpoint that did not remove it) is removed
            // first; other files are left alone (bind then fails).
            const std::string& path = candidate.local.host;
            if (path[0] != '\0') {
                struct stat st {};
                if (::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(path.c_str());
            }
        }
        if (has_remote) {
            candidate.remote = dg_unix(*options.remote_addr);
            candidate.has_remote = true;
        }
        candidates.push_back(std::move(candidate));
    } else {
        if (is_path(options.local_addr) || is_path(options.remote_addr)) throw TypeError("2-tuple is expected");
        // Python joins the addresses by (family, proto), in the order first seen; of several
        // answers of one (family, proto), the last one is kept.
        std::vector<DgCandidate> joined;
        for (int idx = 0; idx < 2; ++idx) {
            const std::optional<Address>& given = idx == 0 ? options.local_addr : options.remote_addr;
            if (!given) continue;
            std::vector<AddrInfo> infos =
                co_await ensure_resolved(loop, *given, family, SOCK_DGRAM, options.proto, options.flags);
            if (infos.empty()) throw OSError("getaddrinfo() returned empty list");
            for (AddrInfo& info : infos) {
                DgCandidate* slot = nullptr;
                for (DgCandidate& c : joined) {
                    if (c.family == info.family && c.proto == info.proto) slot = &c;
                }
                if (!slot) slot = &joined.emplace_back(info.family, info.proto);
                if (idx == 0) {
                    slot->local = std::move(info.address);
                    slot->has_local = true;
                } else {
                    slot->remote = std::move(info.address);
                    slot->has_remote = true;
                }
            }
        }
        // Each must have an address for each side that was asked for.
        for (DgCandidate& c : joined) {
            if ((has_local && !c.has_local) || (has_remote && !c.has_remote)) continue;
            candidates.push_back(std::move(c));
        }
        if (candidates.empty()) throw ValueError("can not get address information");
    }

    // The first candidate whose socket can be made, bound and connected.
    std::vector<std::exception_ptr> exceptions;
    Socket sock;
    std::optional<Address> remote_address;
    for (DgCandidate& c : candidates) {
        try {
            Socket attempt(c.family, SOCK_DGRAM, c.proto);
            if (options.reuse_port) dg_set_reuseport(attempt);
            if (options.allow_broadcast) attempt.setsockopt(SOL_SOCKET, SO_BROADCAST, 1);
            attempt.setblocking(false);
            if (has_local) attempt.bind(c.local);
            // With allow_broadcast, the remote address is only sendto's default (Python).
            if (has_remote && !options.allow_broadcast) co_await loop.sock_connect(attempt, c.remote);
            sock = std::move(attempt);
        } catch (const OSError&) {
            exceptions.push_back(std::current_exception());
            continue;
        }
        if (has_remote) remote_address = c.remote;
        break;
    }
    if (!sock.is_open()) std::rethrow_exception(exceptions.front());  // Python raises the first
    co_return co_await dg_start(loop, std::move(sock), std::move(factory), std::move(remote_address));
}

}  // namespace concurrence::net::detail
