// Python's asyncio.StreamWriter.
//
//   writer.write("hello\n");
//   co_await writer.drain();      // back-pressure: waits while the transport's buffer is full
//   writer.close();
//   co_await writer.wait_closed();
//
// A StreamWriter is a handle: copies share one stream. When the last copy goes and the stream
// was not closed, it is closed (Python closes an unclosed StreamWriter when it is collected).
// Loop thread only.
#pragma once

#include <any>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "concurrence/net/transport.hpp"
#include "concurrence/ssl/context.hpp"
#include "concurrence/streams/stream_reader.hpp"
#include "concurrence/task/coro.hpp"

namespace concurrence::asyncio {

class StreamReaderProtocol;
namespace detail {
struct WriterState;
}

class StreamWriter {
public:
    // Python's StreamWriter(transport, protocol, reader, loop): a writer on a transport made
    // with a StreamReaderProtocol (e.g. by loop.connect_write_pipe).
    StreamWriter(std::shared_ptr<Transport> transport, std::shared_ptr<StreamReaderProtocol> protocol);
    explicit StreamWriter(std::shared_ptr<detail::WriterState> state) : s_(std::move(state)) {}

    void write(std::string_view data);
    template <class Range>
    void writelines(const Range& chunks) {
        for (const auto& chunk : chunks) write(std::string_view(chunk));
    }
    void write_eof();
    bool can_write_eof() const;
    void close();
    bool is_closing() const;
    // Returns once the connection is closed; rethrows what closed it, if it failed.
    Coro<void> wait_closed();
    // Returns at once unless the transport's buffer is over its high-water mark; then when it
    // is back under the low one. ConnectionResetError("Connection lost") if the connection is
    // gone; the reader's exception if it has one.
    Coro<void> drain();

    // Python's StreamWriter.start_tls (3.11): drains, then runs TLS on the connection from
    // now on (e.g. after STARTTLS), as a client, or as the server for a start_server writer.
    // The reader reads the decrypted data after it.
    Coro<void> start_tls(ssl::SSLContext sslcontext, std::optional<std::string> server_hostname = std::nullopt,
                         std::optional<double> ssl_handshake_timeout = std::nullopt,
                         std::optional<double> ssl_shutdown_timeout = std::nullopt);

    std::any get_extra_info(std::string_view name) const;
    template <class T>
    std::optional<T> get_extra_info(std::string_view name) const {
        return transport().get_extra_info<T>(name);
    }
    Transport& transport() const;

private:
    std::shared_ptr<detail::WriterState> s_;
};

}  // namespace concurrence::asyncio
