// The state behind an asyncio::Server (Python's Server object and the selector loop's
// _start_serving/_accept_connection).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "concurrence/loop/event_loop.hpp"
#include "concurrence/loop/handle.hpp"
#include "concurrence/net/endpoints.hpp"
#include "concurrence/net/socket.hpp"
#include "concurrence/task/future.hpp"
#include "net/socket_transport.hpp"
#include "net/ssl_transport.hpp"

namespace concurrence::net::detail {

// Python's ACCEPT_RETRY_DELAY: after accept() ran out of descriptors (or memory), listening
// stops this long, so that the loop does not spin on a socket it cannot serve.
inline constexpr double accept_retry_delay = 1.0;

class ServerCore : public std::enable_shared_from_this<ServerCore> {
public:
    // tls: each accepted connection runs TLS with these (server side) settings.
    ServerCore(asyncio::EventLoop& loop, ProtocolFactory factory, std::vector<Socket> sockets, int backlog,
               std::optional<TLSSettings> tls = std::nullopt)
        : loop_(loop), factory_(std::move(factory)), sockets_(std::move(sockets)), backlog_(backlog),
          tls_(std::move(tls)) {}

    asyncio::EventLoop& loop() const { return loop_; }
    const std::vector<Socket>& sockets() const { return sockets_; }
    bool is_serving() const { return serving_; }
    bool closed() const { return closed_; }

    void start_serving();
    void close();
    void close_clients(bool abort);
    // Python's _waiters: the futures wait_closed() awaits; none (woken_) once the server is
    // closed and its last connection gone.
    std::optional<asyncio::Future<void>> new_waiter();
    std::optional<asyncio::Future<void>>& serving_forever() { return serving_forever_; }

private:
    void watch(std::size_t index);
    void accept_ready(std::size_t index);
    void accepted(int fd, const Socket& listening);
    void detach(SocketTransport& transport);
    void wakeup();

    asyncio::EventLoop& loop_;
    ProtocolFactory factory_;
    std::vector<Socket> sockets_;  // empty once closed
    int backlog_;
    std::optional<TLSSettings> tls_;
    bool serving_ = false;
    bool closed_ = false;
    bool woken_ = false;
    std::size_t active_ = 0;
    std::unordered_map<SocketTransport*, std::weak_ptr<SocketTransport>> clients_;
    std::vector<asyncio::Future<void>> waiters_;
    std::optional<asyncio::Future<void>> serving_forever_;
    std::vector<asyncio::TimerHandle> retries_;  // accept paused after EMFILE & co.
};

}  // namespace concurrence::net::detail
