// Python's asyncio.Server: what loop.create_server and asyncio::start_server return.
//
//   auto server = co_await asyncio::start_server(handle_echo, "127.0.0.1", 8888);
//   co_await asyncio::async_with(server, [&]() -> asyncio::Coro<> { co_await server.serve_forever(); });
//
// A Server is a handle (copies share the server). The loop keeps a serving server alive;
// close() stops accepting, and wait_closed() returns once the server is closed and every
// connection it accepted is gone (Python 3.12.1's rule). Loop thread only.
#pragma once

#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "concurrence/loop/event_loop.hpp"
#include "concurrence/net/socket.hpp"
#include "concurrence/task/coro.hpp"
#include "concurrence/task/ready.hpp"

namespace concurrence::net::detail {
class ServerCore;
}

namespace concurrence::asyncio {

class Server {
public:
    explicit Server(std::shared_ptr<net::detail::ServerCore> core) : core_(std::move(core)) {}

    EventLoop& get_loop() const;
    // The listening sockets; empty once closed.
    const std::vector<net::Socket>& sockets() const;
    bool is_serving() const;
    // Stops listening and closes the sockets; accepted connections stay open.
    void close();
    // Python 3.13: close (abort) every connection the server accepted that is still open.
    void close_clients();
    void abort_clients();
    // Starts accepting (if start_serving was false), then yields once.
    Coro<void> start_serving();
    // Accepts until cancelled; cancelled, it closes the server and waits for wait_closed().
    // RuntimeError if the server is closed or another serve_forever() is running.
    Coro<void> serve_forever();
    Coro<void> wait_closed();
    std::string repr() const;

    // async with server: on exit, close() and wait_closed().
    detail::Ready<void> aenter() { return {}; }
    Coro<bool> aexit(std::exception_ptr error);

private:
    std::shared_ptr<net::detail::ServerCore> core_;
};

}  // namespace concurrence::asyncio
