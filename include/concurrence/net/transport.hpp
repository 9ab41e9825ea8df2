// Python's asyncio.Transport (a byte stream) and asyncio.DatagramTransport, as interfaces;
// the loop's transports implement them.
//
// get_extra_info(name) answers Python's names: "peername" and "sockname" (net::Address),
// "socket" (int: the descriptor, owned by the transport). The typed form returns nullopt for
// an unknown name or a type that does not match:
//   auto peer = transport.get_extra_info<net::Address>("peername");
#pragma once

#include <any>
#include <memory>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "concurrence/base/errors.hpp"
#include "concurrence/net/address.hpp"

namespace concurrence::asyncio {

class BaseProtocol;
class Protocol;
class DatagramProtocol;

// Shared: the loop holds an open transport, and so may the program (create_connection's
// result, a StreamWriter).
class BaseTransport : public std::enable_shared_from_this<BaseTransport> {
public:
    virtual ~BaseTransport() = default;
    // Closes; buffered data is still sent, then the protocol's connection_lost(null) is called
    // (at the next loop iteration at the earliest). Calling it again does nothing.
    virtual void close() = 0;
    virtual bool is_closing() const = 0;
    virtual std::any get_extra_info(std::string_view name) const = 0;
    template <class T>
    std::optional<T> get_extra_info(std::string_view name) const {
        std::any value = get_extra_info(name);
        if (const T* v = std::any_cast<T>(&value)) return *v;
        return std::nullopt;
    }
    virtual BaseProtocol& get_protocol() const = 0;
};

class Transport : public BaseTransport {
public:
    // Python's set_protocol: the transport calls `protocol` from now on (loop.start_tls and
    // loop.sendfile's fallback swap protocols this way). The loop's stream transports do;
    // another transport: NotImplementedError, as Python's base class.
    virtual void set_protocol(std::shared_ptr<Protocol> /*protocol*/) { throw NotImplementedError(""); }
    // Buffers what the socket does not take at once; never blocks. After write_eof():
    // RuntimeError "Cannot call write() after write_eof()". After a close, data is dropped.
    virtual void write(std::string_view data) = 0;
    template <class Range>
    void writelines(const Range& chunks) {
        for (const auto& chunk : chunks) write(std::string_view(chunk));
    }
    // Shuts the sending side down once the buffer is flushed; reading goes on.
    virtual void write_eof() = 0;
    virtual bool can_write_eof() const = 0;
    // Closes at once: the buffer is dropped, connection_lost(null) follows.
    virtual void abort() = 0;

    virtual void pause_reading() = 0;
    virtual void resume_reading() = 0;
    virtual bool is_reading() const = 0;

    // Python's defaults: high 64 KiB, low high/4. ValueError unless high >= low >= 0.
    virtual void set_write_buffer_limits(std::optional<std::size_t> high = std::nullopt,
                                         std::optional<std::size_t> low = std::nullopt) = 0;
    virtual std::pair<std::size_t, std::size_t> get_write_buffer_limits() const = 0;  // (low, high)
    virtual std::size_t get_write_buffer_size() const = 0;
};

// A datagram endpoint (loop.create_datagram_endpoint). Besides Python's DatagramTransport
// methods, the ones CPython's selector transport has too: flow control and pause_reading.
class DatagramTransport : public BaseTransport {
public:
    // Python's set_protocol, as Transport's.
    virtual void set_protocol(std::shared_ptr<DatagramProtocol> /*protocol*/) { throw NotImplementedError(""); }
    // Sends one datagram (empty ones too, as Python 3.13), at once if nothing is buffered;
    // what the socket does not take now is buffered and sent in order when it can.
    // addr: the destination, or nullopt for a connected endpoint's peer. On an endpoint made
    // with remote_addr, any other address is ValueError "Invalid address: must be None or
    // ('127.0.0.1', 9999)". A failed send goes to the protocol's error_received (the
    // transport stays open). After close() (once the buffer is empty) or abort(), datagrams
    // are dropped (a warning after 5, as Python).
    virtual void sendto(std::string_view data, std::optional<net::Address> addr = std::nullopt) = 0;
    // Closes at once: the buffer is dropped, connection_lost(null) follows.
    virtual void abort() = 0;
    // Bytes buffered, plus 8 per datagram for its header (Python 3.13's count).
    virtual std::size_t get_write_buffer_size() const = 0;
    // Python's defaults: high 64 KiB, low high/4. ValueError unless high >= low >= 0.
    virtual void set_write_buffer_limits(std::optional<std::size_t> high = std::nullopt,
                                         std::optional<std::size_t> low = std::nullopt) = 0;
    virtual std::pair<std::size_t, std::size_t> get_write_buffer_limits() const = 0;  // (low, high)
    virtual void pause_reading() = 0;
    virtual void resume_reading() = 0;
    virtual bool is_reading() const = 0;
};

}  // namespace concurrence::asyncio
