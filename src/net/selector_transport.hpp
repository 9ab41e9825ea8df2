// What the stream and the datagram transports share (Python's _SelectorTransport, the base of
// _SelectorSocketTransport and _SelectorDatagramTransport in selector_events.py), so that the
// two keep only what differs: how they read (recv, recvfrom), their write buffers, the
// stream's half-close.
//
// Shared here: the socket on the loop's poller in edge mode (registered once, for both
// directions, when the transport starts; the readiness the kernel reported is kept until a
// system call says it is spent), the step the loop runs, the lifetime, closing and the one call
// of connection_lost, the loop closing first, write-buffer limits, pause/resume_reading and
// get_extra_info.
//
// A template over the transport built on it (CRTP) and the interface it implements
// (asyncio::Transport or asyncio::DatagramTransport, which declare these methods apart): the
// per-message path (io_event, the step) calls the derived class's hooks directly, with no
// virtual call. The derived class gives, to this base (a friend):
//   bool watches_readiness() const               register the socket in edge mode at start()
//                                                (false: the derived class reads by completions
//                                                and watches what it needs itself)
//   void release_io() noexcept                   drops what it watches itself (before the close)
//   bool wants_read() const, wants_write() const  whether a step would read, write now
//   void step()                                  the loop's turn: read, then write
//   void clear_write_buffer()                    drops what is buffered (abort, fatal error)
//   std::size_t get_write_buffer_size() const    (the interface's)
//   static constexpr const char* connection_made_error  the exception handler's message
//   void on_connection_lost() noexcept           (optional) told when connection_lost is called
//
// Lifetime: shared. The transport holds itself (self_) from start() until connection_lost has
// been called; a step waiting in the ready queue holds it too.
#pragma once

#include <any>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

#include "concurrence/base/errors.hpp"
#include "concurrence/loop/event_loop.hpp"
#include "concurrence/loop/runnable.hpp"
#include "concurrence/net/address.hpp"
#include "concurrence/net/protocols.hpp"
#include "concurrence/net/socket.hpp"
#include "concurrence/net/transport.hpp"
#include "concurrence/task/coro.hpp"
#include "base/write_stderr.hpp"
#include "io/poller.hpp"
#include "net/write_limits.hpp"

namespace concurrence::net::detail {

template <class Derived, class Interface, class ProtocolType>
class SelectorTransport : public Interface,
                          private io::IoSource,
                          private asyncio::detail::Runnable,
                          private asyncio::detail::FdOwner {
public:
    // Registers the socket and schedules, in order: protocol.connection_made(*this), the start
    // of reading, then `made` (if any). on_lost runs after connection_lost (a server's count).
    // Throws OSError if the socket cannot be watched.
    void start(std::function<void()> made = {}, std::function<void(Derived&)> on_lost = {});
    // start(), then returns once connection_made has run (Python's _create_connection_transport
    // and create_datagram_endpoint await the transport's waiter); cancelled meanwhile, it closes
    // the transport and rethrows. The caller holds the transport.
    asyncio::Coro<> start_and_wait();

    // The interface's methods that do not depend on the kind of socket.
    void close() override;
    void abort() override { force_close(nullptr); }
    bool is_closing() const override { return closing_; }
    void pause_reading() override;
    void resume_reading() override;
    bool is_reading() const override { return !closing_ && !paused_; }
    void set_write_buffer_limits(std::optional<std::size_t> high, std::optional<std::size_t> low) override;
    std::pair<std::size_t, std::size_t> get_write_buffer_limits() const override { return limits_.get(); }
    std::any get_extra_info(std::string_view name) const override;
    using Interface::get_extra_info;
    // Python's _force_close(exc): the buffer is dropped, connection_lost(exc) follows (TLS's
    // fatal errors end the connection with their exception).
    void force_close_with(std::exception_ptr exc) { force_close(std::move(exc)); }
    // Python's set_protocol (start_tls puts the TLS layer between the transport and its protocol).
    void set_protocol(std::shared_ptr<ProtocolType> protocol) override {
        if (!protocol) throw ValueError("set_protocol needs a protocol");
        if (lost_called_) return;  // the end came: nothing will call it (and it would hold the protocol)
        protocol_ = std::move(protocol);
    }
    asyncio::BaseProtocol& get_protocol() const override {
        if (!protocol_) throw RuntimeError("the transport is closed (or its loop is): it has no protocol any more");
        return *protocol_;
    }

protected:
    // sock: non-blocking. Nothing happens until start().
    SelectorTransport(asyncio::EventLoop& loop, Socket sock, std::shared_ptr<ProtocolType> protocol);
    ~SelectorTransport() override;

    // The base as what the poller reports readiness to (a derived class watching by itself).
    io::IoSource* io_source() noexcept { return this; }
    void schedule_step() {
        if (step_scheduled_) return;
        step_scheduled_ = true;
        step_hold_ = shared_self();
        loop_.schedule(static_cast<asyncio::detail::Runnable*>(this));
    }
    // Python's "if self._conn_lost": a write after the end is counted and dropped, with a
    // warning from the fifth one on. True if it was dropped.
    bool drop_if_lost() {
        if (!conn_lost_) return false;
        if (conn_lost_ >= 5) concurrence::detail::write_stderr("asyncio: socket.send() raised exception.\n");
        ++conn_lost_;
        return true;
    }
    // Reports exc to the exception handler unless it is an OSError, then force_close(exc).
    void fatal_error(std::exception_ptr exc, const char* message);
    // Once: closes the socket, then protocol.connection_lost(exc), then on_lost.
    void call_connection_lost(std::exception_ptr exc);

    asyncio::EventLoop& loop_;
    Socket sock_;
    std::shared_ptr<ProtocolType> protocol_;
    std::optional<Address> sockname_;  // Python's extra "sockname", "peername": None if unknown
    std::optional<Address> peername_;
    WriteLimits limits_;
    int conn_lost_ = 0;      // Python's _conn_lost: writes after a lost connection are counted
    bool readable_ = false;  // edge readiness, kept until spent
    bool writable_ = false;
    bool peer_closed_ = false;     // the kernel reported a hang-up or an error: read to the end
    bool watching_reads_ = false;  // Python's "reader registered"
    bool closing_ = false;

private:
    Derived& derived() { return static_cast<Derived&>(*this); }
    std::shared_ptr<SelectorTransport> shared_self() {
        return std::static_pointer_cast<SelectorTransport>(this->shared_from_this());
    }
    // io::IoSource: remember the readiness, schedule a step if it is wanted.
    void io_event(std::uint32_t events) override {
        if (events & (io::readable | io::hangup | io::error)) readable_ = true;
        if (events & (io::writable | io::hangup | io::error)) writable_ = true;
        if (events & (io::hangup | io::error)) peer_closed_ = true;
        if (derived().wants_read() || derived().wants_write()) schedule_step();
    }
    // asyncio::detail::Runnable: the step.
    void run() override {
        auto hold = std::move(step_hold_);
        step_scheduled_ = false;
        derived().step();
    }
    bool timer_stale(std::uint64_t) const override { return true; }
    void timer_fired(asyncio::EventLoop&, std::uint64_t) override {}
    void timer_release() override {}
    void discard_ready() override { step_hold_.reset(); }
    // asyncio::detail::FdOwner: the loop closes with this transport open.
    void loop_closing() noexcept override;
    void unregister() noexcept;
    void force_close(std::exception_ptr exc);
    void schedule_connection_lost(std::exception_ptr exc);

    std::shared_ptr<SelectorTransport> self_;       // the loop's reference, start() to connection_lost
    std::shared_ptr<SelectorTransport> step_hold_;  // while a step waits in the ready queue
    std::function<void(Derived&)> on_lost_;
    bool registered_ = false;
    bool paused_ = false;
    bool step_scheduled_ = false;
    bool lost_called_ = false;
};

}  // namespace concurrence::net::detail
