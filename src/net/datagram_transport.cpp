#include "net/datagram_transport.hpp"

#include <sys/socket.h>

#include <cerrno>

#include "concurrence/base/errors.hpp"
#include "base/write_stderr.hpp"
#include "net/read_buffer.hpp"
#include "net/retry_eintr.hpp"

namespace concurrence::net::detail {

namespace {

constexpr const char* dg_read_ready_message = "Exception in callback _SelectorDatagramTransport._read_ready()";
constexpr const char* dg_sendto_ready_message = "Exception in callback _SelectorDatagramTransport._sendto_ready()";

// Python compares the tuples: the address the endpoint was made with, as resolved. A host not
// resolved yet here (family 0) matches the same host and port.
bool dg_same_destination(const Address& given, const Address& remote) {
    if (given.family != 0 && given.family != remote.family) return false;
    if (remote.family == AF_UNIX) return given.host == remote.host && given.port == 0;
    return given.host == remote.host && given.port == remote.port && given.flowinfo == remote.flowinfo &&
           given.scope_id == remote.scope_id;
}

}  // namespace

std::string address_str(const Address& address) {
    if (address.family == AF_UNIX) {
        if (!address.host.empty() && address.host[0] == '\0') return address.repr();  // bytes
        return address.host;  // Python's str of a str: no quotes
    }
    if (address.host.empty()) {  // Python's None
        std::string text = "(None, " + std::to_string(address.port);
        if (address.family == AF_INET6)
            text += ", " + std::to_string(address.flowinfo) + ", " + std::to_string(address.scope_id);
        return text + ")";
    }
    return address.repr();
}

DatagramSocketTransport::DatagramSocketTransport(asyncio::EventLoop& loop, Socket sock,
                                                 std::shared_ptr<asyncio::DatagramProtocol> protocol,
                                                 std::optional<Address> address)
    : loop_(loop), sock_(std::move(sock)), protocol_(std::move(protocol)), address_(std::move(address)) {
    if (!protocol_) throw ValueError("the protocol factory returned no protocol");
    if (address_) address_raw_ = to_raw(*address_, sock_.family(), sock_.type());
}

DatagramSocketTransport::~DatagramSocketTransport() { unregister(); }

void DatagramSocketTransport::start(std::function<void()> made) {
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
    try {
        sockname_ = sock_.getsockname();
    } catch (const OSError&) {  // Python stores None
    }
    try {
        peername_ = sock_.getpeername();
    } catch (const OSError&) {  // not connected: None
    }
    // Python's three call_soon of the transport's __init__, in one callback: connection_made,
    // then reading starts (unless paused or closed meanwhile), then the creator's waiter.
    loop_.call_soon([self = self_, made = std::move(made)] {
        try {
            self->protocol_->connection_made(*self);
        } catch (...) {
            self->loop_.call_exception_handler(
                {"Exception in callback DatagramProtocol.connection_made()", std::current_exception()});
        }
        if (self->is_reading()) {
            self->watching_reads_ = true;
            if (self->wants_read()) self->schedule_step();
        }
        if (made) made();
    });
}

void DatagramSocketTransport::unregister() noexcept {
    if (!registered_) return;
    registered_ = false;
    loop_.poller().remove(sock_.fileno());
    loop_.release_fd(sock_.fileno());
}

void DatagramSocketTransport::loop_closing() noexcept {
    registered_ = false;  // the loop forgot the descriptor already
    sock_.close();
    // Dead from now on: sends are dropped, close/abort do nothing, no callback is called.
    closing_ = true;
    watching_reads_ = false;
    lost_called_ = true;
    conn_lost_ = conn_lost_ ? conn_lost_ : 1;
    buffer_.clear();
    buffer_size_ = 0;
    // Let go of the protocol too (Python's _protocol = None): what it holds may hold this.
    auto protocol = std::move(protocol_);
    auto keep = std::move(self_);  // may be the last reference: destroyed on return
}

void DatagramSocketTransport::io_event(std::uint32_t events) {
    if (events & (io::readable | io::hangup | io::error)) readable_ = true;
    if (events & (io::writable | io::hangup | io::error)) writable_ = true;
    if (wants_read() || wants_write()) schedule_step();
}

void DatagramSocketTransport::schedule_step() {
    if (step_scheduled_) return;
    step_scheduled_ = true;
    step_hold_ = shared_self();
    loop_.schedule(static_cast<asyncio::detail::Runnable*>(this));
}

void DatagramSocketTransport::run() {
    auto hold = std::move(step_hold_);
    step_scheduled_ = false;
    // Python's _read_ready and _sendto_ready are loop callbacks: what they let through (a
    // protocol's exception) is the loop's Handle's to report.
    if (wants_read()) {
        try {
            read_ready();
        } catch (...) {
            loop_.call_exception_handler({dg_read_ready_message, std::current_exception()});
        }
    }
    if (wants_write()) {
        try {
            sendto_ready();
        } catch (...) {
            loop_.call_exception_handler({dg_sendto_ready_message, std::current_exception()});
        }
    }
}

void DatagramSocketTransport::read_ready() {
    char* buffer = read_buffer();
    RawAddress from;
    from.length = sizeof from.storage;
    const ssize_t n =
        retry_eintr([&] { return ::recvfrom(sock_.fileno(), buffer, max_read, 0, from.get(), &from.length); });
    if (n < 0) {
        const int err = errno;
        if (err == EAGAIN || err == EWOULDBLOCK) {
            readable_ = false;
            return;
        }
        schedule_step();  // a datagram may wait behind the error
        protocol_->error_received(os_error(err));
        return;
    }
    // One datagram per iteration: the next one (if any) at the next iteration, until EAGAIN.
    schedule_step();
    // A sender without a name (an unbound AF_UNIX socket) has no address: Address{}.
    const Address addr = from.length > 0 ? from_raw(from.get(), from.length) : Address{};
    protocol_->datagram_received(std::string_view(buffer, static_cast<std::size_t>(n)), addr);
}

long DatagramSocketTransport::send_one(std::string_view data, const RawAddress& to) const {
    return retry_eintr([&]() -> long {
        if (to.length == 0) return ::send(sock_.fileno(), data.data(), data.size(), MSG_NOSIGNAL);
        return ::sendto(sock_.fileno(), data.data(), data.size(), MSG_NOSIGNAL, to.get(), to.length);
    });
}

void DatagramSocketTransport::sendto(std::string_view data, std::optional<Address> addr) {
    if (address_ && addr && !dg_same_destination(*addr, *address_))
        throw ValueError("Invalid address: must be None or " + address_str(*address_));
    if (conn_lost_) {
        if (conn_lost_ >= 5) concurrence::detail::write_stderr("asyncio: socket.send() raised exception.\n");
        ++conn_lost_;
        return;
    }
    // The destination: none for a connected socket (send), else the endpoint's remote address
    // (allow_broadcast: not connected) or the one given.
    RawAddress to;
    if (!peername_) {
        if (address_) {
            to = address_raw_;
        } else if (addr) {
            try {
                to = to_raw(*addr, sock_.family(), sock_.type());
            } catch (const OSError&) {  // e.g. a name that does not resolve: as a failed send
                protocol_->error_received(std::current_exception());
                return;
            } catch (...) {  // e.g. OverflowError for a port past 65535
                fatal_error(std::current_exception(), "Fatal write error on datagram transport");
                return;
            }
        }
    }
    if (buffer_.empty()) {
        if (send_one(data, to) >= 0) return;
        const int err = errno;
        if (err != EAGAIN && err != EWOULDBLOCK) {
            protocol_->error_received(os_error(err));
            return;
        }
        writable_ = false;  // the kernel says when the socket takes datagrams again
    }
    buffer_.push_back(Pending{std::string(data), to});
    buffer_size_ += data.size() + header_size;
    limits_.maybe_pause(buffer_size_, *protocol_, loop_);
}

void DatagramSocketTransport::sendto_ready() {
    while (!buffer_.empty()) {
        Pending& front = buffer_.front();
        const long n = send_one(front.data, front.to);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            writable_ = false;
            break;
        }
        const int err = n < 0 ? errno : 0;
        // Sent, or failed: either way it leaves the buffer (Python pops it first).
        buffer_size_ -= front.data.size() + header_size;
        buffer_.pop_front();
        if (!err) continue;
        std::exception_ptr exc = os_error(err);
        if (!buffer_.empty()) {
            // Python returns; its writer, still registered, sends the rest at the next iteration.
            schedule_step();
            protocol_->error_received(exc);
            return;
        }
        try {
            protocol_->error_received(exc);
        } catch (...) {
            loop_.call_exception_handler({dg_sendto_ready_message, std::current_exception()});
        }
        if (conn_lost_) return;  // aborted meanwhile
        break;
    }
    limits_.maybe_resume(buffer_size_, *protocol_, loop_);  // may send more
    if (buffer_.empty() && closing_ && !conn_lost_) {
        ++conn_lost_;
        call_connection_lost(nullptr);
    }
}

void DatagramSocketTransport::close() {
    if (closing_) return;
    closing_ = true;
    watching_reads_ = false;
    if (buffer_.empty()) {
        ++conn_lost_;
        schedule_connection_lost(nullptr);
    }
}

void DatagramSocketTransport::pause_reading() {
    if (!is_reading()) return;
    paused_ = true;
    watching_reads_ = false;
}

void DatagramSocketTransport::resume_reading() {
    if (closing_ || !paused_) return;
    paused_ = false;
    watching_reads_ = true;
    if (wants_read()) schedule_step();
}

void DatagramSocketTransport::set_write_buffer_limits(std::optional<std::size_t> high,
                                                      std::optional<std::size_t> low) {
    limits_.set(high, low);
    if (protocol_) limits_.maybe_pause(buffer_size_, *protocol_, loop_);
}

std::any DatagramSocketTransport::get_extra_info(std::string_view name) const {
    if (name == "peername" && peername_) return *peername_;
    if (name == "sockname" && sockname_) return *sockname_;
    if (name == "socket" && sock_.is_open()) return sock_.fileno();
    return {};
}

void DatagramSocketTransport::fatal_error(std::exception_ptr exc, const char* message) {
    // Python logs only what is not an OSError.
    if (!exception_is<OSError>(exc)) loop_.call_exception_handler({message, exc});
    force_close(std::move(exc));
}

void DatagramSocketTransport::force_close(std::exception_ptr exc) {
    if (conn_lost_) return;
    buffer_.clear();
    buffer_size_ = 0;
    closing_ = true;
    watching_reads_ = false;
    ++conn_lost_;
    schedule_connection_lost(std::move(exc));
}

void DatagramSocketTransport::schedule_connection_lost(std::exception_ptr exc) {
    if (loop_.is_closed()) {
        call_connection_lost(std::move(exc));
        return;
    }
    loop_.call_soon([self = shared_self(), exc = std::move(exc)] { self->call_connection_lost(exc); });
}

void DatagramSocketTransport::call_connection_lost(std::exception_ptr exc) {
    if (lost_called_) return;
    lost_called_ = true;
    // Whatever connection_lost does (or throws), the socket is closed and the loop lets go.
    struct Cleanup {
        DatagramSocketTransport& t;
        ~Cleanup() {
            t.unregister();
            t.sock_.close();
            t.closing_ = true;  // dead from now on: later sends are counted and dropped
            if (!t.conn_lost_) t.conn_lost_ = 1;
            // Python's _protocol = None: a protocol that kept a shared_ptr to its transport
            // would otherwise make a cycle, never freed.
            auto protocol = std::move(t.protocol_);
            auto keep = std::move(t.self_);  // the caller holds another reference
        }
    } cleanup{*this};
    protocol_->connection_lost(std::move(exc));
}

}  // namespace concurrence::net::detail
