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
    // automatic: io_uring where it receives by completions (its readiness mode alone costs
    // more per message than epoll), unless the environment says which. io_uring refused (old
    // kernel, seccomp, io_uring_disabled, no liburing at build time) falls back to epoll.
    const Kind wanted = from_environment();
    if (wanted == Kind::epoll) return make_epoll_poller();
    try {
        std::unique_ptr<Poller> uring = make_uring_poller();
        if (wanted == Kind::io_uring || uring->receives_completions()) return uring;
    } catch (const OSError&) {
    }
    return make_epoll_poller();
}

}  // namespace concurrence::io
