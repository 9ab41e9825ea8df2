// loop.start_tls (Python's BaseEventLoop.start_tls): the TLS layer goes between an open socket
// transport and its protocol, and the handshake runs on the connection as it is.
#include <exception>
#include <memory>

#include "concurrence/base/errors.hpp"
#include "concurrence/loop/event_loop.hpp"
#include "concurrence/net/options.hpp"
#include "concurrence/net/transport.hpp"
#include "concurrence/task/future.hpp"
#include "concurrence/task/task.hpp"
#include "net/socket_transport.hpp"
#include "net/ssl_transport.hpp"

namespace concurrence::asyncio {

Coro<std::shared_ptr<Transport>> EventLoop::start_tls(Transport& transport, std::shared_ptr<Protocol> protocol,
                                                      ssl::SSLContext sslcontext, net::StartTLSOptions options) {
    using net::detail::SocketTransport;
    using net::detail::SSLTransport;
    auto* socket_transport = dynamic_cast<SocketTransport*>(&transport);
    if (!socket_transport || transport.is_closing())
        throw TypeError(std::string("transport <") + (socket_transport ? "closed socket transport" : "transport") +
                        "> is not supported by start_tls()");
    if (!protocol) throw ValueError("start_tls needs the transport's protocol");
    auto raw = std::static_pointer_cast<SocketTransport>(transport.shared_from_this());
    Future<void> handshake = create_future<void>();
    auto secure = SSLTransport::make(
        *this, std::move(protocol),
        net::detail::TLSSettings{std::move(sslcontext), options.server_side,
                                 options.server_side ? std::nullopt : options.server_hostname,
                                 options.ssl_handshake_timeout, options.ssl_shutdown_timeout, false},
        handshake);
    // Paused first, so that the TLS layer's data_received cannot come before its connection_made.
    raw->pause_reading();
    std::shared_ptr<Protocol> raw_protocol = secure->raw_protocol();
    raw->set_protocol(raw_protocol);
    Handle made = call_soon([raw, raw_protocol] { raw_protocol->connection_made(*raw); });
    Handle resume = call_soon([raw] { raw->resume_reading(); });
    auto undo = [raw, made, resume]() mutable {
        raw->close();
        made.cancel();
        resume.cancel();
    };
    co_await net::detail::wait_handshake(std::move(handshake), undo);
    co_return secure;
}

Coro<std::shared_ptr<Transport>> EventLoop::start_tls(Transport& transport, std::shared_ptr<Protocol> protocol,
                                                      ssl::SSLContext sslcontext) {
    return start_tls(transport, std::move(protocol), std::move(sslcontext), net::StartTLSOptions{});
}

}  // namespace concurrence::asyncio
