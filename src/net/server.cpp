#include "concurrence/net/server.hpp"

#include <sys/socket.h>

#include <cerrno>

#include "concurrence/base/errors.hpp"
#include "concurrence/task/sleep.hpp"
#include "concurrence/task/task.hpp"
#include "net/server_core.hpp"

namespace concurrence::net::detail {

void ServerCore::start_serving() {
    if (serving_ || closed_) return;
    serving_ = true;
    for (std::size_t i = 0; i < sockets_.size(); ++i) {
        sockets_[i].listen(backlog_);
        watch(i);
    }
}

void ServerCore::watch(std::size_t index) {
    loop_.add_reader(sockets_[index].fileno(), [self = shared_from_this(), index] { self->accept_ready(index); });
}

void ServerCore::accept_ready(std::size_t index) {
    if (closed_) return;
    const Socket& listening = sockets_[index];
    for (int i = 0; i < backlog_; ++i) {
        const int fd = ::accept4(listening.fileno(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd >= 0) {
            accepted(fd, listening);
            // The factory (called in accepted) may have closed the server: `listening` is
            // gone with sockets_, stop here (the connections left are reset by the close).
            if (closed_) return;
            continue;
        }
        const int err = errno;
        if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR || err == ECONNABORTED) return;
        if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
            // Out of descriptors: stop listening for a while instead of spinning on a socket
            // that stays readable, then try again (Python's behaviour).
            loop_.call_exception_handler({"socket.accept() out of system resource", os_error(err)});
            loop_.remove_reader(listening.fileno());
            retries_.push_back(loop_.call_later(accept_retry_delay, [self = shared_from_this(), index] {
                // Forget the handles that fired (this one among them): each holds the core, and
                // one kept after its run made a cycle that leaked a server never closed (and its
                // listening socket) when the loop closed.
                const double now = self->loop_.time();
                std::erase_if(self->retries_, [now](const asyncio::TimerHandle& h) { return h.when() <= now; });
                if (!self->closed_) self->watch(index);
            }));
            return;
        }
        throw_os_error(err);  // the loop reports it (Python: "Exception in callback")
    }
}

void ServerCore::accepted(int fd, const Socket& listening) {
    Socket conn = Socket::adopt(fd, listening.family(), listening.type(), false, listening.proto());
    std::shared_ptr<asyncio::Protocol> protocol;
    try {
        protocol = factory_();
        // With TLS, the socket transport's protocol is the TLS layer, which connects the app
        // protocol once the handshake is done (Python's _make_ssl_transport).
        if (tls_) protocol = SSLTransport::make(loop_, std::move(protocol), *tls_, std::nullopt)->raw_protocol();
        auto transport = std::make_shared<SocketTransport>(loop_, std::move(conn), std::move(protocol));
        transport->start({}, [weak = weak_from_this()](SocketTransport& t) {
            if (auto self = weak.lock()) self->detach(t);
        });
        ++active_;
        clients_.emplace(transport.get(), transport);
    } catch (...) {
        loop_.call_exception_handler({"Error on transport creation for incoming connection", std::current_exception()});
    }
}

void ServerCore::detach(SocketTransport& transport) {
    if (clients_.erase(&transport) == 0) return;
    --active_;
    if (active_ == 0 && closed_) wakeup();
}

void ServerCore::wakeup() {
    if (woken_) return;
    woken_ = true;
    auto waiters = std::move(waiters_);
    for (auto& w : waiters)
        if (!w.done()) w.set_result();
}

std::optional<asyncio::Future<void>> ServerCore::new_waiter() {
    if (woken_) return std::nullopt;
    waiters_.push_back(loop_.create_future<void>());
    return waiters_.back();
}

void ServerCore::close() {
    if (closed_) return;
    closed_ = true;
    for (Socket& s : sockets_) {
        if (serving_) loop_.remove_reader(s.fileno());
        s.close();
    }
    sockets_.clear();
    for (auto& retry : retries_) retry.cancel();
    retries_.clear();
    serving_ = false;
    if (serving_forever_ && !serving_forever_->done()) serving_forever_->cancel();
    serving_forever_.reset();
    if (active_ == 0) wakeup();
}

void ServerCore::close_clients(bool abort) {
    std::vector<std::shared_ptr<SocketTransport>> open;
    for (auto& [raw, weak] : clients_)
        if (auto t = weak.lock()) open.push_back(std::move(t));
    for (auto& t : open) abort ? t->abort() : t->close();
}

}  // namespace concurrence::net::detail

namespace concurrence::asyncio {

EventLoop& Server::get_loop() const { return core_->loop(); }
const std::vector<net::Socket>& Server::sockets() const { return core_->sockets(); }
bool Server::is_serving() const { return core_->is_serving(); }
void Server::close() { core_->close(); }
void Server::close_clients() { core_->close_clients(false); }
void Server::abort_clients() { core_->close_clients(true); }

std::string Server::repr() const {
    std::string text = "<Server sockets=(";
    for (const net::Socket& s : core_->sockets()) text += s.getsockname().repr() + ", ";
    if (!core_->sockets().empty()) text.resize(text.size() - 2);
    return text + ")>";
}

Coro<void> Server::start_serving() {
    core_->start_serving();
    co_await sleep(0);  // Python: one iteration, so that listening starts before this returns
}

Coro<void> Server::wait_closed() {
    if (auto waiter = core_->new_waiter()) co_await *waiter;
}

Coro<void> Server::serve_forever() {
    auto core = core_;
    if (core->serving_forever()) throw RuntimeError("server " + repr() + " is already being awaited on serve_forever()");
    if (core->closed()) throw RuntimeError("server " + repr() + " is closed");
    core->start_serving();
    Future<void> forever = core->loop().create_future<void>();
    core->serving_forever() = forever;
    std::exception_ptr cancelled;
    try {
        co_await forever;
    } catch (const CancelledError&) {
        cancelled = std::current_exception();
    }
    core->serving_forever().reset();
    if (cancelled) {
        // Python: close, wait for the connections to go, and re-raise the cancellation.
        std::exception_ptr error = cancelled;
        core->close();
        co_await Server(core).wait_closed();
        std::rethrow_exception(error);
    }
}

Coro<bool> Server::aexit(std::exception_ptr) {
    close();
    co_await wait_closed();
    co_return false;
}

}  // namespace concurrence::asyncio
