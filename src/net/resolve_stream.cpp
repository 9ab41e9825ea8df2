#include "net/resolve_stream.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "concurrence/base/errors.hpp"
#include "concurrence/net/sock_ops.hpp"
#include "concurrence/task/task.hpp"

namespace concurrence::net::detail {

namespace {
// Python's _ipaddr_info: the answer getaddrinfo would give for a numeric host, or nullopt.
std::optional<AddrInfo> numeric_info(const Address& address, int family, int type, int proto) {
    const std::string& host = address.host;
    if (host.empty() || address.port < 0 || address.port > 65535) return std::nullopt;
    if (type == SOCK_STREAM) {
        proto = proto ? proto : IPPROTO_TCP;
    } else {
        // Python: only the protocols it can name for the type, and no zone index ("fe80::1%lo").
        if (type != SOCK_DGRAM || (proto != 0 && proto != IPPROTO_TCP && proto != IPPROTO_UDP)) return std::nullopt;
        if (host.find('%') != std::string::npos) return std::nullopt;
        proto = IPPROTO_UDP;
    }
    for (int af : {AF_INET, AF_INET6}) {
        if (family != 0 && family != af) continue;
        unsigned char buffer[sizeof(in6_addr)];
        if (::inet_pton(af, host.c_str(), buffer) == 1) {
            AddrInfo info;
            info.family = af;
            info.type = type;
            info.proto = proto;
            info.address = Address(host, address.port);
            info.address.family = af;
            if (af == AF_INET6) {
                info.address.flowinfo = address.flowinfo;
                info.address.scope_id = address.scope_id;
            }
            return info;
        }
    }
    return std::nullopt;
}
}  // namespace

asyncio::Coro<std::vector<AddrInfo>> resolve_stream(asyncio::EventLoop& loop, std::string host, int port, int family,
                                                    int proto, int flags) {
    if (auto info = numeric_info(Address(host, port), family, SOCK_STREAM, proto))
        co_return std::vector<AddrInfo>{std::move(*info)};
    co_return co_await loop.getaddrinfo(host, port, family, SOCK_STREAM, proto, flags);
}

asyncio::Coro<std::vector<AddrInfo>> ensure_resolved(asyncio::EventLoop& loop, Address address, int family, int type,
                                                     int proto, int flags) {
    if (auto info = numeric_info(address, family, type, proto)) co_return std::vector<AddrInfo>{std::move(*info)};
    co_return co_await loop.getaddrinfo(address.host, address.port, family, type, proto, flags);
}

}  // namespace concurrence::net::detail
