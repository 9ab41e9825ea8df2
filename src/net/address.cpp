#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cstring>

#include "concurrence/base/errors.hpp"
#include "concurrence/net/resolve.hpp"
#include "net/sockaddr.hpp"

namespace concurrence::net {

namespace {
// Python's repr(bytes), for an abstract AF_UNIX name (b'\x00name'): its NUL must not reach a
// message as is (what() would end there).
std::string bytes_repr(const std::string& data) {
    const char quote = data.find('\'') != std::string::npos && data.find('"') == std::string::npos ? '"' : '\'';
    static constexpr char hex[] = "0123456789abcdef";
    std::string text = "b";
    text += quote;
    for (const char c : data) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == quote || c == '\\') {
            text += '\\';
            text += c;
        } else if (c == '\t') {
            text += "\\t";
        } else if (c == '\n') {
            text += "\\n";
        } else if (c == '\r') {
            text += "\\r";
        } else if (byte < 0x20 || byte >= 0x7f) {
            text += "\\x";
            text += hex[byte >> 4];
            text += hex[byte & 0xf];
        } else {
            text += c;
        }
    }
    return text + quote;
}
}  // namespace

std::string Address::repr() const {
    if (family == AF_UNIX) {
        if (!host.empty() && host[0] == '\0') return bytes_repr(host);  // Linux's abstract namespace
        return "'" + host + "'";
    }
    std::string text = "('" + host + "', " + std::to_string(port);
    if (family == AF_INET6) text += ", " + std::to_string(flowinfo) + ", " + std::to_string(scope_id);
    return text + ")";
}

namespace detail {

bool to_raw_numeric(const Address& address, int family, RawAddress& out) {
    out = RawAddress{};
    if (family == AF_UNIX || address.family == AF_UNIX) {
        auto* un = reinterpret_cast<sockaddr_un*>(&out.storage);
        // Linux's abstract namespace (a name starting with NUL) has exactly its length, up to
        // all of sun_path; "" is the bare family (bind: autobind to a fresh abstract name).
        // A path needs room for its NUL. (Python's getsockaddrarg.)
        const bool abstract = address.host.empty() || address.host[0] == '\0';
        if (address.host.size() > sizeof un->sun_path - (abstract ? 0 : 1)) throw OSError("AF_UNIX path too long");
        un->sun_family = AF_UNIX;
        std::memcpy(un->sun_path, address.host.data(), address.host.size());
        out.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.host.size() + (abstract ? 0 : 1));
        return true;
    }
    if (address.port < 0 || address.port > 65535) throw OverflowError("port must be 0-65535.");
    const auto port = htons(static_cast<std::uint16_t>(address.port));
    if (family == AF_INET || (family == 0 && address.family == AF_INET)) {
        auto* in = reinterpret_cast<sockaddr_in*>(&out.storage);
        in->sin_family = AF_INET;
        in->sin_port = port;
        if (address.host.empty()) {
            in->sin_addr.s_addr = htonl(INADDR_ANY);
        } else if (::inet_pton(AF_INET, address.host.c_str(), &in->sin_addr) != 1) {
            return false;
        }
        out.length = sizeof(sockaddr_in);
        return true;
    }
    if (family == AF_INET6 || (family == 0 && address.family == AF_INET6)) {
        auto* in6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = port;
        in6->sin6_flowinfo = htonl(address.flowinfo);
        in6->sin6_scope_id = address.scope_id;
        if (address.host.empty()) {
            in6->sin6_addr = in6addr_any;
        } else if (::inet_pton(AF_INET6, address.host.c_str(), &in6->sin6_addr) != 1) {
            return false;
        }
        out.length = sizeof(sockaddr_in6);
        return true;
    }
    return false;
}

RawAddress to_raw(const Address& address, int family, int type) {
    RawAddress raw;
    if (to_raw_numeric(address, family, raw)) return raw;
    // A name: the first answer of the socket's family, as Python's socket does.
    const auto infos = getaddrinfo(address.host, address.port, family, type);
    for (const AddrInfo& info : infos) {
        if (to_raw_numeric(info.address, info.family, raw)) return raw;
    }
    throw gaierror(EAI_NONAME);
}

Address from_raw(const sockaddr* sa, socklen_t length) {
    Address a;
    a.family = sa->sa_family;
    char text[INET6_ADDRSTRLEN] = {};
    switch (sa->sa_family) {
        case AF_INET: {
            const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
            ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
            a.host = text;
            a.port = ntohs(in->sin_port);
            break;
        }
        case AF_INET6: {
            const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
            ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
            a.host = text;
            a.port = ntohs(in6->sin6_port);
            a.flowinfo = ntohl(in6->sin6_flowinfo);
            a.scope_id = in6->sin6_scope_id;
            break;
        }
        case AF_UNIX: {
            const auto* un = reinterpret_cast<const sockaddr_un*>(sa);
            const std::size_t offset = offsetof(sockaddr_un, sun_path);
            if (length > offset) {
                std::size_t n = length - offset;
                if (un->sun_path[0] != '\0') n = ::strnlen(un->sun_path, n);  // not abstract: up to the NUL
                a.host.assign(un->sun_path, n);
            }
            break;
        }
        default: break;
    }
    return a;
}

}  // namespace detail
}  // namespace concurrence::net
