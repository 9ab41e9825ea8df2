#include "net/socket_transport.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <utility>

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
    : Base(loop, std::move(sock), std::move(protocol)), completions_(loop.poller().receives_completions()) {
    set_nodelay(sock_);
    // Completions: no edge registration reports the first writability; a connected socket
    // is taken to be writable until a send says otherwise.
    if (completions_) writable_ = true;
}

void SocketTransport::read_ready() {
    // A short read drained the socket (the kernel reports the next arrival); a full one, or a
    // hang-up still to read, means more: the next iteration reads again.
    const std::size_t n = read_once();
    if (n == max_read || (n > 0 && peer_closed_))
        schedule_step();
    else
        readable_ = false;
}

// One recv into the thread's read buffer: the data to the protocol, or the end of the stream
// or an error to on_eof / fatal_error. Returns the bytes read (0: none, or the end).
std::size_t SocketTransport::read_once() {
    char* buffer = read_buffer();
    const ssize_t n = retry_eintr([&] { return ::recv(sock_.fileno(), buffer, max_read, 0); });
    if (n > 0)
        deliver(std::string_view(buffer, static_cast<std::size_t>(n)));
    else if (n == 0)
        end_of_stream(0);
    else if (errno != EAGAIN && errno != EWOULDBLOCK)
        end_of_stream(-errno);
    return n > 0 ? static_cast<std::size_t>(n) : 0;
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
    if (sendfile_active_) throw RuntimeError("unable to write; sendfile is in progress");
    if (data.empty()) return;
    if (drop_if_lost()) return;
    if (send_or_buffer(data)) limits_.maybe_pause(get_write_buffer_size(), *protocol_, loop_);
}

bool SocketTransport::send_or_buffer(std::string_view data) {
    if (get_write_buffer_size() == 0) {
        ssize_t n = retry_eintr([&] { return ::send(sock_.fileno(), data.data(), data.size(), MSG_NOSIGNAL); });
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                fatal_error(os_error(errno), "Fatal write error on socket transport");
                return false;
            }
            n = 0;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
        if (data.empty()) return false;
        wait_writable();
    }
    buffer_.append(data);
    return true;
}

void SocketTransport::write_ready() {
    if (get_write_buffer_size() == 0) {  // only sendfile waits
        stop_waiting_writable();
        finish_sendfile_wait(nullptr);
        return;
    }
    const ssize_t n =
        retry_eintr([&] { return ::send(sock_.fileno(), buffer_.pending(), buffer_.size(), MSG_NOSIGNAL); });
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            wait_writable();
            return;
        }
        std::exception_ptr exc = os_error(errno);
        clear_write_buffer();
        fatal_error(exc, "Fatal write error on socket transport");
        return;
    }
    buffer_.consume(static_cast<std::size_t>(n));
    if (get_write_buffer_size() > 0) wait_writable();
    limits_.maybe_resume(get_write_buffer_size(), *protocol_, loop_);
    if (get_write_buffer_size() > 0) return;
    stop_waiting_writable();
    finish_sendfile_wait(nullptr);
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

void SocketTransport::wait_writable() {
    writable_ = false;
    if (!completions_ || write_watch_) return;
    try {
        loop_.poller().add(sock_.fileno(), io::writable, io::Trigger::level, io_source());
        write_watch_ = true;
    } catch (...) {  // (write() must not throw for the poller: the connection ends instead)
        fatal_error(std::current_exception(), "Fatal write error on socket transport");
    }
}

void SocketTransport::stop_waiting_writable() noexcept {
    if (!write_watch_) return;
    write_watch_ = false;
    writable_ = true;
    loop_.poller().remove(sock_.fileno());
}

// --- loop.sendfile ---

namespace {
// What sendfile's wait ends with when the connection ends first (Python's empty waiter).
std::exception_ptr closed_by_peer() { return std::make_exception_ptr(ConnectionError("Connection is closed by peer")); }
}  // namespace

void SocketTransport::begin_sendfile() {
    if (sendfile_active_) throw RuntimeError("Empty waiter is already set");
    sendfile_active_ = true;
    resume_after_sendfile_ = is_reading();
    pause_reading();
}

void SocketTransport::end_sendfile() noexcept {
    sendfile_active_ = false;
    sendfile_waiter_.reset();
    if (resume_after_sendfile_) resume_reading();  // (nothing once closing)
    resume_after_sendfile_ = false;
}

asyncio::Future<void> SocketTransport::until_writable(bool spent) {
    asyncio::Future<void> done = loop_.create_future<void>();
    if (conn_lost_ || closing_) {
        done.set_exception(closed_by_peer());
        return done;
    }
    if (spent || !writable_) wait_writable();
    if (writable_ && get_write_buffer_size() == 0) {
        done.set_result();
        return done;
    }
    sendfile_waiter_ = done;
    if (wants_write()) schedule_step();
    return done;
}

void SocketTransport::finish_sendfile_wait(std::exception_ptr error) {
    if (!sendfile_waiter_) return;
    asyncio::Future<void> waiter = std::move(*sendfile_waiter_);
    sendfile_waiter_.reset();
    if (waiter.done()) return;
    if (error)
        waiter.set_exception(std::move(error));
    else
        waiter.set_result();
}

void SocketTransport::on_connection_lost() noexcept {
    try {
        finish_sendfile_wait(closed_by_peer());
    } catch (...) {  // (no memory for the exception: the waiter stays pending, as the loop goes)
    }
}

// --- completions ---

void SocketTransport::received(int result, std::uint16_t buffer, bool more) {
    if (!more) receive_armed_ = false;
    if (result != -ECANCELED) received_.push_back(Received{result, buffer});
    if (!received_.empty() || wants_read()) schedule_step();
}

void SocketTransport::receive_step() {
    io::Poller& poller = loop_.poller();
    // What was held while paused comes first; what came since waits behind it.
    if (watching_reads_ && !held_.empty()) deliver_held();
    if (watching_reads_ && held_.empty() && held_end_ != no_end) {
        const int end = held_end_;
        held_end_ = no_end;
        end_of_stream(end);
    }
    bool full_last = false;  // the last read filled its buffer: more may wait
    // By index, each entry marked taken before the protocol runs: nothing the protocol does
    // may release a buffer twice (release_io releases what is not taken).
    for (std::size_t i = 0; i < received_.size(); ++i) {
        const Received r = std::exchange(received_[i], Received{-ECANCELED, 0});
        const bool in_order = watching_reads_ && held_.empty();  // else: keep it behind
        full_last = false;
        if (r.result > 0) {
            const std::string_view data(poller.receive_buffer(r.buffer), static_cast<std::size_t>(r.result));
            if (in_order)
                deliver(data);
            else if (!closing_)
                held_.append(data);  // paused: kept for resume_reading; closing: nobody wants it
            poller.release_receive_buffer(r.buffer);
            full_last = static_cast<std::size_t>(r.result) == io::Poller::receive_buffer_size;
        } else if (r.result == -ENOBUFS) {
            full_last = true;  // data waits in the socket, the pool was dry
        } else if (in_order) {
            end_of_stream(r.result);
        } else if (!closing_) {
            held_end_ = r.result;
        }
    }
    received_.clear();
    // The receive is over and data may wait: read it here (only now, with no receive in the
    // kernel and nothing reported behind it, can a plain read keep the stream's order).
    if (full_last && !receive_armed_ && watching_reads_ && held_.empty()) read_once();
    // No receive while paused, nor while held data is still to deliver: what is held only
    // shrinks, whatever the peer sends meanwhile (it waits in the socket, under TCP's window).
    if (!watching_reads_ || !held_.empty()) {
        if (receive_armed_) poller.cancel_receive(sock_.fileno());  // (a second cancel is ignored)
    } else if (!receive_armed_ && !receive_ended_ && held_end_ == no_end) {
        try {
            poller.start_receive(sock_.fileno(), this);
            receive_armed_ = true;
        } catch (...) {
            fatal_error(std::current_exception(), "Fatal read error on socket transport");
        }
    }
    if (watching_reads_ && !held_.empty()) schedule_step();  // the next piece, next iteration
}

// One read's worth (Python's max_size) of what was held: a protocol that pauses again is
// handed no more than a read would have given it.
void SocketTransport::deliver_held() {
    const std::size_t n = std::min(max_read, held_.size() - held_from_);
    const std::size_t from = held_from_;
    held_from_ += n;
    deliver(std::string_view(held_).substr(from, n));
    if (held_from_ == held_.size()) {
        held_ = std::string();  // its memory too (up to the pool's worth): holding is rare
        held_from_ = 0;
    }
}

void SocketTransport::deliver(std::string_view data) {
    try {
        protocol_->data_received(data);
    } catch (...) {
        fatal_error(std::current_exception(), "Fatal error: protocol.data_received() call failed.");
    }
}

void SocketTransport::end_of_stream(int result) {
    receive_ended_ = true;  // (completions: no receive after it)
    if (result == 0)
        on_eof();
    else
        fatal_error(os_error(-result), "Fatal read error on socket transport");
}

void SocketTransport::release_io() noexcept {
    if (!completions_) return;
    if (!receive_armed_ && !write_watch_ && received_.empty()) return;  // (the loop may be gone)
    io::Poller& poller = loop_.poller();
    if (receive_armed_) poller.stop_receive(sock_.fileno());
    receive_armed_ = false;
    if (write_watch_) poller.remove(sock_.fileno());
    write_watch_ = false;
    for (const Received& r : received_)
        if (r.result > 0) poller.release_receive_buffer(r.buffer);
    received_.clear();
}

}  // namespace concurrence::net::detail
