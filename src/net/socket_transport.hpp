// The stream transport of a connected socket (Python's _SelectorSocketTransport), on the
// shared base of net/selector_transport.hpp (registration, lifetime, closing, flow control).
//
// Reading, two ways, as the loop's poller allows:
//   readiness   (epoll) one recv per iteration into the loop thread's 256 KiB buffer (Python's
//               max_size), handed to data_received as a view; a full buffer means more may
//               wait, and the transport reads again at the next iteration (as a
//               level-triggered selector would report it);
//   completions (io_uring) one receive in the kernel while reading is on: the kernel reads
//               into the poller's buffers as data comes, and the next step hands each read
//               to data_received, in order, and gives its buffer back. A receive the kernel
//               ended (an empty pool: ENOBUFS; a one-shot receive that filled its buffer) is
//               followed by one recv of the readiness way, then a new receive. Paused, the
//               transport cancels its receive; what was read before the cancel took effect
//               (bounded by the pool) is kept, copied, and delivered first on resume_reading,
//               at most 256 KiB (Python's max_size) per step; no receive runs until it is all
//               delivered, so what is held only shrinks.
// Writing: write() sends at once when nothing is buffered; what the socket does not take is
// buffered and sent when the kernel says it is writable again (readiness: the edge
// registration; completions: a watch for writability, kept only while something waits).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "concurrence/loop/event_loop.hpp"
#include "concurrence/net/protocols.hpp"
#include "concurrence/net/socket.hpp"
#include "concurrence/net/transport.hpp"
#include "concurrence/task/future.hpp"
#include "net/selector_transport.hpp"
#include "net/write_buffer.hpp"

namespace concurrence::net::detail {

class SocketTransport final : public SelectorTransport<SocketTransport, asyncio::Transport, asyncio::Protocol>,
                              private io::ReceiveSink {
public:
    // sock: connected and non-blocking. Nothing happens until start().
    SocketTransport(asyncio::EventLoop& loop, Socket sock, std::shared_ptr<asyncio::Protocol> protocol);
    ~SocketTransport() override { release_io(); }

    // asyncio::Transport (the rest is the base's)
    void write(std::string_view data) override;
    void write_eof() override;
    bool can_write_eof() const override { return true; }
    std::size_t get_write_buffer_size() const override { return buffer_.size(); }

    // ---- loop.sendfile (Python's _make_empty_waiter and _SendfileFallbackProtocol)
    // From begin to end: write() throws "unable to write; sendfile is in progress", and
    // reading is paused (resumed at the end if it was on). A second begin: RuntimeError.
    void begin_sendfile();
    void end_sendfile() noexcept;
    // Done once nothing is buffered and the socket takes more (after `spent`, the kernel's
    // next word that it does); ConnectionError if the connection ends first.
    asyncio::Future<void> until_writable(bool spent);
    // The fallback's writes: sent or buffered as write()'s, without pause_writing (Python's
    // fallback swaps the protocol out for its duration).
    void write_for_sendfile(std::string_view data) {
        if (!data.empty() && !drop_if_lost()) send_or_buffer(data);
    }
    int fileno() const { return sock_.fileno(); }

private:
    using Base = SelectorTransport<SocketTransport, asyncio::Transport, asyncio::Protocol>;
    friend Base;
    static constexpr const char* connection_made_error = "Exception in callback Protocol.connection_made()";

    bool watches_readiness() const { return !completions_; }
    bool wants_read() const {
        if (!completions_) return watching_reads_ && readable_;
        return watching_reads_ && (!received_.empty() || !held_.empty() || held_end_ != no_end ||
                                   (!receive_armed_ && !receive_ended_));
    }
    bool wants_write() const {
        return writable_ && (get_write_buffer_size() > 0 || sendfile_waiter_) && !conn_lost_;
    }
    void step() {
        if (completions_)
            receive_step();
        else if (wants_read())
            read_ready();
        if (wants_write()) write_ready();
    }
    void clear_write_buffer() { buffer_.clear(); }
    // Sends what the socket takes now and buffers the rest; true if something was buffered.
    bool send_or_buffer(std::string_view data);
    // Ends sendfile's wait (until_writable): done, or with `error`.
    void finish_sendfile_wait(std::exception_ptr error);
    // The base's hook: the connection ended (sendfile's wait fails).
    void on_connection_lost() noexcept;
    void read_ready();
    std::size_t read_once();
    void deliver(std::string_view data);  // data_received, its exception ending the connection
    void on_eof();
    void write_ready();
    // The socket took less than offered: wait for the kernel's word that it takes more.
    void wait_writable();
    void stop_waiting_writable() noexcept;

    // Completions (io::ReceiveSink, inside the poller): recorded for the next step.
    void received(int result, std::uint16_t buffer, bool more) override;
    void receive_step();
    void deliver_held();
    void end_of_stream(int result);  // 0: the peer's EOF (on_eof), < 0: -errno (fatal_error)
    void release_io() noexcept;

    static constexpr int no_end = 1;  // held_end_ when no end of stream or error is held

    WriteBuffer buffer_;
    bool eof_ = false;  // write_eof() called
    bool sendfile_active_ = false;
    bool resume_after_sendfile_ = false;
    std::optional<asyncio::Future<void>> sendfile_waiter_;
    const bool completions_;       // reads by the poller's completions (io_uring)
    bool receive_armed_ = false;   // a receive is in the kernel (maybe being cancelled)
    bool receive_ended_ = false;   // the end of the stream or an error came: no more receives
    bool write_watch_ = false;     // waiting for writability
    struct Received {
        int result;  // bytes (> 0, in the buffer), 0 at the end of the stream, or -errno
        std::uint16_t buffer;
    };
    std::vector<Received> received_;  // what the poller reported, for the next step, in order
    std::string held_;                // read while paused, delivered first on resume:
    std::size_t held_from_ = 0;       //   held_[held_from_..] is still to deliver
    int held_end_ = no_end;           // and what came after it: 0 the end, -errno an error
};

}  // namespace concurrence::net::detail
