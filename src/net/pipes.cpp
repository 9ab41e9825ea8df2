// loop.connect_read_pipe / connect_write_pipe (Python's unix_events.py).
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>

#include "concurrence/base/errors.hpp"
#include "concurrence/net/endpoints.hpp"
#include "concurrence/task/task.hpp"
#include "net/pipe_transport.hpp"

namespace concurrence::net::detail {

asyncio::Coro<std::shared_ptr<asyncio::Transport>> open_pipe_transport(asyncio::EventLoop& loop,
                                                                       ProtocolFactory factory, int fd,
                                                                       bool write_end) {
    // Python's checks, before the descriptor is taken: on these errors it stays the caller's.
    struct stat st {};
    if (::fstat(fd, &st) < 0) throw_os_error(errno);
    const bool fits = S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || S_ISCHR(st.st_mode);
    if (!fits && !write_end) throw ValueError("Pipe transport is for pipes/sockets only.");
    if (!fits) throw ValueError("Pipe transport is only for pipes, sockets and character devices");
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || (!(flags & O_NONBLOCK) && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)) throw_os_error(errno);
    auto protocol = factory();
    // From here the transport owns the descriptor: it is closed with it, on failure too.
    const auto end = write_end ? PipeTransport::End::write : PipeTransport::End::read;
    auto transport = std::make_shared<PipeTransport>(loop, Socket::adopt(fd, 0, 0, false), std::move(protocol), end);
    co_await transport->start_and_wait();
    co_return transport;
}

}  // namespace concurrence::net::detail
