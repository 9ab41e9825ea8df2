// Python's message for a failed bind in create_server / create_connection(local_addr=):
// "[Errno 98] error while attempting to bind on address ('127.0.0.1', 8888): address already
// in use", as the OSError subclass of the errno.
#pragma once

#include <algorithm>
#include <cctype>
#include <exception>
#include <string>

#include "concurrence/base/os_error.hpp"
#include "concurrence/net/address.hpp"

namespace concurrence::net::detail {

inline std::exception_ptr bind_error(const OSError& e, const Address& address) {
    std::string reason = e.strerror();
    std::transform(reason.begin(), reason.end(), reason.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return os_error_with_message(e.errno_code(), "[Errno " + std::to_string(e.errno_code()) +
                                                     "] error while attempting to bind on address " +
                                                     address.repr() + ": " + reason);
}

}  // namespace concurrence::net::detail
