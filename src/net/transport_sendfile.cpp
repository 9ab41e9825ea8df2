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
#include "net/ssl_transport.hpp"

namespace concurrence::asyncio {
namespace {

using net::detail::SocketTransport;
using net::detail::SSLTransport;

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
    if (dynamic_cast<const SSLTransport*>(&transport)) return "<ssl transport>";
    return "<transport>";
}

// Python's _SendfileFallbackProtocol: stands in for the transport's protocol while the file
// is written, so that the program's protocol sees no pause_writing; drain() waits while the
// transport is over its high-water mark. Reading is paused meanwhile.
class FallbackProtocol final : public Protocol {
public:
    FallbackProtocol(EventLoop& loop, Transport& transport, std::shared_ptr<Protocol> original, bool paused)
        : loop_(loop), transport_(transport), original_(std::move(original)) {
        if (paused) ready_ = loop_.create_future<void>();
    }

    void pause_writing() override {
        if (!ready_) ready_ = loop_.create_future<void>();
    }
    void resume_writing() override {
        if (!ready_) return;
        if (!ready_->done()) ready_->set_result();
        ready_.reset();
    }
    void connection_lost(std::exception_ptr exc) override {
        if (ready_ && !ready_->done())
            ready_->set_exception(exc ? exc : std::make_exception_ptr(ConnectionError("Connection is closed by peer")));
        original_->connection_lost(exc);
    }
    void data_received(std::string_view) override { throw RuntimeError("Invalid state: reading should be paused"); }
    bool eof_received() override { throw RuntimeError("Invalid state: reading should be paused"); }

    Coro<> drain() {
        if (transport_.is_closing()) throw ConnectionError("Connection closed by peer");
        if (!ready_) co_return;
        Future<void> ready = *ready_;
        co_await ready;
    }
    void cancel_wait() {
        if (ready_ && !ready_->done()) ready_->cancel();
    }

private:
    EventLoop& loop_;
    Transport& transport_;
    std::shared_ptr<Protocol> original_;
    std::optional<Future<void>> ready_;
};

// Python's fallback loop body: drain, then write.
Coro<> write_tls_chunk(SSLTransport& transport, FallbackProtocol& stand_in, std::string_view data) {
    co_await stand_in.drain();
    transport.write(data);
}

// loop.sendfile on a TLS transport: Python's fallback only (the file must be encrypted, so
// the kernel cannot send it): 16 KiB reads in the default executor, written to the transport.
Coro<std::size_t> sendfile_over_tls(EventLoop& loop, SSLTransport& transport, int file, std::int64_t offset,
                                    std::optional<std::int64_t> count) {
    std::shared_ptr<Protocol> original = transport.app_protocol();
    const bool should_resume_reading = transport.is_reading();
    const bool should_resume_writing = transport.writing_paused();
    auto stand_in = std::make_shared<FallbackProtocol>(loop, transport, original, should_resume_writing);
    transport.pause_reading();
    transport.set_protocol(stand_in);
    // Python's restore(), whatever the end.
    struct Restore {
        SSLTransport& transport;
        std::shared_ptr<Protocol> original;
        FallbackProtocol& stand_in;
        bool resume_reading;
        bool resume_writing;
        ~Restore() {
            transport.set_protocol(original);
            if (resume_reading) transport.resume_reading();
            stand_in.cancel_wait();
            if (resume_writing) original->resume_writing();
        }
    } restore{transport, original, *stand_in, should_resume_reading, should_resume_writing};
    auto send_chunk = [&transport, &stand_in](std::string_view data) { return write_tls_chunk(transport, *stand_in, data); };
    co_return co_await net::detail::sendfile_by_reading(loop, file, offset, count, transport_fallback_block, send_chunk);
}

}  // namespace

Coro<std::size_t> EventLoop::sendfile(Transport& transport, int file, std::int64_t offset,
                                      std::optional<std::int64_t> count, bool fallback) {
    if (transport.is_closing()) throw RuntimeError("Transport is closing");
    if (auto* tls = dynamic_cast<SSLTransport*>(&transport)) {
        net::detail::check_sendfile_params(offset, count);
        if (!fallback)
            throw RuntimeError("fallback is disabled and native sendfile is not supported for transport " +
                               describe(transport));
        const std::shared_ptr<BaseTransport> hold = transport.shared_from_this();
        co_return co_await sendfile_over_tls(*this, *tls, file, offset, count);
    }
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
