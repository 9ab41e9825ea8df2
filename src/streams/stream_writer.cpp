// Python's StreamWriter (Lib/asyncio/streams.py).
#include "concurrence/streams/stream_writer.hpp"

#include "concurrence/net/options.hpp"
#include "concurrence/task/sleep.hpp"
#include "concurrence/task/task.hpp"
#include "streams/writer_state.hpp"

namespace concurrence::asyncio {

namespace {

// Named apart from the other stream files: the unity build compiles them in one unit.
using WriterPtr = std::shared_ptr<detail::WriterState>;

Coro<void> drain_stream(WriterPtr s) {
    if (std::exception_ptr exc = s->protocol->reader().exception()) std::rethrow_exception(exc);
    // A closing transport: yield once so that connection_lost can run and drain_helper
    // reports it (Python's comment: else write(); drain() in a loop never sees the error).
    if (s->transport->is_closing()) co_await sleep(0);
    co_await s->protocol->drain_helper();
}

Coro<void> wait_stream_closed(WriterPtr s) { co_await s->protocol->wait_closed(); }

Coro<void> start_stream_tls(WriterPtr s, ssl::SSLContext sslcontext, net::StartTLSOptions options) {
    co_await drain_stream(s);
    std::shared_ptr<StreamReaderProtocol> protocol = s->protocol;
    std::shared_ptr<Transport> secure =
        co_await get_running_loop().start_tls(*s->transport, protocol, std::move(sslcontext), std::move(options));
    s->transport = secure;
    protocol->replace_transport(*secure);
}

}  // namespace

StreamWriter::StreamWriter(std::shared_ptr<Transport> transport, std::shared_ptr<StreamReaderProtocol> protocol) {
    if (!transport || !protocol) throw ValueError("StreamWriter needs a transport and its protocol");
    s_ = std::make_shared<detail::WriterState>(std::move(transport), std::move(protocol));
}

void StreamWriter::write(std::string_view data) { s_->transport->write(data); }
void StreamWriter::write_eof() { s_->transport->write_eof(); }
bool StreamWriter::can_write_eof() const { return s_->transport->can_write_eof(); }
void StreamWriter::close() { s_->transport->close(); }
bool StreamWriter::is_closing() const { return s_->transport->is_closing(); }
Coro<void> StreamWriter::wait_closed() { return wait_stream_closed(s_); }
Coro<void> StreamWriter::drain() { return drain_stream(s_); }
Coro<void> StreamWriter::start_tls(ssl::SSLContext sslcontext, std::optional<std::string> server_hostname,
                                   std::optional<double> ssl_handshake_timeout,
                                   std::optional<double> ssl_shutdown_timeout) {
    // Python: the server's side if the protocol has a client_connected_cb.
    net::StartTLSOptions options{s_->protocol->serves_clients(), std::move(server_hostname), ssl_handshake_timeout,
                                 ssl_shutdown_timeout};
    return start_stream_tls(s_, std::move(sslcontext), std::move(options));
}

std::any StreamWriter::get_extra_info(std::string_view name) const { return s_->transport->get_extra_info(name); }
Transport& StreamWriter::transport() const { return *s_->transport; }

}  // namespace concurrence::asyncio
