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
    // automatic: epoll, unless the environment asks for io_uring. Even with its completion
    // transports, io_uring measured 3-5% more server CPU per W4 message than epoll on the
    // reference machine (docs/design.md): the default stays the faster one. io_uring refused
    // (old kernel, seccomp, io_uring_disabled, no liburing at build time) falls back to epoll.
    if (from_environment() != Kind::io_uring) return make_epoll_poller();
    try {
        return make_uring_poller();
    } catch (const OSError&) {
        return make_epoll_poller();
    }
}

}  // namespace concurrence::io
