#include "net/pipe_transport.hpp"

#include <unistd.h>

#include <cerrno>

#include "concurrence/base/errors.hpp"
#include "net/read_buffer.hpp"
#include "net/retry_eintr.hpp"

namespace concurrence::net::detail {

void PipeTransport::not_this_end(const char* what) const {
    throw NotImplementedError(std::string(what) + "() is not available on the " +
                              (end_ == End::read ? "read" : "write") + " end of a pipe");
}

// Python's _UnixReadPipeTransport._read_ready, with edge readiness: readable until EAGAIN.
void PipeTransport::read_ready() {
    char* buffer = read_buffer();
    const ssize_t n = retry_eintr([&] { return ::read(sock_.fileno(), buffer, max_read); });
    if (n > 0) {
        schedule_step();  // again next iteration: a short read does not say the rest is gone
        try {
            protocol_->data_received(std::string_view(buffer, static_cast<std::size_t>(n)));
        } catch (...) {
            loop_.call_exception_handler({"Exception in callback Protocol.data_received()", std::current_exception()});
        }
        return;
    }
    if (n < 0) {
        const int error = errno;
        if (error == EAGAIN || error == EWOULDBLOCK) {
            readable_ = false;
            return;
        }
        std::exception_ptr exc = os_error(error);
        // Python reports every read error but EIO (a terminal whose other side went away).
        if (error != EIO) loop_.call_exception_handler({"Fatal read error on pipe transport", exc});
        fatal_error(exc, "Fatal read error on pipe transport");  // (an OSError: not reported twice)
        return;
    }
    try {
        protocol_->eof_received();  // a pipe has no half-close: the answer is ignored
    } catch (...) {
        loop_.call_exception_handler({"Exception in callback Protocol.eof_received()", std::current_exception()});
    }
    close();
}

// Python's _UnixWritePipeTransport._read_ready: the reader closed its end.
void PipeTransport::reader_closed() {
    if (buffer_.size() > 0)
        fatal_error(os_error(EPIPE), "Fatal write error on pipe transport");  // BrokenPipeError
    else
        abort();
}

void PipeTransport::write(std::string_view data) {
    if (end_ == End::read) not_this_end("write");
    if (data.empty() || drop_if_lost() || closing_) return;  // Python drops writes after close() too
    if (buffer_.size() == 0) {
        ssize_t n = retry_eintr([&] { return ::write(sock_.fileno(), data.data(), data.size()); });
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                fatal_error(os_error(errno), "Fatal write error on pipe transport");
                return;
            }
            n = 0;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
        if (data.empty()) return;
        writable_ = false;  // full: the kernel reports when the reader makes room
    }
    buffer_.append(data);
    limits_.maybe_pause(buffer_.size(), *protocol_, loop_);
}

void PipeTransport::write_ready() {
    const ssize_t n = retry_eintr([&] { return ::write(sock_.fileno(), buffer_.pending(), buffer_.size()); });
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            writable_ = false;
            return;
        }
        std::exception_ptr exc = os_error(errno);
        clear_write_buffer();
        fatal_error(exc, "Fatal write error on pipe transport");
        return;
    }
    buffer_.consume(static_cast<std::size_t>(n));
    if (buffer_.size() > 0) writable_ = false;
    limits_.maybe_resume(buffer_.size(), *protocol_, loop_);
    if (buffer_.size() == 0 && closing_) call_connection_lost(nullptr);
}

void PipeTransport::write_eof() {
    if (end_ == End::read) not_this_end("write_eof");
    close();  // Python: all a write pipe needs
}

void PipeTransport::pause_reading() {
    if (end_ == End::write) not_this_end("pause_reading");
    Base::pause_reading();
}

void PipeTransport::resume_reading() {
    if (end_ == End::write) not_this_end("resume_reading");
    Base::resume_reading();
}

std::any PipeTransport::get_extra_info(std::string_view name) const {
    if (name == "pipe" && sock_.is_open()) return sock_.fileno();
    return {};
}

}  // namespace concurrence::net::detail
