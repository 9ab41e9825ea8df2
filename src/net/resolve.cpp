#include "concurrence/net/resolve.hpp"

#include <netdb.h>

#include <memory>

#include "net/sockaddr.hpp"

namespace concurrence::net {

gaierror::gaierror(int eai_code)
    : OSError(eai_code, "[Errno " + std::to_string(eai_code) + "] " + ::gai_strerror(eai_code), true) {}

std::vector<AddrInfo> getaddrinfo(const std::string& host, const std::string& port, int family, int type, int proto,
                                  int flags) {
    addrinfo hints{};
    hints.ai_family = family;
    hints.ai_socktype = type;
    hints.ai_protocol = proto;
    hints.ai_flags = flags;
    addrinfo* list = nullptr;
    const int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), port.empty() ? nullptr : port.c_str(),
                                 &hints, &list);
    if (rc == EAI_SYSTEM) throw_os_error(errno);
    if (rc != 0) throw gaierror(rc);
    std::unique_ptr<addrinfo, void (*)(addrinfo*)> owner(list, ::freeaddrinfo);
    std::vector<AddrInfo> out;
    for (const addrinfo* ai = list; ai; ai = ai->ai_next) {
        AddrInfo info;
        info.family = ai->ai_family;
        info.type = ai->ai_socktype;
        info.proto = ai->ai_protocol;
        if (ai->ai_canonname) info.canonname = ai->ai_canonname;
        info.address = detail::from_raw(ai->ai_addr, ai->ai_addrlen);
        out.push_back(std::move(info));
    }
    return out;
}

std::vector<AddrInfo> getaddrinfo(const std::string& host, int port, int family, int type, int proto, int flags) {
    // A number (not a service name): Python passes it with AI_NUMERICSERV's meaning.
    return getaddrinfo(host, std::to_string(port), family, type, proto, flags | AI_NUMERICSERV);
}

std::pair<std::string, std::string> getnameinfo(const Address& address, int flags) {
    detail::RawAddress raw;
    if (!detail::to_raw_numeric(address, address.family, raw)) {
        // Python: "sockaddr resolved to multiple addresses" or a gaierror; a name is resolved first.
        raw = detail::to_raw(address, address.family, SOCK_DGRAM);
    }
    char host[NI_MAXHOST];
    char service[NI_MAXSERV];
    const int rc = ::getnameinfo(raw.get(), raw.length, host, sizeof host, service, sizeof service, flags);
    if (rc == EAI_SYSTEM) throw_os_error(errno);
    if (rc != 0) throw gaierror(rc);
    return {host, service};
}

}  // namespace concurrence::net
