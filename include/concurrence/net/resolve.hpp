// Python's socket.getaddrinfo / getnameinfo (blocking, for threads) and socket.gaierror.
// On the loop, use loop.getaddrinfo(...), which runs these in the default executor as
// Python does.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "concurrence/base/os_error.hpp"
#include "concurrence/net/address.hpp"

namespace concurrence::net {

// Python's socket.gaierror: errno is the EAI_* code, what() "[Errno -2] Name or service not
// known".
class gaierror : public OSError {
public:
    explicit gaierror(int eai_code);
};

// One entry of getaddrinfo's answer: Python's (family, type, proto, canonname, sockaddr).
struct AddrInfo {
    int family = 0;
    int type = 0;
    int proto = 0;
    std::string canonname;
    Address address;
};

// port: a number, a service name ("http") or "" (Python's None: port 0). host "" means
// Python's None (the loopback, or any address with AI_PASSIVE).
std::vector<AddrInfo> getaddrinfo(const std::string& host, const std::string& port, int family = 0, int type = 0,
                                  int proto = 0, int flags = 0);
std::vector<AddrInfo> getaddrinfo(const std::string& host, int port, int family = 0, int type = 0, int proto = 0,
                                  int flags = 0);
// (host, service) for an address.
std::pair<std::string, std::string> getnameinfo(const Address& address, int flags = 0);

}  // namespace concurrence::net
