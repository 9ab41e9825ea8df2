// loop.create_connection / create_unix_connection (Python's base_events and unix_events).
#include <netdb.h>
#include <sys/socket.h>

#include <cerrno>

#include "concurrence/base/errors.hpp"
#include "concurrence/net/endpoints.hpp"
#include "concurrence/net/sock_ops.hpp"
#include "concurrence/task/task.hpp"
#include "net/bind_error.hpp"
#include "net/connect_attempts.hpp"
#include "net/resolve_stream.hpp"
#include "net/socket_transport.hpp"
#include "net/ssl_transport.hpp"

namespace concurrence::net::detail {

namespace {

// Python's _create_connection_transport: the transport starts, and the caller gets it once
// protocol.connection_made() has run (with TLS: once the handshake is done; if it fails, its
// error).
asyncio::Coro<std::shared_ptr<asyncio::Transport>> start_transport(asyncio::EventLoop& loop, Socket sock,
                                                                   ProtocolFactory factory,
                                                                   std::optional<TLSSettings> tls = std::nullopt) {
    if (sock.getblocking()) sock.setblocking(false);
    if (!tls) {
        auto transport = std::make_shared<SocketTransport>(loop, std::move(sock), factory());
        co_await transport->start_and_wait();
        co_return transport;
    }
    asyncio::Future<void> handshake = loop.create_future<void>();
    auto secure = SSLTransport::make(loop, factory(), std::move(*tls), handshake);
    std::make_shared<SocketTransport>(loop, std::move(sock), secure->raw_protocol())->start();
    auto close_it = [secure] { secure->close(); };
    co_await wait_handshake(std::move(handshake), close_it);
    co_return secure;
}

// Python's checks of create_connection's TLS arguments; the settings if ssl= is given.
// no_host_message: what a missing server_hostname without a host says.
std::optional<TLSSettings> client_tls(ConnectionOptions& options, const std::string& host,
                                      const char* no_host_message) {
    if (!options.ssl) {
        if (options.server_hostname) throw ValueError("server_hostname is only meaningful with ssl");
        if (options.ssl_handshake_timeout) throw ValueError("ssl_handshake_timeout is only meaningful with ssl");
        if (options.ssl_shutdown_timeout) throw ValueError("ssl_shutdown_timeout is only meaningful with ssl");
        return std::nullopt;
    }
    if (!options.server_hostname) {
        if (host.empty()) throw ValueError(no_host_message);
        options.server_hostname = host;
    }
    check_tls_timeouts(options.ssl_handshake_timeout, options.ssl_shutdown_timeout);
    return TLSSettings{*options.ssl, false, options.server_hostname, options.ssl_handshake_timeout,
                       options.ssl_shutdown_timeout};
}

}  // namespace

asyncio::Coro<std::shared_ptr<asyncio::Transport>> adopt_stream_transport(asyncio::EventLoop& loop,
                                                                          ProtocolFactory factory, Socket sock,
                                                                          AcceptedSocketOptions options) {
    if (sock.type() != SOCK_STREAM) throw ValueError("A Stream Socket was expected, got " + sock.repr());
    std::optional<TLSSettings> tls;
    if (options.ssl) {
        check_tls_timeouts(options.ssl_handshake_timeout, options.ssl_shutdown_timeout);
        tls = TLSSettings{*options.ssl, true, std::nullopt, options.ssl_handshake_timeout, options.ssl_shutdown_timeout};
    } else {
        if (options.ssl_handshake_timeout) throw ValueError("ssl_handshake_timeout is only meaningful with ssl");
        if (options.ssl_shutdown_timeout) throw ValueError("ssl_shutdown_timeout is only meaningful with ssl");
    }
    co_return co_await start_transport(loop, std::move(sock), std::move(factory), std::move(tls));
}

asyncio::Coro<std::shared_ptr<asyncio::Transport>> open_stream_transport(asyncio::EventLoop& loop,
                                                                         ProtocolFactory factory, std::string host,
                                                                         int port, ConnectionOptions options) {
    std::optional<TLSSettings> tls =
        client_tls(options, host, "You must set server_hostname when using ssl without a host");
    if (options.sock) {
        if (!host.empty() || port != 0) throw ValueError("host/port and sock can not be specified at the same time");
        if (options.sock->type() != SOCK_STREAM) throw ValueError("A Stream Socket was expected, got " + options.sock->repr());
        co_return co_await start_transport(loop, std::move(*options.sock), std::move(factory), std::move(tls));
    }
    std::vector<AddrInfo> infos =
        co_await resolve_stream(loop, host, port, options.family, options.proto, options.flags);
    if (infos.empty()) throw OSError("getaddrinfo() returned empty list");
    // Python: interleaved by family when asked, and by default with Happy Eyeballs.
    const int interleave = options.interleave.value_or(options.happy_eyeballs_delay ? 1 : 0);
    if (interleave != 0) infos = interleave_addrinfos(std::move(infos), interleave);
    auto errors = std::make_shared<std::vector<std::exception_ptr>>();
    std::optional<Socket> connected;
    if (options.happy_eyeballs_delay) {
        connected = co_await connect_staggered(loop, std::move(infos), options.local_addr, errors,
                                               *options.happy_eyeballs_delay);
    } else {
        for (const AddrInfo& info : infos) {
            try {
                connected = co_await connect_one(loop, info, options.local_addr, errors);
                break;
            } catch (const OSError&) {  // recorded: try the next address
            }
        }
    }
    if (!connected) {
        if (options.all_errors) throw ExceptionGroup("create_connection failed", *errors);
        if (errors->size() == 1) std::rethrow_exception(errors->front());
        // Python: the first error if they all read the same, else all of them in one OSError.
        std::string model;
        bool same = true;
        std::string all;
        for (const std::exception_ptr& e : *errors) {
            std::string text;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                text = ex.what();
            }
            if (model.empty()) model = text;
            same = same && text == model;
            all += (all.empty() ? "" : ", ") + text;
        }
        if (same) std::rethrow_exception(errors->front());
        throw OSError("Multiple exceptions: " + all);
    }
    co_return co_await start_transport(loop, std::move(*connected), std::move(factory), std::move(tls));
}

asyncio::Coro<std::shared_ptr<asyncio::Transport>> open_unix_transport(asyncio::EventLoop& loop,
                                                                       ProtocolFactory factory, std::string path,
                                                                       ConnectionOptions options) {
    // Python's create_unix_connection: no host to take the name from.
    std::optional<TLSSettings> tls = client_tls(options, "", "you have to pass server_hostname when using ssl");
    if (options.sock) {
        if (!path.empty()) throw ValueError("path and sock can not be specified at the same time");
        if (options.sock->family() != AF_UNIX || options.sock->type() != SOCK_STREAM)
            throw ValueError("A UNIX Domain Stream Socket was expected");
        co_return co_await start_transport(loop, std::move(*options.sock), std::move(factory), std::move(tls));
    }
    if (path.empty()) throw ValueError("no path and sock were specified");
    Socket sock(AF_UNIX, SOCK_STREAM);
    sock.setblocking(false);
    co_await loop.sock_connect(sock, Address::unix_path(path));
    co_return co_await start_transport(loop, std::move(sock), std::move(factory), std::move(tls));
}

}  // namespace concurrence::net::detail
