// asyncio.open_connection, asyncio.start_server and their AF_UNIX forms.
//
//   asyncio::Coro<> handle_echo(asyncio::StreamReader reader, asyncio::StreamWriter writer) {
//       std::string data = co_await reader.read(100);
//       writer.write(data);
//       co_await writer.drain();
//       writer.close();
//       co_await writer.wait_closed();
//   }
//   auto server = co_await asyncio::start_server(handle_echo, "127.0.0.1", 8888);
//
// client_connected_cb(reader, writer) is called for each connection; if it returns a Coro, it
// runs as a task of its own. An exception escaping it goes to the loop's exception handler
// ("Unhandled exception in client_connected_cb") and closes the connection, as in Python.
#pragma once

#include <functional>
#include <string>
#include <type_traits>
#include <utility>

#include "concurrence/net/options.hpp"
#include "concurrence/net/server.hpp"
#include "concurrence/streams/stream_reader.hpp"
#include "concurrence/streams/stream_reader_protocol.hpp"
#include "concurrence/streams/stream_writer.hpp"
#include "concurrence/task/coro.hpp"

namespace concurrence::asyncio {

Coro<std::pair<StreamReader, StreamWriter>> open_connection(std::string host, int port,
                                                            std::size_t limit = default_stream_limit,
                                                            net::ConnectionOptions options = {});
Coro<std::pair<StreamReader, StreamWriter>> open_unix_connection(std::string path,
                                                                 std::size_t limit = default_stream_limit,
                                                                 net::ConnectionOptions options = {});

namespace detail {
Coro<Server> start_stream_server(ClientConnected callback, std::string host, int port, std::size_t limit,
                                 net::ServerOptions options);
Coro<Server> start_unix_stream_server(ClientConnected callback, std::string path, std::size_t limit,
                                      net::ServerOptions options);

// A callback returning void becomes one returning an empty Coro.
template <class F>
ClientConnected to_client_connected(F callback) {
    using R = std::invoke_result_t<F&, StreamReader, StreamWriter>;
    if constexpr (std::is_same_v<R, Coro<void>>) {
        return ClientConnected(std::move(callback));
    } else {
        static_assert(std::is_void_v<R>, "client_connected_cb must return asyncio::Coro<void> or void");
        return [callback = std::move(callback)](StreamReader r, StreamWriter w) mutable -> Coro<void> {
            callback(std::move(r), std::move(w));
            return {};
        };
    }
}
}  // namespace detail

template <class F>
Coro<Server> start_server(F client_connected_cb, std::string host, int port, std::size_t limit = default_stream_limit,
                          net::ServerOptions options = {}) {
    return detail::start_stream_server(detail::to_client_connected(std::move(client_connected_cb)), std::move(host),
                                       port, limit, std::move(options));
}

template <class F>
Coro<Server> start_unix_server(F client_connected_cb, std::string path, std::size_t limit = default_stream_limit,
                               net::ServerOptions options = {}) {
    return detail::start_unix_stream_server(detail::to_client_connected(std::move(client_connected_cb)),
                                            std::move(path), limit, std::move(options));
}

}  // namespace concurrence::asyncio
