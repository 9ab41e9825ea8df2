// The stream transport of a connected socket (Python's _SelectorSocketTransport), on the
// shared base of net/selector_transport.hpp (registration, lifetime, closing, flow control).
//
// Reading: one recv per iteration into the loop thread's 256 KiB buffer (Python's max_size),
// handed to data_received as a view; a full buffer means more may wait, and the transport
// reads again at the next iteration (as a level-triggered selector would report it). Writing:
// write() sends at once when nothing is buffered; what the socket does not take is buffered
// and sent when the kernel says it is writable again.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "concurrence/loop/event_loop.hpp"
#include "concurrence/net/protocols.hpp"
#include "concurrence/net/socket.hpp"
#include "concurrence/net/transport.hpp"
#include "net/selector_transport.hpp"

namespace concurrence::net::detail {

class SocketTransport final : public SelectorTransport<SocketTransport, asyncio::Transport, asyncio::Protocol> {
public:
    // sock: connected and non-blocking. Nothing happens until start().
    SocketTransport(asyncio::EventLoop& loop, Socket sock, std::shared_ptr<asyncio::Protocol> protocol);

    // asyncio::Transport (the rest is the base's)
    void write(std::string_view data) override;
    void write_eof() override;
    bool can_write_eof() const override { return true; }
    std::size_t get_write_buffer_size() const override { return buffer_.size() - sent_; }

private:
    using Base = SelectorTransport<SocketTransport, asyncio::Transport, asyncio::Protocol>;
    friend Base;
    static constexpr const char* connection_made_error = "Exception in callback Protocol.connection_made()";

    bool wants_read() const { return watching_reads_ && readable_; }
    bool wants_write() const { return writable_ && get_write_buffer_size() > 0 && !conn_lost_; }
    void step() {
        if (wants_read()) read_ready();
        if (wants_write()) write_ready();
    }
    void clear_write_buffer() {
        buffer_.clear();
        sent_ = 0;
    }
    void read_ready();
    void on_eof();
    void write_ready();

    std::string buffer_;  // the write buffer: buffer_[sent_..] is still to send
    std::size_t sent_ = 0;
    bool eof_ = false;  // write_eof() called
};

}  // namespace concurrence::net::detail
