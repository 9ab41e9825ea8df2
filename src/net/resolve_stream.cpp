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
std::optional<AddrInfo> numeric_info(const std::string& host, int port, int family, int proto) {
    if (host.empty() || port < 0 || port > 65535) return std::nullopt;
    for (int af : {AF_INET, AF_INET6}) {
        if (family != 0 && family != af) continue;
        unsigned char buffer[sizeof(in6_addr)];
        if (::inet_pton(af, host.c_str(), buffer) == 1) {
            AddrInfo info;
            info.family = af;
            info.type = SOCK_STREAM;
            info.proto = proto ? proto : IPPROTO_TCP;
            info.address = Address(host, port);
            info.address.family = af;
            return info;
        }
    }
    return std::nullopt;
}
}  // namespace

asyncio::Coro<std::vector<AddrInfo>> resolve_stream(asyncio::EventLoop& loop, std::string host, int port, int family,
                                                    int proto, int flags) {
    if (auto info = numeric_info(host, port, family, proto)) co_return std::vector<AddrInfo>{std::move(*info)};
    co_return co_await loop.getaddrinfo(host, port, family, SOCK_STREAM, proto, flags);
}

}  // namespace concurrence::net::detail
