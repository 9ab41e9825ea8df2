// loop.create_connection / create_unix_connection (Python's base_events and unix_events).
#include <netdb.h>
#include <sys/socket.h>

#include <cerrno>

#include "concurrence/base/errors.hpp"
#include "concurrence/net/endpoints.hpp"
#include "concurrence/net/sock_ops.hpp"
#include "concurrence/task/task.hpp"
#include "net/bind_error.hpp"
#include "net/resolve_stream.hpp"
#include "net/socket_transport.hpp"

namespace concurrence::net::detail {

namespace {

// Python's _create_connection_transport: the transport starts, and the caller gets it once
// protocol.connection_made() has run.
asyncio::Coro<std::shared_ptr<asyncio::Transport>> start_transport(asyncio::EventLoop& loop, Socket sock,
                                                                   ProtocolFactory factory) {
    if (sock.getblocking()) sock.setblocking(false);
    auto transport = std::make_shared<SocketTransport>(loop, std::move(sock), factory());
    co_await transport->start_and_wait();
    co_return transport;
}

// One attempt of create_connection: a socket of the entry's family, bound to local_addr if
// given, connected. Its errors are recorded in `errors` and rethrown.
asyncio::Coro<Socket> connect_one(asyncio::EventLoop& loop, AddrInfo info, std::optional<Address> local_addr,
                                  std::vector<std::exception_ptr>& errors) {
    std::exception_ptr error;
    try {
        Socket sock(info.family, info.type, info.proto);
        sock.setblocking(false);
        if (local_addr) {
            try {
                sock.bind(*local_addr);
            } catch (const OSError& e) {
                std::rethrow_exception(bind_error(e, *local_addr));
            }
        }
        co_await loop.sock_connect(sock, info.address);
        co_return sock;
    } catch (const OSError&) {
        error = std::current_exception();
    }
    errors.push_back(error);
    std::rethrow_exception(error);
}

}  // namespace

asyncio::Coro<std::shared_ptr<asyncio::Transport>> adopt_stream_transport(asyncio::EventLoop& loop,
                                                                          ProtocolFactory factory, Socket sock) {
    if (sock.type() != SOCK_STREAM) throw ValueError("A Stream Socket was expected, got " + sock.repr());
    co_return co_await start_transport(loop, std::move(sock), std::move(factory));
}

asyncio::Coro<std::shared_ptr<asyncio::Transport>> open_stream_transport(asyncio::EventLoop& loop,
                                                                         ProtocolFactory factory, std::string host,
                                                                         int port, ConnectionOptions options) {
    if (options.sock) {
        if (!host.empty() || port != 0) throw ValueError("host/port and sock can not be specified at the same time");
        co_return co_await adopt_stream_transport(loop, std::move(factory), std::move(*options.sock));
    }
    std::vector<AddrInfo> infos =
        co_await resolve_stream(loop, host, port, options.family, options.proto, options.flags);
    if (infos.empty()) throw OSError("getaddrinfo() returned empty list");
    std::vector<std::exception_ptr> errors;
    std::optional<Socket> connected;
    for (const AddrInfo& info : infos) {
        try {
            connected = co_await connect_one(loop, info, options.local_addr, errors);
            break;
        } catch (const OSError&) {  // recorded: try the next address
        }
    }
    if (!connected) {
        if (errors.size() == 1) std::rethrow_exception(errors.front());
        // Python: the first error if they all read the same, else all of them in one OSError.
        std::string model;
        bool same = true;
        std::string all;
        for (const std::exception_ptr& e : errors) {
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
        if (same) std::rethrow_exception(errors.front());
        throw OSError("Multiple exceptions: " + all);
    }
    co_return co_await start_transport(loop, std::move(*connected), std::move(factory));
}

asyncio::Coro<std::shared_ptr<asyncio::Transport>> open_unix_transport(asyncio::EventLoop& loop,
                                                                       ProtocolFactory factory, std::string path,
                                                                       ConnectionOptions options) {
    if (options.sock) {
        if (!path.empty()) throw ValueError("path and sock can not be specified at the same time");
        if (options.sock->family() != AF_UNIX || options.sock->type() != SOCK_STREAM)
            throw ValueError("A UNIX Domain Stream Socket was expected");
        co_return co_await start_transport(loop, std::move(*options.sock), std::move(factory));
    }
    if (path.empty()) throw ValueError("no path and sock were specified");
    Socket sock(AF_UNIX, SOCK_STREAM);
    sock.setblocking(false);
    co_await loop.sock_connect(sock, Address::unix_path(path));
    co_return co_await start_transport(loop, std::move(sock), std::move(factory));
}

}  // namespace concurrence::net::detail
