// The transports of loop.connect_read_pipe and connect_write_pipe (Python's
// _UnixReadPipeTransport and _UnixWritePipeTransport), on the shared base of
// net/selector_transport.hpp: one end of a pipe, FIFO, socket or character device (a
// terminal), non-blocking, watched by readiness on either backend.
//
// Both are asyncio::Transports, so that any Protocol serves (Python passes its Protocol
// classes to both); the half a pipe end does not have throws NotImplementedError (Python: no
// such attribute): write() and write_eof() on the read end, pause_reading() and
// resume_reading() on the write end.
//
// The read end reads up to 256 KiB per iteration while the descriptor is readable, and keeps
// reading each iteration until read() says EAGAIN (a terminal hands out one line per read).
// At the end of the stream: eof_received() (its answer is ignored, as Python's), then
// connection_lost(null). An exception from data_received goes to the loop's exception handler
// and reading goes on (Python's pipe transport does not catch it either). A read error is
// fatal; EIO (a terminal whose other side closed) is not reported to the exception handler.
//
// The write end writes at once when nothing is buffered, buffers the rest and watches the
// descriptor. close() and write_eof() are the same: what is buffered is written, then the
// descriptor is closed and connection_lost(null) called. The reader closing its end ends the
// transport: connection_lost(null), or BrokenPipeError if something was still buffered.
#pragma once

#include <any>
#include <cstdint>
#include <memory>
#include <string_view>

#include "concurrence/loop/event_loop.hpp"
#include "concurrence/net/protocols.hpp"
#include "concurrence/net/socket.hpp"
#include "concurrence/net/transport.hpp"
#include "net/selector_transport.hpp"
#include "net/write_buffer.hpp"

namespace concurrence::net::detail {

class PipeTransport final : public SelectorTransport<PipeTransport, asyncio::Transport, asyncio::Protocol> {
public:
    enum class End : std::uint8_t { read, write };

    // pipe: the descriptor, owned (closed with the transport), non-blocking. Nothing happens
    // until start().
    PipeTransport(asyncio::EventLoop& loop, Socket pipe, std::shared_ptr<asyncio::Protocol> protocol, End end)
        : Base(loop, std::move(pipe), std::move(protocol)), end_(end) {}

    // asyncio::Transport (the rest is the base's)
    void write(std::string_view data) override;
    void write_eof() override;
    bool can_write_eof() const override { return end_ == End::write; }
    std::size_t get_write_buffer_size() const override { return buffer_.size(); }
    void pause_reading() override;
    void resume_reading() override;
    bool is_reading() const override { return end_ == End::read && Base::is_reading(); }
    // "pipe": the descriptor (Python: the pipe object), while it is open.
    std::any get_extra_info(std::string_view name) const override;
    using asyncio::Transport::get_extra_info;

private:
    using Base = SelectorTransport<PipeTransport, asyncio::Transport, asyncio::Protocol>;
    friend Base;
    static constexpr const char* connection_made_error = "Exception in callback Protocol.connection_made()";

    bool watches_readiness() const { return true; }
    void release_io() noexcept {}
    // Read end: data or the end of the stream waits. Write end: the reader closed its end
    // (the kernel reports an error on the write end).
    bool wants_read() const {
        return end_ == End::read ? watching_reads_ && readable_ : watching_reads_ && peer_closed_ && !conn_lost_;
    }
    bool wants_write() const { return writable_ && buffer_.size() > 0 && !conn_lost_; }
    void step() {
        if (wants_read()) end_ == End::read ? read_ready() : reader_closed();
        if (wants_write()) write_ready();
    }
    void clear_write_buffer() { buffer_.clear(); }
    void read_ready();
    void reader_closed();
    void write_ready();
    void not_this_end(const char* what) const;

    const End end_;
    WriteBuffer buffer_;
};

}  // namespace concurrence::net::detail
