// Helpers of the datagram tests (test_datagram.cpp, test_datagram_transport.cpp): a protocol
// that records its callbacks, an echo protocol, and endpoints made in one call.
#pragma once

#include <sys/socket.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tp_support.hpp"

namespace dg_support {

using namespace tp_support;

// Records every callback, in order: "made", "dgram", "error", "pause", "resume", "lost" or
// "lost:error".
class DgRecorder : public asyncio::DatagramProtocol {
public:
    std::vector<std::string> events;
    std::vector<std::string> datagrams;
    std::vector<net::Address> senders;
    std::vector<std::exception_ptr> errors;
    asyncio::DatagramTransport* transport = nullptr;  // from connection_made until connection_lost
    std::exception_ptr lost_exc;
    bool lost = false;
    int lost_calls = 0;
    int pauses = 0;
    int resumes = 0;
    bool echo = false;  // send each datagram back to its sender

    void connection_made(asyncio::DatagramTransport& t) override {
        transport = &t;
        events.push_back("made");
    }
    void datagram_received(std::string_view data, const net::Address& addr) override {
        events.push_back("dgram");
        datagrams.emplace_back(data);
        senders.push_back(addr);
        if (echo) transport->sendto(data, addr);
    }
    void error_received(std::exception_ptr exc) override {
        events.push_back("error");
        errors.push_back(exc);
    }
    void pause_writing() override {
        ++pauses;
        events.push_back("pause");
    }
    void resume_writing() override {
        ++resumes;
        events.push_back("resume");
    }
    void connection_lost(std::exception_ptr exc) override {
        lost = true;
        ++lost_calls;
        lost_exc = exc;
        transport = nullptr;
        events.push_back(exc ? "lost:error" : "lost");
    }
};

using DgEndpoint = std::pair<std::shared_ptr<asyncio::DatagramTransport>, std::shared_ptr<DgRecorder>>;

inline std::shared_ptr<DgRecorder> dg_make_recorder() { return std::make_shared<DgRecorder>(); }
inline std::shared_ptr<DgRecorder> dg_make_echo() {
    auto p = std::make_shared<DgRecorder>();
    p->echo = true;
    return p;
}

// create_datagram_endpoint with a recorder (the options named first: g++ 12, see docs/design.md).
inline asyncio::Coro<DgEndpoint> dg_endpoint(net::DatagramOptions options,
                                             std::function<std::shared_ptr<DgRecorder>()> factory = dg_make_recorder) {
    auto& loop = asyncio::get_running_loop();
    auto made = co_await loop.create_datagram_endpoint(std::move(factory), std::move(options));
    co_return DgEndpoint(std::move(made.first), std::move(made.second));
}

// An endpoint bound to 127.0.0.1 on a free port.
inline asyncio::Coro<DgEndpoint> dg_local(std::function<std::shared_ptr<DgRecorder>()> factory = dg_make_recorder) {
    net::DatagramOptions options;
    options.local_addr = net::Address{"127.0.0.1", 0};
    co_return co_await dg_endpoint(std::move(options), std::move(factory));
}

inline net::Address dg_sockname(const std::shared_ptr<asyncio::DatagramTransport>& t) {
    return t->get_extra_info<net::Address>("sockname").value_or(net::Address{});
}

inline int dg_fd(const std::shared_ptr<asyncio::DatagramTransport>& t) { return t->get_extra_info<int>("socket").value_or(-1); }

inline asyncio::Coro<bool> dg_wait_datagrams(std::shared_ptr<DgRecorder> rec, std::size_t n) {
    std::function<bool()> pred = [rec, n] { return rec->datagrams.size() >= n; };
    co_return co_await tp_wait_until(std::move(pred));
}

inline asyncio::Coro<bool> dg_wait_errors(std::shared_ptr<DgRecorder> rec, std::size_t n) {
    std::function<bool()> pred = [rec, n] { return rec->errors.size() >= n; };
    co_return co_await tp_wait_until(std::move(pred));
}

inline asyncio::Coro<bool> dg_wait_lost(std::shared_ptr<DgRecorder> rec) {
    std::function<bool()> pred = [rec] { return rec->lost; };
    co_return co_await tp_wait_until(std::move(pred));
}

// Closes the endpoint and waits for its connection_lost.
inline asyncio::Coro<bool> dg_close(DgEndpoint endpoint) {
    endpoint.first->close();
    co_return co_await dg_wait_lost(endpoint.second);
}

// The exception's what(), and whether it is an E.
template <class E>
bool dg_is(const std::exception_ptr& e) {
    return concurrence::exception_is<E>(e);
}

// A UDP port on 127.0.0.1 that nothing listens on (bound, then closed).
inline int dg_unused_udp_port() {
    net::Socket s(AF_INET, SOCK_DGRAM);
    s.bind({"127.0.0.1", 0});
    return s.getsockname().port;
}

// Python's repr of a socket, for the expected messages.
inline std::string dg_expected_repr(const net::Socket& s, const std::string& laddr) {
    return "<socket.socket fd=" + std::to_string(s.fileno()) + ", family=" + std::to_string(s.family()) +
           ", type=" + std::to_string(s.type()) + ", proto=" + std::to_string(s.proto()) +
           (laddr.empty() ? "" : ", laddr=" + laddr) + ">";
}

}  // namespace dg_support
