// What a backend without completion-based receiving (epoll) answers: it has none.
#include "io/poller.hpp"

#include <cerrno>

#include "concurrence/base/errors.hpp"

namespace concurrence::io {

void Poller::start_receive(int, ReceiveSink*) { throw_os_error(ENOTSUP); }
void Poller::cancel_receive(int) noexcept {}
void Poller::stop_receive(int) noexcept {}
void Poller::release_receive_buffer(std::uint16_t) noexcept {}

}  // namespace concurrence::io
