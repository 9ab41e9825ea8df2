#include "streams/writer_state.hpp"

#include "concurrence/base/errors.hpp"
#include "concurrence/task/task.hpp"
#include "streams/reader_state.hpp"

namespace concurrence::asyncio {

namespace {

// Runs client_connected_cb's coroutine with Python's done callback folded in: an exception
// escaping it goes to the loop's exception handler and closes the connection; cancelled, it
// closes the connection too. (Not a done callback taking the Task: that callback would hold
// the task in the task's own callback list, so a handler still pending when the loop closes
// would never be freed, nor the connection's state with it.)
Coro<void> run_client_connected(EventLoop& loop, Coro<void> body, std::shared_ptr<Transport> transport) {
    std::exception_ptr failure;
    try {
        co_await std::move(body);
        co_return;
    } catch (const CancelledError&) {
        transport->close();
        throw;
    } catch (...) {
        failure = std::current_exception();
    }
    loop.call_exception_handler({"Unhandled exception in client_connected_cb", failure});
    transport->close();
}

}  // namespace

StreamReaderProtocol::StreamReaderProtocol(StreamReader reader, ClientConnected client_connected_cb)
    : StreamReaderProtocol(get_running_loop(), std::move(reader), std::move(client_connected_cb)) {}

StreamReaderProtocol::~StreamReaderProtocol() {
    // A transport let go of its protocol without connection_lost (its loop closed): the
    // transport may be gone now, and the reader, which can outlive both, must not keep
    // pointing at it (it would resume reading on it).
    if (transport_ && reader_.state().transport == transport_) reader_.set_transport(nullptr);
}

void StreamReaderProtocol::connection_made(Transport& transport) {
    transport_ = &transport;
    over_ssl_ = transport.get_extra_info("sslcontext").has_value();
    reader_.set_transport(&transport);
    if (!callback_) return;
    auto shared_transport = std::static_pointer_cast<Transport>(transport.shared_from_this());
    StreamWriter writer(shared_transport, shared_from_this());
    Coro<void> body;
    try {
        body = callback_(reader_, std::move(writer));
    } catch (...) {
        // A plain (void) callback threw: report it as a failed coroutine callback is reported
        // and close the connection, as the header promises. Escaping, it would go to the
        // transport as "Exception in callback Protocol.connection_made()" instead.
        loop_.call_exception_handler({"Unhandled exception in client_connected_cb", std::current_exception()});
        transport.close();
        return;
    }
    if (!body) return;
    loop_.create_task(run_client_connected(loop_, std::move(body), std::move(shared_transport)));
}

void StreamReaderProtocol::connection_lost(std::exception_ptr exc) {
    if (exc)
        reader_.set_exception(exc);
    else
        reader_.feed_eof();
    reader_.set_transport(nullptr);
    connection_lost_ = true;
    lost_with_ = exc;
    for (auto& w : std::exchange(close_waiters_, {})) {
        if (w.done()) continue;
        exc ? w.set_exception(exc) : w.set_result();
    }
    // FlowControlMixin: writers blocked in drain() wake up (with the error, if any).
    if (paused_) {
        for (auto& w : std::exchange(drain_waiters_, {})) {
            if (w.done()) continue;
            exc ? w.set_exception(exc) : w.set_result();
        }
    }
}

bool StreamReaderProtocol::eof_received() {
    reader_.feed_eof();
    // Keep the transport open: this side may still write. Not over TLS, which cannot.
    return !over_ssl_;
}

void StreamReaderProtocol::replace_transport(Transport& transport) {
    transport_ = &transport;
    over_ssl_ = transport.get_extra_info("sslcontext").has_value();
    // The reader keeps pausing the socket's transport, under the TLS one (Python's too): it
    // lives as long as the connection.
}

void StreamReaderProtocol::resume_writing() {
    paused_ = false;
    for (auto& w : std::exchange(drain_waiters_, {}))
        if (!w.done()) w.set_result();
}

Coro<void> StreamReaderProtocol::drain_helper() {
    if (connection_lost_) throw ConnectionResetError(ECONNRESET, "Connection lost", true);
    if (!paused_) co_return;
    // Python removes its waiter when the wait ends (finally); here the waiters of cancelled
    // drains are dropped before a new one is added, so that drains cancelled again and again
    // (wait_for(drain(), t) against a peer that does not read) do not pile up.
    std::erase_if(drain_waiters_, [](const Future<void>& w) { return w.done(); });
    Future<void> waiter = loop_.create_future<void>();
    drain_waiters_.push_back(waiter);
    co_await waiter;
}

Coro<void> StreamReaderProtocol::wait_closed() {
    if (connection_lost_) {
        if (lost_with_) std::rethrow_exception(lost_with_);
        co_return;
    }
    std::erase_if(close_waiters_, [](const Future<void>& w) { return w.done(); });  // cancelled ones, as above
    Future<void> waiter = loop_.create_future<void>();
    close_waiters_.push_back(waiter);
    co_await waiter;
}

namespace detail {

WriterState::~WriterState() {
    try {
        if (!transport->is_closing()) transport->close();
    } catch (...) {  // a destructor: the close is best effort
    }
}

}  // namespace detail

}  // namespace concurrence::asyncio
