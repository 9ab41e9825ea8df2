// The transport of a datagram socket, UDP or AF_UNIX (Python's _SelectorDatagramTransport), on
// the base it shares with the stream transport (net/selector_transport.hpp: registration,
// lifetime, closing, flow control).
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
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "concurrence/loop/event_loop.hpp"
#include "concurrence/net/address.hpp"
#include "concurrence/net/protocols.hpp"
#include "concurrence/net/socket.hpp"
#include "concurrence/net/transport.hpp"
#include "net/selector_transport.hpp"
#include "net/sockaddr.hpp"

namespace concurrence::net::detail {

// Python's str() of an address: ('127.0.0.1', 9999), (None, 0), /tmp/app.sock (no quotes).
std::string address_str(const Address& address);

class DatagramSocketTransport final
    : public SelectorTransport<DatagramSocketTransport, asyncio::DatagramTransport, asyncio::DatagramProtocol> {
public:
    // Python counts 8 bytes of header per buffered datagram (3.13).
    static constexpr std::size_t header_size = 8;

    // sock: non-blocking. address: Python's r_addr, the remote address create_datagram_endpoint
    // was given (resolved), or nullopt. Nothing happens until start().
    DatagramSocketTransport(asyncio::EventLoop& loop, Socket sock, std::shared_ptr<asyncio::DatagramProtocol> protocol,
                            std::optional<Address> address);

    // asyncio::DatagramTransport (the rest is the base's)
    void sendto(std::string_view data, std::optional<Address> addr = std::nullopt) override;
    std::size_t get_write_buffer_size() const override { return buffer_size_; }

private:
    using Base = SelectorTransport<DatagramSocketTransport, asyncio::DatagramTransport, asyncio::DatagramProtocol>;
    friend Base;
    static constexpr const char* connection_made_error = "Exception in callback DatagramProtocol.connection_made()";

    struct Pending {
        std::string data;
        RawAddress to;  // length 0: send() on the connected socket
    };

    bool watches_readiness() const { return true; }
    void release_io() noexcept {}
    bool wants_read() const { return watching_reads_ && readable_ && !conn_lost_; }
    bool wants_write() const { return writable_ && !buffer_.empty() && !conn_lost_; }
    void step();
    void clear_write_buffer() {
        buffer_.clear();
        buffer_size_ = 0;
    }
    void read_ready();
    void sendto_ready();
    // One send of `data` to `to` (or to the connected peer): the byte count, or -1 and errno.
    long send_one(std::string_view data, const RawAddress& to) const;

    std::optional<Address> address_;  // Python's _address (r_addr)
    RawAddress address_raw_;          // address_ as a sockaddr (length 0 if none)
    std::deque<Pending> buffer_;      // datagrams waiting for the socket, in order
    std::size_t buffer_size_ = 0;
};

}  // namespace concurrence::net::detail
