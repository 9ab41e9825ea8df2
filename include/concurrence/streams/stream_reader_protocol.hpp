// Python's asyncio.StreamReaderProtocol (with its FlowControlMixin): the protocol that feeds a
// StreamReader from a transport and gives a StreamWriter its back-pressure. open_connection
// and start_server make one per connection; a program makes one itself to put streams on
// another transport, e.g. a pipe (Python's recipe for reading stdin):
//
//   asyncio::StreamReader reader;
//   auto protocol = std::make_shared<asyncio::StreamReaderProtocol>(reader);
//   auto factory = [protocol] { return protocol; };  // named: g++ 12 (docs/design.md)
//   co_await loop.connect_read_pipe(factory, ::dup(STDIN_FILENO));
//   std::string line = co_await reader.readline();
//
//   auto writing = [] { return std::make_shared<asyncio::StreamReaderProtocol>(asyncio::StreamReader()); };
//   auto [transport, out] = co_await loop.connect_write_pipe(writing, ::dup(STDOUT_FILENO));
//   asyncio::StreamWriter writer(transport, out);   // Python: StreamWriter(transport, protocol, None, loop)
//
// client_connected_cb (start_server's) is called with the reader and a writer once the
// connection is made. Loop thread only.
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "concurrence/loop/event_loop.hpp"
#include "concurrence/net/protocols.hpp"
#include "concurrence/net/transport.hpp"
#include "concurrence/streams/stream_reader.hpp"
#include "concurrence/streams/stream_writer.hpp"
#include "concurrence/task/coro.hpp"
#include "concurrence/task/future.hpp"

namespace concurrence::asyncio {

// What start_server calls per connection: a Coro<void> to run as a task, or nothing.
using ClientConnected = std::function<Coro<void>(StreamReader, StreamWriter)>;

class StreamReaderProtocol final : public Protocol, public std::enable_shared_from_this<StreamReaderProtocol> {
public:
    // On the running loop (RuntimeError "no running event loop" outside one).
    explicit StreamReaderProtocol(StreamReader reader, ClientConnected client_connected_cb = {});
    StreamReaderProtocol(EventLoop& loop, StreamReader reader, ClientConnected client_connected_cb = {})
        : loop_(loop), reader_(std::move(reader)), callback_(std::move(client_connected_cb)) {}
    ~StreamReaderProtocol() override;

    void connection_made(Transport& transport) override;
    void connection_lost(std::exception_ptr exc) override;
    void data_received(std::string_view data) override { reader_.feed_data(data); }
    bool eof_received() override;
    void pause_writing() override { paused_ = true; }
    void resume_writing() override;

    const StreamReader& reader() const { return reader_; }
    // Python's _client_connected_cb is not None: a server's connection (start_tls's side).
    bool serves_clients() const { return static_cast<bool>(callback_); }
    // Python's _replace_transport: StreamWriter.start_tls's new transport.
    void replace_transport(Transport& transport);

    // What StreamWriter uses. Python's _drain_helper: ConnectionResetError once the connection is lost; else waits
    // while writing is paused.
    Coro<void> drain_helper();
    // Python's _get_close_waiter: returns when connection_lost ran; rethrows its error.
    Coro<void> wait_closed();
    // Waiters kept for drain() and wait_closed() (for the tests: cancelled ones do not pile up).
    std::size_t waiter_count() const { return drain_waiters_.size() + close_waiters_.size(); }

private:
    EventLoop& loop_;
    StreamReader reader_;
    ClientConnected callback_;
    Transport* transport_ = nullptr;  // from connection_made (the reader's, until connection_lost)
    bool over_ssl_ = false;           // TLS has no half-close: EOF closes the transport
    bool paused_ = false;
    bool connection_lost_ = false;
    std::exception_ptr lost_with_;
    std::vector<Future<void>> drain_waiters_;
    std::vector<Future<void>> close_waiters_;
};

}  // namespace concurrence::asyncio
