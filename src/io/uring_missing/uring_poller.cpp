// Built when liburing is missing: asking for the io_uring backend fails as an unsupported
// system call would, and the automatic choice falls back to epoll.
#include <cerrno>

#include "concurrence/base/os_error.hpp"
#include "io/poller.hpp"

namespace concurrence::io {

std::unique_ptr<Poller> make_uring_poller(bool) { throw_os_error(ENOSYS); }

}  // namespace concurrence::io
