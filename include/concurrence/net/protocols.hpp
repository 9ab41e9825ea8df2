// Python's asyncio.Protocol and asyncio.DatagramProtocol: the callbacks a transport calls.
//
//   class EchoProtocol : public asyncio::Protocol {
//       asyncio::Transport* transport_ = nullptr;
//       void connection_made(asyncio::Transport& t) override { transport_ = &t; }
//       void data_received(std::string_view data) override { transport_->write(data); }
//   };
//   auto server = co_await loop.create_server([] { return std::make_shared<EchoProtocol>(); },
//                                             "127.0.0.1", 8888);
//
// Every callback runs on the loop's thread. The transport passed to connection_made stays
// valid until connection_lost returns. data_received's view is valid during the call only (the
// transport reuses its buffer): copy what must outlive it. An exception thrown by
// data_received or eof_received is a fatal error of the connection, as in Python: it goes to
// the loop's exception handler and the transport is closed.
//
// A DatagramProtocol (loop.create_datagram_endpoint) gets each datagram whole, with its
// sender's address (net::Address{} for a sender without a name, e.g. an unbound AF_UNIX
// socket); the view is valid during the call only. A failed send or receive is
// error_received's, and the endpoint stays open. An exception thrown by datagram_received or
// error_received goes to the loop's exception handler, and the endpoint stays open (Python's
// datagram transport does not catch it: the loop's callback handle reports it).
#pragma once

#include <exception>
#include <string_view>

#include "concurrence/net/address.hpp"

namespace concurrence::asyncio {

class Transport;
class DatagramTransport;

class BaseProtocol {
public:
    virtual ~BaseProtocol() = default;
    // Flow control: the transport's write buffer went over its high-water mark / back under
    // its low-water mark.
    virtual void pause_writing() {}
    virtual void resume_writing() {}
    // exc: null at a normal close or EOF, else what ended the connection.
    virtual void connection_lost(std::exception_ptr /*exc*/) {}
};

class Protocol : public BaseProtocol {
public:
    virtual void connection_made(Transport& /*transport*/) {}
    virtual void data_received(std::string_view /*data*/) {}
    // The peer will send no more. Return true to keep the transport open (half-closed: this
    // side may still write); false (the default) closes it.
    virtual bool eof_received() { return false; }
};

class DatagramProtocol : public BaseProtocol {
public:
    virtual void connection_made(DatagramTransport& /*transport*/) {}
    virtual void datagram_received(std::string_view /*data*/, const net::Address& /*addr*/) {}
    // A send or receive failed (e.g. ConnectionRefusedError for an ICMP port unreachable).
    virtual void error_received(std::exception_ptr /*exc*/) {}
};

}  // namespace concurrence::asyncio
