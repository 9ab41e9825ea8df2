#include "net/datagram_transport.hpp"

#include <sys/socket.h>

#include <cerrno>

#include "concurrence/base/errors.hpp"
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
    : Base(loop, std::move(sock), std::move(protocol)), address_(std::move(address)) {
    if (address_) address_raw_ = to_raw(*address_, sock_.family(), sock_.type());
}

void DatagramSocketTransport::step() {
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
    if (drop_if_lost()) return;
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

}  // namespace concurrence::net::detail
