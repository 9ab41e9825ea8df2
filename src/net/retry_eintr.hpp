// A system call retried while a signal interrupts it (EINTR): what Python does for every
// socket call since PEP 475.
#pragma once

#include <cerrno>

namespace concurrence::net::detail {

template <class Call>
auto retry_eintr(Call call) {
    for (;;) {
        auto r = call();
        if (r >= 0 || errno != EINTR) return r;
    }
}

}  // namespace concurrence::net::detail
