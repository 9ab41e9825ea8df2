// loop.sendfile on a transport (Python's BaseEventLoop.sendfile, _sendfile_native of the
// selector loop and _sendfile_fallback): the transport's buffer is flushed first, reading is
// paused, and the file goes out with sendfile(2) from the transport's own socket, waiting on
// the transport's writability (the socket stays registered to it: no second watch).
#include <cerrno>
#include <memory>
#include <optional>
#include <string>

#include "concurrence/bridge/run_in_executor.hpp"
#include "concurrence/loop/event_loop.hpp"
#include "concurrence/net/transport.hpp"
#include "net/file_sending.hpp"
#include "net/pipe_transport.hpp"
#include "net/socket_transport.hpp"

namespace concurrence::asyncio {
namespace {

using net::detail::SocketTransport;

// Python's _sendfile_fallback reads 16 KiB at a time.
constexpr std::size_t transport_fallback_block = 16 * 1024;

// The transport's writability instead of a watch of its own (see sendfile_chunks).
Coro<std::size_t> sendfile_native(SocketTransport& transport, int file, std::int64_t offset,
                                  std::optional<std::int64_t> count) {
    co_await transport.until_writable(false);  // what was written before goes first
    auto wait_writable = [&transport](bool spent) { return transport.until_writable(spent); };
    co_return co_await net::detail::sendfile_chunks(transport.fileno(), file, offset, count, wait_writable);
}

// Python's drain of its fallback protocol: past the high-water mark, wait; then write.
Coro<> write_chunk(SocketTransport& transport, std::string_view data) {
    if (transport.get_write_buffer_size() > transport.get_write_buffer_limits().second)
        co_await transport.until_writable(false);
    if (transport.is_closing()) throw ConnectionError("Connection closed by peer");
    transport.write_for_sendfile(data);
}

Coro<std::size_t> sendfile_fallback(EventLoop& loop, SocketTransport& transport, int file, std::int64_t offset,
                                    std::optional<std::int64_t> count) {
    auto send_chunk = [&transport](std::string_view data) { return write_chunk(transport, data); };
    co_return co_await net::detail::sendfile_by_reading(loop, file, offset, count, transport_fallback_block, send_chunk);
}

std::string describe(const Transport& transport) {
    if (dynamic_cast<const net::detail::PipeTransport*>(&transport)) return "<pipe transport>";
    return "<transport>";
}

}  // namespace

Coro<std::size_t> EventLoop::sendfile(Transport& transport, int file, std::int64_t offset,
                                      std::optional<std::int64_t> count, bool fallback) {
    if (transport.is_closing()) throw RuntimeError("Transport is closing");
    auto* socket_transport = dynamic_cast<SocketTransport*>(&transport);
    if (!socket_transport) throw RuntimeError("sendfile is not supported for transport " + describe(transport));
    net::detail::check_sendfile_params(offset, count);
    const std::shared_ptr<BaseTransport> hold = transport.shared_from_this();  // alive until the end
    socket_transport->begin_sendfile();
    struct EndSendfile {
        SocketTransport& transport;
        ~EndSendfile() { transport.end_sendfile(); }
    } end{*socket_transport};
    try {
        co_return co_await sendfile_native(*socket_transport, file, offset, count);
    } catch (const SendfileNotAvailableError&) {
        if (!fallback) throw;
    }
    co_return co_await sendfile_fallback(*this, *socket_transport, file, offset, count);
}

}  // namespace concurrence::asyncio
