// loop.create_connection, create_server and their AF_UNIX forms, and
// create_datagram_endpoint (Python's transport and protocol API). The factory is called once
// per connection and returns a std::shared_ptr to a Protocol subclass (a DatagramProtocol
// subclass for a datagram endpoint).
//
//   auto [transport, protocol] = co_await loop.create_connection(
//       [] { return std::make_shared<EchoClient>(); }, "127.0.0.1", 8888);
//   auto [transport, protocol] = co_await loop.connect_accepted_socket(factory, std::move(accepted));
//   auto [transport, protocol] = co_await loop.connect_read_pipe(factory, ::dup(STDIN_FILENO));
//   asyncio::Server server = co_await loop.create_server(
//       [] { return std::make_shared<EchoServer>(); }, "127.0.0.1", 8888);
//
//   net::DatagramOptions options{.remote_addr = net::Address{"127.0.0.1", 9999}};  // named: g++ 12
//   auto [transport, protocol] = co_await loop.create_datagram_endpoint(
//       [] { return std::make_shared<EchoClientProtocol>(); }, std::move(options));
//
// Host "" is Python's None: every interface for a server, the loopback for a connection.
// create_connection tries each address the host resolves to, in order; if none connects it
// throws the error (or Python's "Multiple exceptions: ..." OSError). Resolution of a name
// runs in the default executor; numeric hosts are used directly.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "concurrence/loop/event_loop.hpp"
#include "concurrence/net/options.hpp"
#include "concurrence/net/protocols.hpp"
#include "concurrence/net/server.hpp"
#include "concurrence/net/transport.hpp"
#include "concurrence/task/coro.hpp"

namespace concurrence::net::detail {

using ProtocolFactory = std::function<std::shared_ptr<asyncio::Protocol>()>;

asyncio::Coro<std::shared_ptr<asyncio::Transport>> open_stream_transport(asyncio::EventLoop& loop,
                                                                         ProtocolFactory factory, std::string host,
                                                                         int port, ConnectionOptions options);
asyncio::Coro<std::shared_ptr<asyncio::Transport>> open_unix_transport(asyncio::EventLoop& loop,
                                                                       ProtocolFactory factory, std::string path,
                                                                       ConnectionOptions options);
// Python's connect_accepted_socket: a connected stream socket, with TLS as its server side if
// options.ssl is given.
asyncio::Coro<std::shared_ptr<asyncio::Transport>> adopt_stream_transport(asyncio::EventLoop& loop,
                                                                          ProtocolFactory factory, Socket sock,
                                                                          AcceptedSocketOptions options);
// Python's connect_read_pipe / connect_write_pipe (src/net/pipes.cpp).
asyncio::Coro<std::shared_ptr<asyncio::Transport>> open_pipe_transport(asyncio::EventLoop& loop,
                                                                       ProtocolFactory factory, int fd,
                                                                       bool write_end);
asyncio::Coro<asyncio::Server> open_server(asyncio::EventLoop& loop, ProtocolFactory factory, std::string host,
                                           int port, ServerOptions options);
asyncio::Coro<asyncio::Server> open_unix_server(asyncio::EventLoop& loop, ProtocolFactory factory,
                                                std::string path, ServerOptions options);

template <class Factory>
using protocol_ptr_t = std::decay_t<std::invoke_result_t<Factory&>>;

using DatagramProtocolFactory = std::function<std::shared_ptr<asyncio::DatagramProtocol>()>;

// Python's create_datagram_endpoint (src/net/datagram.cpp).
asyncio::Coro<std::shared_ptr<asyncio::DatagramTransport>> open_datagram_endpoint(asyncio::EventLoop& loop,
                                                                                   DatagramProtocolFactory factory,
                                                                                   DatagramOptions options);

// Runs open_datagram_endpoint with a factory that remembers the protocol it made.
template <class Factory>
asyncio::Coro<std::pair<std::shared_ptr<asyncio::DatagramTransport>, protocol_ptr_t<Factory>>> datagram_with(
    asyncio::EventLoop& loop, Factory factory, DatagramOptions options) {
    protocol_ptr_t<Factory> protocol;
    DatagramProtocolFactory remembering = [&]() -> std::shared_ptr<asyncio::DatagramProtocol> {
        protocol = factory();
        return protocol;
    };
    auto transport = co_await open_datagram_endpoint(loop, std::move(remembering), std::move(options));
    co_return std::pair{std::move(transport), std::move(protocol)};
}

template <class Factory>
void check_protocol_factory() {
    static_assert(std::is_convertible_v<protocol_ptr_t<Factory>, std::shared_ptr<asyncio::Protocol>>,
                  "the protocol factory must return a std::shared_ptr to an asyncio::Protocol subclass");
}

// Runs open(factory'), where factory' remembers the protocol it made: (transport, protocol).
template <class Factory, class Open>
asyncio::Coro<std::pair<std::shared_ptr<asyncio::Transport>, protocol_ptr_t<Factory>>> connect_with(Factory factory,
                                                                                                      Open open) {
    protocol_ptr_t<Factory> protocol;
    auto transport = co_await open(ProtocolFactory([&]() -> std::shared_ptr<asyncio::Protocol> {
        protocol = factory();
        return protocol;
    }));
    co_return std::pair{std::move(transport), std::move(protocol)};
}

}  // namespace concurrence::net::detail

namespace concurrence::asyncio {

template <class ProtocolFactory>
auto EventLoop::create_connection(ProtocolFactory factory, std::string host, int port, net::ConnectionOptions options) {
    net::detail::check_protocol_factory<ProtocolFactory>();
    return net::detail::connect_with(std::move(factory), [this, host = std::move(host), port,
                                                          options = std::move(options)](auto f) mutable {
        return net::detail::open_stream_transport(*this, std::move(f), std::move(host), port, std::move(options));
    });
}

template <class ProtocolFactory>
auto EventLoop::create_unix_connection(ProtocolFactory factory, std::string path, net::ConnectionOptions options) {
    net::detail::check_protocol_factory<ProtocolFactory>();
    return net::detail::connect_with(std::move(factory),
                                     [this, path = std::move(path), options = std::move(options)](auto f) mutable {
                                         return net::detail::open_unix_transport(*this, std::move(f), std::move(path),
                                                                                 std::move(options));
                                     });
}

template <class ProtocolFactory>
auto EventLoop::connect_accepted_socket(ProtocolFactory factory, net::Socket sock, net::AcceptedSocketOptions options) {
    net::detail::check_protocol_factory<ProtocolFactory>();
    return net::detail::connect_with(std::move(factory), [this, sock = std::move(sock),
                                                          options = std::move(options)](auto f) mutable {
        return net::detail::adopt_stream_transport(*this, std::move(f), std::move(sock), std::move(options));
    });
}

template <class ProtocolFactory>
auto EventLoop::connect_accepted_socket(ProtocolFactory factory, net::Socket sock) {
    return connect_accepted_socket(std::move(factory), std::move(sock), net::AcceptedSocketOptions{});
}

template <class ProtocolFactory>
auto EventLoop::connect_read_pipe(ProtocolFactory factory, int pipe) {
    net::detail::check_protocol_factory<ProtocolFactory>();
    return net::detail::connect_with(std::move(factory), [this, pipe](auto f) {
        return net::detail::open_pipe_transport(*this, std::move(f), pipe, false);
    });
}

template <class ProtocolFactory>
auto EventLoop::connect_write_pipe(ProtocolFactory factory, int pipe) {
    net::detail::check_protocol_factory<ProtocolFactory>();
    return net::detail::connect_with(std::move(factory), [this, pipe](auto f) {
        return net::detail::open_pipe_transport(*this, std::move(f), pipe, true);
    });
}

template <class ProtocolFactory>
Coro<Server> EventLoop::create_server(ProtocolFactory factory, std::string host, int port, net::ServerOptions options) {
    net::detail::check_protocol_factory<ProtocolFactory>();
    return net::detail::open_server(*this, net::detail::ProtocolFactory(std::move(factory)), std::move(host), port,
                                    std::move(options));
}

template <class ProtocolFactory>
Coro<Server> EventLoop::create_unix_server(ProtocolFactory factory, std::string path, net::ServerOptions options) {
    net::detail::check_protocol_factory<ProtocolFactory>();
    return net::detail::open_unix_server(*this, net::detail::ProtocolFactory(std::move(factory)), std::move(path),
                                         std::move(options));
}

template <class ProtocolFactory>
auto EventLoop::create_datagram_endpoint(ProtocolFactory factory, net::DatagramOptions options) {
    static_assert(std::is_convertible_v<net::detail::protocol_ptr_t<ProtocolFactory>,
                                        std::shared_ptr<DatagramProtocol>>,
                  "the protocol factory must return a std::shared_ptr to an asyncio::DatagramProtocol subclass");
    return net::detail::datagram_with(*this, std::move(factory), std::move(options));
}

// Without options (declared apart in EventLoop, whose header cannot name the options' types).
template <class ProtocolFactory>
auto EventLoop::create_connection(ProtocolFactory factory, std::string host, int port) {
    return create_connection(std::move(factory), std::move(host), port, net::ConnectionOptions{});
}
template <class ProtocolFactory>
auto EventLoop::create_unix_connection(ProtocolFactory factory, std::string path) {
    return create_unix_connection(std::move(factory), std::move(path), net::ConnectionOptions{});
}
template <class ProtocolFactory>
Coro<Server> EventLoop::create_server(ProtocolFactory factory, std::string host, int port) {
    return create_server(std::move(factory), std::move(host), port, net::ServerOptions{});
}
template <class ProtocolFactory>
Coro<Server> EventLoop::create_unix_server(ProtocolFactory factory, std::string path) {
    return create_unix_server(std::move(factory), std::move(path), net::ServerOptions{});
}

}  // namespace concurrence::asyncio
