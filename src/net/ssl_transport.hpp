// TLS over a stream socket transport: Python's SSLProtocol and _SSLProtocolTransport
// (Lib/asyncio/sslproto.py, 3.11+) in one object.
//
//   app protocol  <->  SSLTransport (an asyncio::Transport)  ==  its RawSide (a Protocol)
//                                                                 <->  SocketTransport  <->  socket
//
// The socket transport's protocol is the RawSide, a member of this object reached through an
// aliasing shared_ptr: the socket transport keeps the TLS transport alive until
// connection_lost, as Python's reference from the socket transport to the SSLProtocol does,
// and the TLS transport holds the socket transport from connection_made to connection_lost.
//
// The session runs on an ssl::SSLObject over two MemoryBIOs: what the socket reads goes into
// `incoming`; whatever the session writes to `outgoing` is handed to the socket transport.
// States, as Python's: unwrapped -> do_handshake -> wrapped -> flushing -> shutdown, and
// unwrapped again at the end. The app protocol's connection_made comes after the handshake;
// a failed handshake ends the connection (SSLError, ConnectionResetError if the peer left,
// ConnectionAbortedError after ssl_handshake_timeout) and the app protocol hears nothing.
// close() sends close_notify once the data written before it is encrypted, and closes the
// socket when the peer's close_notify (or its EOF) comes, or after ssl_shutdown_timeout
// (TimeoutError("SSL shutdown timed out")).
//
// Flow control, as Python's: the app's writes are paused past 512 KiB waiting to be encrypted
// or sent (set_write_buffer_limits), the socket's reading is paused while 256 KiB of received
// data wait to be decrypted (the app paused its reading), and the socket transport's
// pause_writing stops moving encrypted data to it.
#pragma once

#include <cstddef>
#include <deque>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "concurrence/loop/event_loop.hpp"
#include "concurrence/loop/handle.hpp"
#include "concurrence/net/protocols.hpp"
#include "concurrence/net/transport.hpp"
#include "concurrence/ssl/context.hpp"
#include "concurrence/ssl/memory_bio.hpp"
#include "concurrence/ssl/ssl_object.hpp"
#include "concurrence/task/coro.hpp"
#include "concurrence/task/future.hpp"
#include "net/write_limits.hpp"

namespace concurrence::net::detail {

class SocketTransport;

// Python's constants.SSL_HANDSHAKE_TIMEOUT and SSL_SHUTDOWN_TIMEOUT (seconds).
inline constexpr double default_ssl_handshake_timeout = 60.0;
inline constexpr double default_ssl_shutdown_timeout = 30.0;

struct TLSSettings {
    ssl::SSLContext context;
    bool server_side = false;
    std::optional<std::string> server_hostname;  // the client's: SNI and the name checked
    std::optional<double> handshake_timeout;     // seconds; default 60
    std::optional<double> shutdown_timeout;      // seconds; default 30
    bool call_connection_made = true;            // false for start_tls: the app protocol is connected already
};

// Python's ValueError for a timeout that is not positive ("ssl_handshake_timeout should be a
// positive number, got -1").
void check_tls_timeouts(const std::optional<double>& handshake, const std::optional<double>& shutdown);

// Awaits a TLS transport's handshake (its waiter); if it fails or the wait is cancelled,
// undo() runs (closing what was opened) before the error goes on.
template <class Undo>
asyncio::Coro<> wait_handshake(asyncio::Future<void> handshake, Undo undo) {
    std::exception_ptr error;
    try {
        co_await handshake;
    } catch (...) {
        error = std::current_exception();
    }
    if (error) {
        undo();
        std::rethrow_exception(error);
    }
}

class SSLTransport final : public asyncio::Transport {
public:
    // waiter (if any) is done once the handshake succeeded, or failed with its error (or the
    // connection's, if it was lost first). ValueError for a bad timeout, SSLError from wrap_bio.
    static std::shared_ptr<SSLTransport> make(asyncio::EventLoop& loop, std::shared_ptr<asyncio::Protocol> app,
                                              TLSSettings settings, std::optional<asyncio::Future<void>> waiter);
    // The socket transport's protocol: this transport's other side.
    std::shared_ptr<asyncio::Protocol> raw_protocol();

    // asyncio::Transport, for the app protocol.
    void write(std::string_view data) override;
    // NotImplementedError("SSL doesn't support half-closes"), as Python.
    void write_eof() override;
    bool can_write_eof() const override { return false; }
    void close() override;
    void abort() override;
    // Closed by the app, or the socket transport under it is closing (CPython gh-118950, 3.12.8).
    bool is_closing() const override;
    void pause_reading() override { app_reading_paused_ = true; }
    void resume_reading() override;
    bool is_reading() const override { return !app_reading_paused_; }
    void set_write_buffer_limits(std::optional<std::size_t> high, std::optional<std::size_t> low) override;
    std::pair<std::size_t, std::size_t> get_write_buffer_limits() const override { return write_limits_.get(); }
    std::size_t get_write_buffer_size() const override { return outgoing_.pending() + backlog_size_; }
    // "sslcontext", "ssl_object", "peercert", "cipher", "compression", then the socket's.
    std::any get_extra_info(std::string_view name) const override;
    using asyncio::Transport::get_extra_info;
    asyncio::BaseProtocol& get_protocol() const override;
    // Python's set_protocol (the app's protocol); ignored once the connection is lost.
    void set_protocol(std::shared_ptr<asyncio::Protocol> protocol) override;
    // For loop.sendfile's fallback: the app's protocol, and whether it was told pause_writing.
    std::shared_ptr<asyncio::Protocol> app_protocol() const { return app_; }
    bool writing_paused() const { return write_limits_.paused(); }

    SSLTransport(asyncio::EventLoop& loop, std::shared_ptr<asyncio::Protocol> app, TLSSettings settings,
                 std::optional<asyncio::Future<void>> waiter);
    ~SSLTransport() override;

private:
    enum class State { unwrapped, do_handshake, wrapped, flushing, shutdown };
    enum class AppState { init, connection_made, eof, connection_lost };

    // The socket transport's protocol (Python's SSLProtocol methods the transport calls).
    struct RawSide final : asyncio::Protocol {
        explicit RawSide(SSLTransport& o) : owner(o) {}
        void connection_made(asyncio::Transport& transport) override { owner.raw_connection_made(transport); }
        void data_received(std::string_view data) override { owner.raw_data_received(data); }
        bool eof_received() override { return owner.raw_eof_received(); }
        void connection_lost(std::exception_ptr exc) override { owner.raw_connection_lost(std::move(exc)); }
        void pause_writing() override { owner.ssl_writing_paused_ = true; }
        void resume_writing() override {
            owner.ssl_writing_paused_ = false;
            owner.process_outgoing();
        }
        SSLTransport& owner;
    };

    void raw_connection_made(asyncio::Transport& transport);
    void raw_data_received(std::string_view data);
    bool raw_eof_received();
    void raw_connection_lost(std::exception_ptr exc);

    void set_state(State next);
    void start_handshake();
    void check_handshake_timeout();
    void do_handshake();
    void on_handshake_complete(std::exception_ptr error);
    void start_shutdown();
    void check_shutdown_timeout();
    void do_flush();
    void do_shutdown();
    void on_shutdown_complete(std::exception_ptr error);
    void abort_with(std::exception_ptr exc);
    void do_write();
    void process_outgoing();
    void do_read();
    void read_into_app();
    void call_eof_received();
    void control_app_writing();
    void control_ssl_reading();
    void resume_after_pause();
    void fatal_error(std::exception_ptr exc, const char* message = "Fatal error on transport");
    void wake_waiter(std::exception_ptr exc = nullptr);
    std::weak_ptr<SSLTransport> weak_self() {
        return std::static_pointer_cast<SSLTransport>(shared_from_this());
    }

    asyncio::EventLoop& loop_;
    std::shared_ptr<asyncio::Protocol> app_;
    ssl::SSLContext context_;
    ssl::MemoryBIO incoming_;
    ssl::MemoryBIO outgoing_;
    ssl::SSLObject sslobj_;
    RawSide raw_side_;
    std::shared_ptr<SocketTransport> transport_;  // connection_made to connection_lost
    std::optional<asyncio::Future<void>> waiter_;
    double handshake_timeout_;
    double shutdown_timeout_;
    std::optional<asyncio::TimerHandle> handshake_timer_;
    std::optional<asyncio::TimerHandle> shutdown_timer_;
    State state_ = State::unwrapped;
    AppState app_state_;
    bool handshake_done_ = false;  // the extra info of a finished handshake is there
    std::deque<std::string> backlog_;  // written by the app, not encrypted yet
    std::size_t backlog_size_ = 0;
    int conn_lost_ = 0;
    bool lost_ = false;    // the socket transport's connection_lost came
    bool closed_ = false;  // the app transport's _closed
    bool eof_received_ = false;
    bool ssl_writing_paused_ = false;
    bool app_reading_paused_ = false;
    bool ssl_reading_paused_ = false;
    WriteLimits write_limits_;
};

}  // namespace concurrence::net::detail
