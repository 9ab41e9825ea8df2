#include "net/socket_transport.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdio>

#include "concurrence/base/errors.hpp"
#include "concurrence/task/task.hpp"
#include "base/write_stderr.hpp"
#include "net/read_buffer.hpp"
#include "net/retry_eintr.hpp"

namespace concurrence::net::detail {

namespace {

// Python's _set_nodelay: TCP_NODELAY on every TCP transport.
void set_nodelay(const Socket& sock) {
    if ((sock.family() == AF_INET || sock.family() == AF_INET6) && sock.type() == SOCK_STREAM) {
        const int one = 1;
        ::setsockopt(sock.fileno(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // best effort, as Python
    }
}

}  // namespace

SocketTransport::SocketTransport(asyncio::EventLoop& loop, Socket sock, std::shared_ptr<asyncio::Protocol> protocol)
    : loop_(loop), sock_(std::move(sock)), protocol_(std::move(protocol)) {
    if (!protocol_) throw ValueError("the protocol factory returned no protocol");
}

SocketTransport::~SocketTransport() { unregister(); }

void SocketTransport::start(std::function<void()> made, std::function<void(SocketTransport&)> on_lost) {
    const int fd = sock_.fileno();
    loop_.claim_fd(fd, this);
    try {
        loop_.poller().add(fd, 0, io::Trigger::edge, this);
    } catch (...) {
        loop_.release_fd(fd);
        throw;
    }
    registered_ = true;
    self_ = shared_self();
    on_lost_ = std::move(on_lost);
    set_nodelay(sock_);
    try {
        sockname_ = sock_.getsockname();
        peername_ = sock_.getpeername();
    } catch (const OSError&) {  // Python stores None
    }
    // Python's three call_soon of the transport's __init__, in one callback: connection_made,
    // then reading starts (unless paused or closed meanwhile), then the creator's waiter.
    loop_.call_soon([self = self_, made = std::move(made)] {
        try {
            self->protocol_->connection_made(*self);
        } catch (...) {
            self->loop_.call_exception_handler({"Exception in callback Protocol.connection_made()", std::current_exception()});
        }
        if (self->is_reading()) {
            self->watching_reads_ = true;
            if (self->wants_read()) self->schedule_step();
        }
        if (made) made();
    });
}

void SocketTransport::unregister() noexcept {
    if (!registered_) return;
    registered_ = false;
    loop_.poller().remove(sock_.fileno());
    loop_.release_fd(sock_.fileno());
}

void SocketTransport::loop_closing() noexcept {
    registered_ = false;  // the loop forgot the descriptor already
    sock_.close();
    // Dead from now on: writes are dropped, close/abort do nothing, no callback is called.
    closing_ = true;
    watching_reads_ = false;
    lost_called_ = true;
    conn_lost_ = conn_lost_ ? conn_lost_ : 1;
    buffer_.clear();
    sent_ = 0;
    // Let go of the protocol too (Python's _protocol = None): what it holds may hold this.
    auto protocol = std::move(protocol_);
    auto keep = std::move(self_);  // may be the last reference: destroyed on return
}

void SocketTransport::io_event(std::uint32_t events) {
    if (events & (io::readable | io::hangup | io::error)) readable_ = true;
    if (events & (io::writable | io::hangup | io::error)) writable_ = true;
    if (events & (io::hangup | io::error)) peer_closed_ = true;
    if (wants_read() || wants_write()) schedule_step();
}

void SocketTransport::schedule_step() {
    if (step_scheduled_) return;
    step_scheduled_ = true;
    step_hold_ = shared_self();
    loop_.schedule(static_cast<asyncio::detail::Runnable*>(this));
}

void SocketTransport::run() {
    auto hold = std::move(step_hold_);
    step_scheduled_ = false;
    if (wants_read()) read_ready();
    if (wants_write()) write_ready();
}

void SocketTransport::read_ready() {
    char* buffer = read_buffer();
    const ssize_t n = retry_eintr([&] { return ::recv(sock_.fileno(), buffer, max_read, 0); });
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            readable_ = false;
            return;
        }
        fatal_error(os_error(errno), "Fatal read error on socket transport");
        return;
    }
    if (n == 0) {
        readable_ = false;
        on_eof();
        return;
    }
    // A short read drained the socket (the kernel reports the next arrival); a full one, or a
    // hang-up still to read, means more: the next iteration reads again.
    if (static_cast<std::size_t>(n) == max_read || peer_closed_)
        schedule_step();
    else
        readable_ = false;
    try {
        protocol_->data_received(std::string_view(buffer, static_cast<std::size_t>(n)));
    } catch (...) {
        fatal_error(std::current_exception(), "Fatal error: protocol.data_received() call failed.");
    }
}

void SocketTransport::on_eof() {
    bool keep_open = false;
    try {
        keep_open = protocol_->eof_received();
    } catch (...) {
        fatal_error(std::current_exception(), "Fatal error: protocol.eof_received() call failed.");
        return;
    }
    if (keep_open)
        watching_reads_ = false;  // half-closed: this side may still write
    else
        close();
}

void SocketTransport::write(std::string_view data) {
    if (eof_) throw RuntimeError("Cannot call write() after write_eof()");
    if (data.empty()) return;
    if (conn_lost_) {
        if (conn_lost_ >= 5) concurrence::detail::write_stderr("asyncio: socket.send() raised exception.\n");
        ++conn_lost_;
        return;
    }
    if (get_write_buffer_size() == 0) {
        ssize_t n = retry_eintr([&] { return ::send(sock_.fileno(), data.data(), data.size(), MSG_NOSIGNAL); });
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                fatal_error(os_error(errno), "Fatal write error on socket transport");
                return;
            }
            n = 0;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
        if (data.empty()) return;
        writable_ = false;  // the socket took less than offered: wait for the kernel's word
    }
    buffer_.append(data);
    limits_.maybe_pause(get_write_buffer_size(), *protocol_, loop_);
}

void SocketTransport::write_ready() {
    const ssize_t n = retry_eintr([&] {
        return ::send(sock_.fileno(), buffer_.data() + sent_, buffer_.size() - sent_, MSG_NOSIGNAL);
    });
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            writable_ = false;
            return;
        }
        std::exception_ptr exc = os_error(errno);
        buffer_.clear();
        sent_ = 0;
        fatal_error(exc, "Fatal write error on socket transport");
        return;
    }
    sent_ += static_cast<std::size_t>(n);
    if (get_write_buffer_size() > 0) {
        writable_ = false;
        if (sent_ >= 64 * 1024 && 2 * sent_ >= buffer_.size()) {  // drop the sent prefix now and then
            buffer_.erase(0, sent_);
            sent_ = 0;
        }
    }
    limits_.maybe_resume(get_write_buffer_size(), *protocol_, loop_);
    if (get_write_buffer_size() > 0) return;
    buffer_.clear();
    sent_ = 0;
    if (closing_) {
        call_connection_lost(nullptr);
    } else if (eof_) {
        if (::shutdown(sock_.fileno(), SHUT_WR) < 0 && errno != ENOTCONN)
            fatal_error(os_error(errno), "Fatal error on socket transport");
    }
}

void SocketTransport::write_eof() {
    if (closing_ || eof_) return;
    eof_ = true;
    if (get_write_buffer_size() == 0) sock_.shutdown(SHUT_WR);
}

void SocketTransport::close() {
    if (closing_) return;
    closing_ = true;
    watching_reads_ = false;
    if (get_write_buffer_size() == 0) {
        ++conn_lost_;
        schedule_connection_lost(nullptr);
    }
}

void SocketTransport::pause_reading() {
    if (!is_reading()) return;
    paused_ = true;
    watching_reads_ = false;
}

void SocketTransport::resume_reading() {
    if (closing_ || !paused_) return;
    paused_ = false;
    watching_reads_ = true;
    if (wants_read()) schedule_step();
}

void SocketTransport::set_write_buffer_limits(std::optional<std::size_t> high, std::optional<std::size_t> low) {
    limits_.set(high, low);
    if (protocol_) limits_.maybe_pause(get_write_buffer_size(), *protocol_, loop_);
}

std::any SocketTransport::get_extra_info(std::string_view name) const {
    if (name == "peername" && peername_) return *peername_;
    if (name == "sockname") return sockname_;
    if (name == "socket" && sock_.is_open()) return sock_.fileno();
    return {};
}

void SocketTransport::fatal_error(std::exception_ptr exc, const char* message) {
    // Python logs only what is not an OSError (a reset peer is not the program's error).
    if (!exception_is<OSError>(exc)) loop_.call_exception_handler({message, exc});
    force_close(std::move(exc));
}

void SocketTransport::force_close(std::exception_ptr exc) {
    if (conn_lost_) return;
    buffer_.clear();
    sent_ = 0;
    closing_ = true;
    watching_reads_ = false;
    ++conn_lost_;
    schedule_connection_lost(std::move(exc));
}

void SocketTransport::schedule_connection_lost(std::exception_ptr exc) {
    if (loop_.is_closed()) {
        call_connection_lost(std::move(exc));
        return;
    }
    loop_.call_soon([self = shared_self(), exc = std::move(exc)] { self->call_connection_lost(exc); });
}

void SocketTransport::call_connection_lost(std::exception_ptr exc) {
    if (lost_called_) return;
    lost_called_ = true;
    // Whatever connection_lost does (or throws), the socket is closed and the loop lets go.
    struct Cleanup {
        SocketTransport& t;
        ~Cleanup() {
            t.unregister();
            t.sock_.close();
            t.closing_ = true;  // dead from now on: later writes are counted and dropped
            if (!t.conn_lost_) t.conn_lost_ = 1;
            if (auto on_lost = std::move(t.on_lost_)) on_lost(t);
            // Python's _protocol = None: a protocol that kept a shared_ptr to its transport
            // (Python's self.transport = transport) would otherwise make a cycle, never freed.
            auto protocol = std::move(t.protocol_);
            auto keep = std::move(t.self_);  // the caller holds another reference
        }
    } cleanup{*this};
    protocol_->connection_lost(std::move(exc));
}

}  // namespace concurrence::net::detail
