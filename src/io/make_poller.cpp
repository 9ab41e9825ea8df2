#include <cstdlib>
#include <string_view>

#include "concurrence/base/errors.hpp"
#include "io/poller.hpp"

namespace concurrence::io {

namespace {
Kind from_environment() {
    const char* v = std::getenv("CONCURRENCE_BACKEND");
    if (!v || !*v) return Kind::automatic;
    const std::string_view name(v);
    if (name == "epoll") return Kind::epoll;
    if (name == "io_uring" || name == "uring") return Kind::io_uring;
    return Kind::automatic;  // unknown: the default (a typo must not stop the program)
}
}  // namespace

std::unique_ptr<Poller> make_poller(Kind kind) {
    if (kind == Kind::epoll) return make_epoll_poller();
    if (kind == Kind::io_uring) return make_uring_poller();
    // automatic: the environment may choose; io_uring refused (old kernel, seccomp, no
    // liburing at build time) falls back to epoll.
    if (from_environment() == Kind::epoll) return make_epoll_poller();
    try {
        return make_uring_poller();
    } catch (const OSError&) {
        return make_epoll_poller();
    }
}

}  // namespace concurrence::io
