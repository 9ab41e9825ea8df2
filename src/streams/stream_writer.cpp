// Python's StreamWriter (Lib/asyncio/streams.py).
#include "concurrence/streams/stream_writer.hpp"

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
std::any StreamWriter::get_extra_info(std::string_view name) const { return s_->transport->get_extra_info(name); }
Transport& StreamWriter::transport() const { return *s_->transport; }

}  // namespace concurrence::asyncio
