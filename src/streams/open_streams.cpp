// asyncio.open_connection / start_server and the AF_UNIX forms: a StreamReaderProtocol per
// connection on the loop's transports.
#include "concurrence/base/errors.hpp"
#include "concurrence/net/endpoints.hpp"
#include "concurrence/streams/streams.hpp"
#include "concurrence/task/task.hpp"
#include "streams/writer_state.hpp"

namespace concurrence::asyncio {

namespace {

using ProtocolMade = std::pair<std::shared_ptr<Transport>, std::shared_ptr<StreamReaderProtocol>>;

std::pair<StreamReader, StreamWriter> streams_of(ProtocolMade made) {
    StreamReader reader = made.second->reader();
    StreamWriter writer(std::make_shared<detail::WriterState>(std::move(made.first), std::move(made.second)));
    return {std::move(reader), std::move(writer)};
}

// The factory of a client connection: one protocol around the reader. The reader is made
// before connecting, as Python's open_connection does, so that a bad limit raises ValueError
// before a connection is opened for nothing.
auto client_factory(EventLoop& loop, StreamReader reader) {
    return [&loop, reader] { return std::make_shared<StreamReaderProtocol>(loop, reader); };
}

// The factory of a server: a fresh reader and the callback per connection.
auto server_factory(EventLoop& loop, std::size_t limit, ClientConnected callback) {
    return [&loop, limit, callback = std::move(callback)] {
        return std::make_shared<StreamReaderProtocol>(loop, StreamReader(limit), callback);
    };
}

}  // namespace

Coro<std::pair<StreamReader, StreamWriter>> open_connection(std::string host, int port, std::size_t limit,
                                                            net::ConnectionOptions options) {
    EventLoop& loop = get_running_loop();
    // The factory (a capturing lambda) is not a temporary of the co_await's full-expression:
    // g++ 12 mishandles those (the house rule).
    auto factory = client_factory(loop, StreamReader(limit));
    auto made = co_await loop.create_connection(std::move(factory), std::move(host), port, std::move(options));
    co_return streams_of(std::move(made));
}

Coro<std::pair<StreamReader, StreamWriter>> open_unix_connection(std::string path, std::size_t limit,
                                                                 net::ConnectionOptions options) {
    EventLoop& loop = get_running_loop();
    auto factory = client_factory(loop, StreamReader(limit));
    auto made = co_await loop.create_unix_connection(std::move(factory), std::move(path), std::move(options));
    co_return streams_of(std::move(made));
}

namespace detail {

Coro<Server> start_stream_server(ClientConnected callback, std::string host, int port, std::size_t limit,
                                 net::ServerOptions options) {
    EventLoop& loop = get_running_loop();
    (void)StreamReader(limit);  // a bad limit: ValueError now, not at every connection
    // The factory (a capturing lambda) is not a temporary of the co_await's full-expression:
    // g++ 12 mishandles those (the house rule).
    auto factory = server_factory(loop, limit, std::move(callback));
    co_return co_await loop.create_server(std::move(factory), std::move(host), port, std::move(options));
}

Coro<Server> start_unix_stream_server(ClientConnected callback, std::string path, std::size_t limit,
                                      net::ServerOptions options) {
    EventLoop& loop = get_running_loop();
    (void)StreamReader(limit);  // a bad limit: ValueError now, not at every connection
    auto factory = server_factory(loop, limit, std::move(callback));  // not a temporary, as above
    co_return co_await loop.create_unix_server(std::move(factory), std::move(path), std::move(options));
}

}  // namespace detail
}  // namespace concurrence::asyncio
