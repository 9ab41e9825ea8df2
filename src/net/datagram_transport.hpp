// The transport of a datagram socket, UDP or AF_UNIX (Python's _SelectorDatagramTransport), on
// the loop's poller in edge mode as the stream transport (net/socket_transport.hpp): registered
// once for both directions when it starts, the readiness the kernel reported kept here until a
// system call says it is spent.
//
// Reading: one recvfrom per iteration (as Python's selector loop, which calls _read_ready once
// per iteration while the socket is readable) into the loop thread's 256 KiB buffer, handed to
// datagram_received as a view; after a datagram the transport reads again at the next
// iteration, until EAGAIN. A failed recvfrom (ConnectionRefusedError after an ICMP port
// unreachable) goes to error_received. Writing: sendto() sends at once when nothing is
// buffered; a datagram the socket does not take is buffered (whole: a datagram is never split)
// and sent, in order, when the kernel says the socket is writable again. A failed send goes to
// error_received; the transport stays open.
//
// An exception from datagram_received or error_received goes to the loop's exception handler,
// as Python's (whose _read_ready does not catch it: its Handle reports it), and the transport
// stays open.
//
// Lifetime: shared. The transport holds itself (self_) from start() until connection_lost has
// been called; a step waiting in the ready queue holds it too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "concurrence/base/errors.hpp"
#include "concurrence/loop/event_loop.hpp"
#include "concurrence/loop/runnable.hpp"
#include "concurrence/net/protocols.hpp"
#include "concurrence/net/socket.hpp"
#include "concurrence/net/transport.hpp"
#include "io/poller.hpp"
#include "net/sockaddr.hpp"
#include "net/write_limits.hpp"

namespace concurrence::net::detail {

// Python's str() of an address: ('127.0.0.1', 9999), (None, 0), /tmp/app.sock (no quotes).
std::string address_str(const Address& address);

class DatagramSocketTransport final : public asyncio::DatagramTransport,
                                      private io::IoSource,
                                      private asyncio::detail::Runnable,
                                      private asyncio::detail::FdOwner {
public:
    // Python counts 8 bytes of header per buffered datagram (3.13).
    static constexpr std::size_t header_size = 8;

    // sock: non-blocking. address: Python's r_addr, the remote address create_datagram_endpoint
    // was given (resolved), or nullopt. Nothing happens until start().
    DatagramSocketTransport(asyncio::EventLoop& loop, Socket sock, std::shared_ptr<asyncio::DatagramProtocol> protocol,
                            std::optional<Address> address);
    ~DatagramSocketTransport() override;

    // Registers the socket and schedules, in order: protocol.connection_made(*this), the start
    // of reading, then `made` (if any). Throws OSError if the socket cannot be watched.
    void start(std::function<void()> made = {});

    // asyncio::DatagramTransport
    void sendto(std::string_view data, std::optional<Address> addr = std::nullopt) override;
    void abort() override { force_close(nullptr); }
    void close() override;
    bool is_closing() const override { return closing_; }
    std::size_t get_write_buffer_size() const override { return buffer_size_; }
    void set_write_buffer_limits(std::optional<std::size_t> high, std::optional<std::size_t> low) override;
    std::pair<std::size_t, std::size_t> get_write_buffer_limits() const override { return limits_.get(); }
    void pause_reading() override;
    void resume_reading() override;
    bool is_reading() const override { return !closing_ && !paused_; }
    std::any get_extra_info(std::string_view name) const override;
    using asyncio::BaseTransport::get_extra_info;
    asyncio::BaseProtocol& get_protocol() const override {
        if (!protocol_) throw RuntimeError("the transport is closed (or its loop is): it has no protocol any more");
        return *protocol_;
    }

private:
    struct Pending {
        std::string data;
        RawAddress to;  // length 0: send() on the connected socket
    };

    std::shared_ptr<DatagramSocketTransport> shared_self() {
        return std::static_pointer_cast<DatagramSocketTransport>(shared_from_this());
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

    bool wants_read() const { return watching_reads_ && readable_ && !conn_lost_; }
    bool wants_write() const { return writable_ && !buffer_.empty() && !conn_lost_; }
    void schedule_step();
    void read_ready();
    void sendto_ready();
    // One send of `data` to `to` (or to the connected peer): the byte count, or -1 and errno.
    long send_one(std::string_view data, const RawAddress& to) const;
    void fatal_error(std::exception_ptr exc, const char* message);
    void force_close(std::exception_ptr exc);
    void schedule_connection_lost(std::exception_ptr exc);
    void call_connection_lost(std::exception_ptr exc);

    asyncio::EventLoop& loop_;
    Socket sock_;
    std::shared_ptr<asyncio::DatagramProtocol> protocol_;
    std::shared_ptr<DatagramSocketTransport> self_;       // the loop's reference, start() to connection_lost
    std::shared_ptr<DatagramSocketTransport> step_hold_;  // while a step waits in the ready queue
    std::optional<Address> address_;  // Python's _address (r_addr)
    RawAddress address_raw_;          // address_ as a sockaddr (length 0 if none)
    std::optional<Address> sockname_;
    std::optional<Address> peername_;
    std::deque<Pending> buffer_;  // datagrams waiting for the socket, in order
    std::size_t buffer_size_ = 0;
    WriteLimits limits_;
    int conn_lost_ = 0;  // Python's _conn_lost: sends after a lost connection are counted
    bool registered_ = false;
    bool readable_ = false;  // edge readiness, kept until spent
    bool writable_ = false;
    bool watching_reads_ = false;  // Python's "reader registered"
    bool paused_ = false;
    bool closing_ = false;
    bool step_scheduled_ = false;
    bool lost_called_ = false;
};

}  // namespace concurrence::net::detail
