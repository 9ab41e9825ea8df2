#include "net/selector_transport.hpp"

#include "concurrence/task/future.hpp"
#include "concurrence/task/task.hpp"
#include "net/datagram_transport.hpp"
#include "net/pipe_transport.hpp"
#include "net/socket_transport.hpp"

namespace concurrence::net::detail {

template <class D, class I, class P>
SelectorTransport<D, I, P>::SelectorTransport(asyncio::EventLoop& loop, Socket sock, std::shared_ptr<P> protocol)
    : loop_(loop), sock_(std::move(sock)), protocol_(std::move(protocol)) {
    if (!protocol_) throw ValueError("the protocol factory returned no protocol");
}

template <class D, class I, class P>
SelectorTransport<D, I, P>::~SelectorTransport() {
    // Not unregister(): the derived part is gone (it let go of what it watched itself).
    if (!registered_) return;
    registered_ = false;
    loop_.poller().remove(sock_.fileno());
    loop_.release_fd(sock_.fileno());
}

template <class D, class I, class P>
void SelectorTransport<D, I, P>::start(std::function<void()> made, std::function<void(D&)> on_lost) {
    const int fd = sock_.fileno();
    loop_.claim_fd(fd, this);
    if (derived().watches_readiness()) {
        try {
            loop_.poller().add(fd, 0, io::Trigger::edge, this);
        } catch (...) {
            loop_.release_fd(fd);
            throw;
        }
    }
    registered_ = true;
    self_ = shared_self();
    on_lost_ = std::move(on_lost);
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
            self->loop_.call_exception_handler({D::connection_made_error, std::current_exception()});
        }
        if (!self->closing_ && !self->paused_) {  // (not is_reading(): a write pipe's says no)
            self->watching_reads_ = true;
            if (self->derived().wants_read()) self->schedule_step();
        }
        if (made) made();
    });
}

template <class D, class I, class P>
asyncio::Coro<> SelectorTransport<D, I, P>::start_and_wait() {
    asyncio::Future<void> made = loop_.template create_future<void>();
    start([made]() mutable {
        if (!made.done()) made.set_result();  // Python's _set_result_unless_cancelled
    });
    std::exception_ptr error;
    try {
        co_await made;
    } catch (...) {
        error = std::current_exception();
    }
    if (error) {
        close();
        std::rethrow_exception(error);
    }
}

template <class D, class I, class P>
void SelectorTransport<D, I, P>::unregister() noexcept {
    if (!registered_) return;
    registered_ = false;
    if (derived().watches_readiness())
        loop_.poller().remove(sock_.fileno());
    else
        derived().release_io();
    loop_.release_fd(sock_.fileno());
}

template <class D, class I, class P>
void SelectorTransport<D, I, P>::loop_closing() noexcept {
    registered_ = false;  // the loop forgot the descriptor already
    if (!derived().watches_readiness()) derived().release_io();
    sock_.close();
    // Dead from now on: writes are dropped, close/abort do nothing, no callback is called.
    closing_ = true;
    watching_reads_ = false;
    lost_called_ = true;
    conn_lost_ = conn_lost_ ? conn_lost_ : 1;
    derived().clear_write_buffer();
    // Let go of the protocol too (Python's _protocol = None): what it holds may hold this.
    auto protocol = std::move(protocol_);
    auto keep = std::move(self_);  // may be the last reference: destroyed on return
}

template <class D, class I, class P>
void SelectorTransport<D, I, P>::close() {
    if (closing_) return;
    closing_ = true;
    watching_reads_ = false;
    if (derived().get_write_buffer_size() == 0) {
        ++conn_lost_;
        schedule_connection_lost(nullptr);
    }
}

template <class D, class I, class P>
void SelectorTransport<D, I, P>::pause_reading() {
    if (!is_reading()) return;
    paused_ = true;
    watching_reads_ = false;
}

template <class D, class I, class P>
void SelectorTransport<D, I, P>::resume_reading() {
    if (closing_ || !paused_) return;
    paused_ = false;
    watching_reads_ = true;
    if (derived().wants_read()) schedule_step();
}

template <class D, class I, class P>
void SelectorTransport<D, I, P>::set_write_buffer_limits(std::optional<std::size_t> high,
                                                         std::optional<std::size_t> low) {
    limits_.set(high, low);
    if (protocol_) limits_.maybe_pause(derived().get_write_buffer_size(), *protocol_, loop_);
}

template <class D, class I, class P>
std::any SelectorTransport<D, I, P>::get_extra_info(std::string_view name) const {
    if (name == "peername" && peername_) return *peername_;
    if (name == "sockname" && sockname_) return *sockname_;
    if (name == "socket" && sock_.is_open()) return sock_.fileno();
    return {};
}

template <class D, class I, class P>
void SelectorTransport<D, I, P>::fatal_error(std::exception_ptr exc, const char* message) {
    // Python logs only what is not an OSError (a reset peer is not the program's error).
    if (!exception_is<OSError>(exc)) loop_.call_exception_handler({message, exc});
    force_close(std::move(exc));
}

template <class D, class I, class P>
void SelectorTransport<D, I, P>::force_close(std::exception_ptr exc) {
    if (conn_lost_) return;
    derived().clear_write_buffer();
    closing_ = true;
    watching_reads_ = false;
    ++conn_lost_;
    schedule_connection_lost(std::move(exc));
}

template <class D, class I, class P>
void SelectorTransport<D, I, P>::schedule_connection_lost(std::exception_ptr exc) {
    if (loop_.is_closed()) {
        call_connection_lost(std::move(exc));
        return;
    }
    loop_.call_soon([self = shared_self(), exc = std::move(exc)] { self->call_connection_lost(exc); });
}

template <class D, class I, class P>
void SelectorTransport<D, I, P>::call_connection_lost(std::exception_ptr exc) {
    if (lost_called_) return;
    lost_called_ = true;
    // Whatever connection_lost does (or throws), the socket is closed and the loop lets go.
    struct Cleanup {
        SelectorTransport& t;
        ~Cleanup() {
            if constexpr (requires { t.derived().on_connection_lost(); }) t.derived().on_connection_lost();
            t.unregister();
            t.sock_.close();
            t.closing_ = true;  // dead from now on: later writes are counted and dropped
            if (!t.conn_lost_) t.conn_lost_ = 1;
            if (auto on_lost = std::move(t.on_lost_)) on_lost(t.derived());
            // Python's _protocol = None: a protocol that kept a shared_ptr to its transport
            // (Python's self.transport = transport) would otherwise make a cycle, never freed.
            auto protocol = std::move(t.protocol_);
            auto keep = std::move(t.self_);  // the caller holds another reference
        }
    } cleanup{*this};
    protocol_->connection_lost(std::move(exc));
}

// The transports built on it.
template class SelectorTransport<SocketTransport, asyncio::Transport, asyncio::Protocol>;
template class SelectorTransport<DatagramSocketTransport, asyncio::DatagramTransport, asyncio::DatagramProtocol>;
template class SelectorTransport<PipeTransport, asyncio::Transport, asyncio::Protocol>;

}  // namespace concurrence::net::detail
