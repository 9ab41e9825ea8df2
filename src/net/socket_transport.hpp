// The stream transport of a connected socket (Python's _SelectorSocketTransport), on the
// loop's poller in edge mode: registered once, for both directions, when the transport starts;
// the readiness the kernel reported is kept here until a system call says it is spent.
//
// Reading: one recv per iteration into the loop thread's 256 KiB buffer (Python's max_size),
// handed to data_received as a view; a full buffer means more may wait, and the transport
// reads again at the next iteration (as a level-triggered selector would report it). Writing:
// write() sends at once when nothing is buffered; what the socket does not take is buffered
// and sent when the kernel says it is writable again.
//
// Lifetime: shared. The transport holds itself (self_) from start() until connection_lost has
// been called; a step waiting in the ready queue holds it too.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "concurrence/base/errors.hpp"
#include "concurrence/loop/event_loop.hpp"
#include "concurrence/loop/runnable.hpp"
#include "concurrence/net/protocols.hpp"
#include "concurrence/net/socket.hpp"
#include "concurrence/net/transport.hpp"
#include "io/poller.hpp"
#include "net/write_limits.hpp"

namespace concurrence::net::detail {

class SocketTransport final : public asyncio::Transport,
                              private io::IoSource,
                              private asyncio::detail::Runnable,
                              private asyncio::detail::FdOwner {
public:
    // sock: connected and non-blocking. Nothing happens until start().
    SocketTransport(asyncio::EventLoop& loop, Socket sock, std::shared_ptr<asyncio::Protocol> protocol);
    ~SocketTransport() override;

    // Registers the socket and schedules, in order: protocol.connection_made(*this), the start
    // of reading, then `made` (if any). on_lost runs after connection_lost (a server's count).
    // Throws OSError if the socket cannot be watched.
    void start(std::function<void()> made = {}, std::function<void(SocketTransport&)> on_lost = {});

    // asyncio::Transport
    void write(std::string_view data) override;
    void write_eof() override;
    bool can_write_eof() const override { return true; }
    void close() override;
    void abort() override { force_close(nullptr); }
    bool is_closing() const override { return closing_; }
    void pause_reading() override;
    void resume_reading() override;
    bool is_reading() const override { return !closing_ && !paused_; }
    void set_write_buffer_limits(std::optional<std::size_t> high, std::optional<std::size_t> low) override;
    std::pair<std::size_t, std::size_t> get_write_buffer_limits() const override { return limits_.get(); }
    std::size_t get_write_buffer_size() const override { return buffer_.size() - sent_; }
    std::any get_extra_info(std::string_view name) const override;
    using asyncio::BaseTransport::get_extra_info;
    asyncio::BaseProtocol& get_protocol() const override {
        if (!protocol_) throw RuntimeError("the transport is closed (or its loop is): it has no protocol any more");
        return *protocol_;
    }

private:
    std::shared_ptr<SocketTransport> shared_self() {
        return std::static_pointer_cast<SocketTransport>(shared_from_this());
    }
    // io::IoSource: remember the readiness, schedule a step if it is wanted.
    void io_event(std::uint32_t events) override;
    // asyncio::detail::Runnable: the step (read, then write).
    void run() override;
    bool timer_stale(std::uint64_t) const override { return true; }
    void timer_fired(asyncio::EventLoop&, std::uint64_t) override {}
    void timer_release() override {}
    void discard_ready() override { step_hold_.reset(); }
    // asyncio::detail::FdOwner: the loop closes with this transport open.
    void loop_closing() noexcept override;
    void unregister() noexcept;

    bool wants_read() const { return watching_reads_ && readable_; }
    bool wants_write() const { return writable_ && get_write_buffer_size() > 0 && !conn_lost_; }
    void schedule_step();
    void read_ready();
    void on_eof();
    void write_ready();
    void fatal_error(std::exception_ptr exc, const char* message);
    void force_close(std::exception_ptr exc);
    void schedule_connection_lost(std::exception_ptr exc);
    void call_connection_lost(std::exception_ptr exc);

    asyncio::EventLoop& loop_;
    Socket sock_;
    std::shared_ptr<asyncio::Protocol> protocol_;
    std::shared_ptr<SocketTransport> self_;       // the loop's reference, start() to connection_lost
    std::shared_ptr<SocketTransport> step_hold_;  // while a step waits in the ready queue
    std::function<void(SocketTransport&)> on_lost_;
    Address sockname_;
    std::optional<Address> peername_;
    std::string buffer_;   // the write buffer: buffer_[sent_..] is still to send
    std::size_t sent_ = 0;
    WriteLimits limits_;
    int conn_lost_ = 0;    // Python's _conn_lost: writes after a lost connection are counted
    bool registered_ = false;
    bool readable_ = false;        // edge readiness, kept until spent
    bool writable_ = false;
    bool peer_closed_ = false;     // the kernel reported a hang-up or an error: read to the end
    bool watching_reads_ = false;  // Python's "reader registered"
    bool paused_ = false;
    bool closing_ = false;
    bool eof_ = false;             // write_eof() called
    bool step_scheduled_ = false;
    bool lost_called_ = false;
};

}  // namespace concurrence::net::detail
