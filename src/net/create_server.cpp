// loop.create_server / create_unix_server (Python's base_events and unix_events).
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "concurrence/base/errors.hpp"
#include "concurrence/net/endpoints.hpp"
#include "concurrence/net/sock_ops.hpp"
#include "concurrence/task/sleep.hpp"
#include "concurrence/task/task.hpp"
#include "net/bind_error.hpp"
#include "concurrence/ssl/errors.hpp"
#include "net/server_core.hpp"

namespace concurrence::net::detail {

namespace {

// Python's create_server checks of its TLS arguments.
void check_server_tls(const ServerOptions& options) {
    if (!options.ssl) {
        if (options.ssl_handshake_timeout) throw ValueError("ssl_handshake_timeout is only meaningful with ssl");
        if (options.ssl_shutdown_timeout) throw ValueError("ssl_shutdown_timeout is only meaningful with ssl");
        return;
    }
    check_tls_timeouts(options.ssl_handshake_timeout, options.ssl_shutdown_timeout);
    if (options.ssl->protocol() == ssl::PROTOCOL_TLS_CLIENT)
        throw ssl::SSLError("Cannot create a server socket with a PROTOCOL_TLS_CLIENT context");
}

asyncio::Coro<asyncio::Server> serve(asyncio::EventLoop& loop, ProtocolFactory factory, std::vector<Socket> sockets,
                                     const ServerOptions& options) {
    for (Socket& s : sockets) s.setblocking(false);
    std::optional<TLSSettings> tls;
    if (options.ssl)
        tls = TLSSettings{*options.ssl, true, std::nullopt, options.ssl_handshake_timeout, options.ssl_shutdown_timeout};
    auto core = std::make_shared<ServerCore>(loop, std::move(factory), std::move(sockets), options.backlog, std::move(tls));
    asyncio::Server server(core);
    if (options.start_serving) {
        core->start_serving();
        co_await asyncio::sleep(0);  // Python: one iteration, so that every add_reader is in
    }
    co_return server;
}

}  // namespace

asyncio::Coro<asyncio::Server> open_server(asyncio::EventLoop& loop, ProtocolFactory factory, std::string host,
                                           int port, ServerOptions options) {
    check_server_tls(options);
    std::vector<Socket> sockets;
    if (options.sock) {
        if (!host.empty() || port != 0) throw ValueError("host/port and sock can not be specified at the same time");
        if (options.sock->type() != SOCK_STREAM) throw ValueError("A Stream Socket was expected");
        sockets.push_back(std::move(*options.sock));
        co_return co_await serve(loop, std::move(factory), std::move(sockets), options);
    }
    // "" is Python's None: every interface (getaddrinfo with AI_PASSIVE and no host).
    std::vector<AddrInfo> infos = co_await loop.getaddrinfo(host, port, options.family, SOCK_STREAM, 0, options.flags);
    // Python takes a set of the answers: the same address twice would fail to bind.
    std::vector<AddrInfo> unique;
    for (AddrInfo& info : infos) {
        const bool seen = std::any_of(unique.begin(), unique.end(), [&](const AddrInfo& u) {
            return u.family == info.family && u.type == info.type && u.proto == info.proto && u.address == info.address;
        });
        if (!seen) unique.push_back(std::move(info));
    }
    const bool reuse_address = options.reuse_address.value_or(true);
    for (const AddrInfo& info : unique) {
        Socket sock;
        try {
            sock = Socket(info.family, info.type, info.proto);
        } catch (const OSError&) {
            continue;  // Python: assume a family/type/protocol the system does not have
        }
        if (reuse_address) sock.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
        if (options.reuse_port) sock.setsockopt(SOL_SOCKET, SO_REUSEPORT, 1);
        // One family per socket: no IPv4-mapped addresses on the IPv6 one (Python does the same).
        if (info.family == AF_INET6) sock.setsockopt(IPPROTO_IPV6, IPV6_V6ONLY, 1);
        try {
            sock.bind(info.address);
        } catch (const OSError& e) {
            if (e.errno_code() == EADDRNOTAVAIL) continue;  // the family is not enabled (bpo-30945)
            std::rethrow_exception(bind_error(e, info.address));
        }
        sockets.push_back(std::move(sock));
    }
    if (sockets.empty()) {
        std::string tried;
        for (const AddrInfo& info : unique) tried += (tried.empty() ? "" : ", ") + info.address.repr();
        throw OSError("could not bind on any address out of [" + tried + "]");
    }
    co_return co_await serve(loop, std::move(factory), std::move(sockets), options);
}

asyncio::Coro<asyncio::Server> open_unix_server(asyncio::EventLoop& loop, ProtocolFactory factory, std::string path,
                                                ServerOptions options) {
    check_server_tls(options);
    std::vector<Socket> sockets;
    if (options.sock) {
        if (!path.empty()) throw ValueError("path and sock can not be specified at the same time");
        if (options.sock->family() != AF_UNIX || options.sock->type() != SOCK_STREAM)
            throw ValueError("A UNIX Domain Stream Socket was expected");
        sockets.push_back(std::move(*options.sock));
    } else {
        if (path.empty()) throw ValueError("path was not specified, and no sock specified");
        // Python: a stale socket file left by a previous server is removed (not other files).
        if (path[0] != '\0') {
            struct stat st {};
            if (::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(path.c_str());
        }
        Socket sock(AF_UNIX, SOCK_STREAM);
        try {
            sock.bind(Address::unix_path(path));
        } catch (const OSError& e) {
            if (e.errno_code() == EADDRINUSE)
                std::rethrow_exception(os_error_with_message(EADDRINUSE, "Address '" + path + "' is already in use"));
            throw;
        }
        sockets.push_back(std::move(sock));
    }
    co_return co_await serve(loop, std::move(factory), std::move(sockets), options);
}

}  // namespace concurrence::net::detail
