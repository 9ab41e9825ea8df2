#include "net/socket_transport.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdio>

#include "concurrence/base/errors.hpp"
#include "concurrence/task/task.hpp"
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
    : Base(loop, std::move(sock), std::move(protocol)) {
    set_nodelay(sock_);
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
    if (drop_if_lost()) return;
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
        clear_write_buffer();
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
    clear_write_buffer();
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

}  // namespace concurrence::net::detail
