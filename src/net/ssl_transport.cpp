// Python's SSLProtocol / _SSLProtocolTransport (Lib/asyncio/sslproto.py, 3.11+), method by
// method; see net/ssl_transport.hpp for the shape.
#include "net/ssl_transport.hpp"

#include "base/float_repr.hpp"
#include "base/write_stderr.hpp"
#include "concurrence/base/errors.hpp"
#include "concurrence/ssl/errors.hpp"
#include "concurrence/task/task.hpp"
#include "net/socket_transport.hpp"
#include "ssl/state.hpp"

namespace concurrence::net::detail {

namespace {

// Python's FLOW_CONTROL_HIGH_WATER_SSL_READ and _SSL_WRITE.
constexpr std::size_t incoming_high_water = 256 * 1024;
constexpr std::size_t incoming_low_water = incoming_high_water / 4;
constexpr std::size_t outgoing_high_water = 512 * 1024;
// One TLS record's data at most per SSL_read.
constexpr std::size_t read_chunk = 16 * 1024;
// Python's LOG_THRESHOLD_FOR_CONNLOST_WRITES.
constexpr int connlost_writes_threshold = 5;

const char* state_name(int s) {
    static const char* const names[] = {"UNWRAPPED", "DO_HANDSHAKE", "WRAPPED", "FLUSHING", "SHUTDOWN"};
    return names[s];
}

// The buffer decrypted data is read into, reused by every TLS transport of the thread (taken
// out while in use: a data_received that closes its transport reads again, into another).
thread_local std::string t_read_buffer;

}  // namespace

void check_tls_timeouts(const std::optional<double>& handshake, const std::optional<double>& shutdown) {
    if (handshake && !(*handshake > 0))
        throw ValueError("ssl_handshake_timeout should be a positive number, got " +
                         concurrence::detail::python_float_repr(*handshake));
    if (shutdown && !(*shutdown > 0))
        throw ValueError("ssl_shutdown_timeout should be a positive number, got " +
                         concurrence::detail::python_float_repr(*shutdown));
}

std::shared_ptr<SSLTransport> SSLTransport::make(asyncio::EventLoop& loop, std::shared_ptr<asyncio::Protocol> app,
                                                 TLSSettings settings, std::optional<asyncio::Future<void>> waiter) {
    check_tls_timeouts(settings.handshake_timeout, settings.shutdown_timeout);
    if (!app) throw ValueError("the protocol factory returned no protocol");
    return std::make_shared<SSLTransport>(loop, std::move(app), std::move(settings), std::move(waiter));
}

SSLTransport::SSLTransport(asyncio::EventLoop& loop, std::shared_ptr<asyncio::Protocol> app, TLSSettings settings,
                           std::optional<asyncio::Future<void>> waiter)
    : loop_(loop),
      app_(std::move(app)),
      context_(settings.context),
      sslobj_(context_.wrap_bio(incoming_, outgoing_, settings.server_side,
                                settings.server_side ? std::nullopt : settings.server_hostname)),
      raw_side_(*this),
      waiter_(std::move(waiter)),
      handshake_timeout_(settings.handshake_timeout.value_or(default_ssl_handshake_timeout)),
      shutdown_timeout_(settings.shutdown_timeout.value_or(default_ssl_shutdown_timeout)),
      app_state_(settings.call_connection_made ? AppState::init : AppState::connection_made),
      write_limits_(outgoing_high_water, true) {}

SSLTransport::~SSLTransport() {
    if (handshake_timer_) handshake_timer_->cancel();
    if (shutdown_timer_) shutdown_timer_->cancel();
}

std::shared_ptr<asyncio::Protocol> SSLTransport::raw_protocol() {
    return std::shared_ptr<asyncio::Protocol>(std::static_pointer_cast<SSLTransport>(shared_from_this()), &raw_side_);
}

asyncio::BaseProtocol& SSLTransport::get_protocol() const {
    if (!app_) throw RuntimeError("the transport is closed (or its loop is): it has no protocol any more");
    return *app_;
}

bool SSLTransport::is_closing() const { return closed_ || (transport_ && transport_->is_closing()); }

void SSLTransport::set_protocol(std::shared_ptr<asyncio::Protocol> protocol) {
    if (!protocol) throw ValueError("set_protocol needs a protocol");
    if (lost_) return;
    app_ = std::move(protocol);
}

std::any SSLTransport::get_extra_info(std::string_view name) const {
    if (name == "sslcontext") return context_;
    if (handshake_done_) {
        if (name == "ssl_object") return sslobj_;
        if (name == "peercert") {
            if (std::optional<ssl::PeerCert> cert = sslobj_.getpeercert()) return *cert;
            return {};
        }
        if (name == "cipher") {
            if (std::optional<ssl::Cipher> cipher = sslobj_.cipher()) return *cipher;
            return {};
        }
        if (name == "compression") return {};
    }
    if (transport_) return transport_->get_extra_info(name);
    return {};
}

void SSLTransport::set_state(State next) {
    const bool allowed = next == State::unwrapped ||
                         (state_ == State::unwrapped && next == State::do_handshake) ||
                         (state_ == State::do_handshake && next == State::wrapped) ||
                         (state_ == State::wrapped && next == State::flushing) ||
                         (state_ == State::flushing && next == State::shutdown);
    if (!allowed)
        throw RuntimeError(std::string("cannot switch state from SSLProtocolState.") +
                           state_name(static_cast<int>(state_)) + " to SSLProtocolState." +
                           state_name(static_cast<int>(next)));
    state_ = next;
}

// ---- the socket transport's side

void SSLTransport::raw_connection_made(asyncio::Transport& transport) {
    transport_ = std::dynamic_pointer_cast<SocketTransport>(transport.shared_from_this());
    // Closed before the socket transport was connected (create_connection cancelled while it
    // started): Python's close does nothing in that state and the handshake would still run
    // on a connection nobody holds; end it instead.
    if (closed_) {
        abort_with(nullptr);
        return;
    }
    start_handshake();
}

void SSLTransport::raw_data_received(std::string_view data) {
    ssl::detail::append(incoming_.state(), data);
    switch (state_) {
        case State::do_handshake: do_handshake(); break;
        case State::wrapped: do_read(); break;
        case State::flushing: do_flush(); break;
        case State::shutdown: do_shutdown(); break;
        case State::unwrapped: break;
    }
}

bool SSLTransport::raw_eof_received() {
    eof_received_ = true;
    switch (state_) {
        case State::do_handshake:
            on_handshake_complete(std::make_exception_ptr(ConnectionResetError(std::string())));
            break;
        case State::wrapped:
            set_state(State::flushing);
            if (app_reading_paused_) return true;  // what is still to decrypt waits for resume_reading
            do_flush();
            break;
        case State::flushing:
            do_write();
            set_state(State::shutdown);
            do_shutdown();
            break;
        case State::shutdown: do_shutdown(); break;
        case State::unwrapped: break;
    }
    return false;
}

void SSLTransport::raw_connection_lost(std::exception_ptr exc) {
    backlog_.clear();
    backlog_size_ = 0;
    ssl::detail::clear(outgoing_.state());
    ++conn_lost_;
    lost_ = true;
    closed_ = true;
    if (state_ != State::do_handshake &&
        (app_state_ == AppState::connection_made || app_state_ == AppState::eof)) {
        app_state_ = AppState::connection_lost;
        if (loop_.is_closed())  // (the socket transport ended after its loop: no next iteration)
            app_->connection_lost(exc);
        else
            loop_.call_soon([app = app_, exc] { app->connection_lost(exc); });
    }
    set_state(State::unwrapped);
    transport_.reset();
    // Python's _app_protocol = None: an app protocol holding this transport makes no cycle.
    app_.reset();
    wake_waiter(exc);
    if (shutdown_timer_) shutdown_timer_->cancel();
    if (handshake_timer_) handshake_timer_->cancel();
    shutdown_timer_.reset();
    handshake_timer_.reset();
}

// ---- handshake

void SSLTransport::start_handshake() {
    set_state(State::do_handshake);
    handshake_timer_ = loop_.call_later(handshake_timeout_, [weak = weak_self()] {
        if (auto self = weak.lock()) self->check_handshake_timeout();
    });
    do_handshake();
}

void SSLTransport::check_handshake_timeout() {
    if (state_ != State::do_handshake) return;
    fatal_error(std::make_exception_ptr(ConnectionAbortedError(
        "SSL handshake is taking longer than " + concurrence::detail::python_float_repr(handshake_timeout_) +
        " seconds: aborting the connection")));
}

void SSLTransport::do_handshake() {
    bool done = false;
    try {
        done = ssl::detail::handshake_step(sslobj_.state());
    } catch (...) {
        on_handshake_complete(std::current_exception());
        return;
    }
    if (done)
        on_handshake_complete(nullptr);
    else
        process_outgoing();  // our part of the handshake goes out
}

void SSLTransport::on_handshake_complete(std::exception_ptr error) {
    if (handshake_timer_) {
        handshake_timer_->cancel();
        handshake_timer_.reset();
    }
    if (error) {
        set_state(State::unwrapped);
        fatal_error(error, exception_is<ssl::SSLCertVerificationError>(error)
                               ? "SSL handshake failed on verifying the certificate"
                               : "SSL handshake failed");
        wake_waiter(error);
        return;
    }
    set_state(State::wrapped);
    handshake_done_ = true;
    // Alerts and TLS 1.3 session tickets the handshake's last step wrote.
    process_outgoing();
    if (app_state_ == AppState::init) {
        app_state_ = AppState::connection_made;
        auto app = app_;
        app->connection_made(*this);
    }
    wake_waiter();
    do_read();
}

// ---- shutdown

void SSLTransport::start_shutdown() {
    if (state_ == State::flushing || state_ == State::shutdown || state_ == State::unwrapped) return;
    closed_ = true;
    if (state_ == State::do_handshake) {
        abort_with(nullptr);
        return;
    }
    set_state(State::flushing);
    shutdown_timer_ = loop_.call_later(shutdown_timeout_, [weak = weak_self()] {
        if (auto self = weak.lock()) self->check_shutdown_timeout();
    });
    do_flush();
}

void SSLTransport::check_shutdown_timeout() {
    if ((state_ == State::flushing || state_ == State::shutdown) && transport_)
        transport_->force_close_with(std::make_exception_ptr(TimeoutError("SSL shutdown timed out")));
}

void SSLTransport::do_flush() {
    do_read();
    set_state(State::shutdown);
    do_shutdown();
}

void SSLTransport::do_shutdown() {
    try {
        if (!eof_received_ && !ssl::detail::shutdown_step(sslobj_.state())) {
            process_outgoing();  // our close_notify; the peer's is awaited
            return;
        }
    } catch (...) {
        on_shutdown_complete(std::current_exception());
        return;
    }
    process_outgoing();
    call_eof_received();
    on_shutdown_complete(nullptr);
}

void SSLTransport::on_shutdown_complete(std::exception_ptr error) {
    if (shutdown_timer_) {
        shutdown_timer_->cancel();
        shutdown_timer_.reset();
    }
    if (error) {
        fatal_error(error);
        return;
    }
    loop_.call_soon([transport = transport_] {
        if (transport) transport->close();
    });
}

void SSLTransport::abort_with(std::exception_ptr exc) {
    set_state(State::unwrapped);
    if (transport_) transport_->force_close_with(std::move(exc));
}

// ---- writing

void SSLTransport::write(std::string_view data) {
    if (data.empty()) return;
    if (state_ == State::flushing || state_ == State::shutdown || state_ == State::unwrapped) {
        if (conn_lost_ >= connlost_writes_threshold) concurrence::detail::write_stderr("asyncio: SSL connection is closed\n");
        ++conn_lost_;
        return;
    }
    try {
        if (state_ == State::wrapped && backlog_.empty()) {
            // The common case: encrypt at once, keep only what the session did not take.
            std::optional<std::size_t> taken = ssl::detail::write_step(sslobj_.state(), data);
            std::size_t done = taken.value_or(0);
            while (taken && done < data.size()) {
                taken = ssl::detail::write_step(sslobj_.state(), data.substr(done));
                done += taken.value_or(0);
            }
            if (done < data.size()) {
                backlog_.emplace_back(data.substr(done));
                backlog_size_ += data.size() - done;
            }
            process_outgoing();
            return;
        }
        backlog_.emplace_back(data);
        backlog_size_ += data.size();
        if (state_ == State::wrapped) do_write();
    } catch (...) {
        fatal_error(std::current_exception(), "Fatal error on SSL protocol");
    }
}

void SSLTransport::write_eof() { throw NotImplementedError("SSL doesn't support half-closes"); }

void SSLTransport::do_write() {
    while (!backlog_.empty()) {
        std::string& front = backlog_.front();
        std::optional<std::size_t> taken = ssl::detail::write_step(sslobj_.state(), front);
        if (!taken) break;  // the session must read first
        backlog_size_ -= *taken;
        if (*taken < front.size())
            front.erase(0, *taken);
        else
            backlog_.pop_front();
    }
    process_outgoing();
}

void SSLTransport::process_outgoing() {
    if (!ssl_writing_paused_ && transport_) {
        ssl::detail::BioState& out = outgoing_.state();
        std::string_view data = ssl::detail::peek_all(out);
        if (!data.empty()) {
            transport_->write(data);
            ssl::detail::clear(out);
        }
    }
    control_app_writing();
}

void SSLTransport::control_app_writing() {
    if (!app_) return;
    // Python's _control_app_writing: pause at the high-water mark, or else resume under the low one.
    const std::size_t size = get_write_buffer_size();
    if (write_limits_.paused())
        write_limits_.maybe_resume(size, *app_, loop_);
    else
        write_limits_.maybe_pause(size, *app_, loop_);
}

void SSLTransport::set_write_buffer_limits(std::optional<std::size_t> high, std::optional<std::size_t> low) {
    write_limits_.set(high, low);
    control_app_writing();
}

// ---- reading

void SSLTransport::do_read() {
    if (state_ != State::wrapped && state_ != State::flushing) return;
    try {
        if (!app_reading_paused_) {
            read_into_app();
            if (!backlog_.empty())
                do_write();
            else
                process_outgoing();
        }
        control_ssl_reading();
    } catch (...) {
        fatal_error(std::current_exception(), "Fatal error on SSL protocol");
    }
}

void SSLTransport::read_into_app() {
    std::string buffer = std::move(t_read_buffer);
    struct GiveBack {
        std::string& buffer;
        ~GiveBack() { t_read_buffer = std::move(buffer); }
    } give_back{buffer};
    std::size_t used = 0;
    bool peer_closed = false;
    for (;;) {
        if (buffer.size() < used + read_chunk) buffer.resize(used + read_chunk);
        std::optional<std::size_t> n = ssl::detail::read_step(sslobj_.state(), buffer.data() + used, buffer.size() - used);
        if (!n) break;  // all that came is read
        if (*n == 0) {  // the peer's close_notify
            peer_closed = true;
            break;
        }
        used += *n;
    }
    if (used > 0) {
        auto app = app_;
        if (app) app->data_received(std::string_view(buffer.data(), used));
    }
    if (peer_closed) {
        call_eof_received();
        start_shutdown();
    }
}

void SSLTransport::call_eof_received() {
    try {
        if (app_state_ == AppState::connection_made && app_) {
            app_state_ = AppState::eof;
            auto app = app_;
            if (app->eof_received())
                concurrence::detail::write_stderr("asyncio: returning true from eof_received() has no effect when using ssl\n");
        }
    } catch (...) {
        fatal_error(std::current_exception(), "Error calling eof_received()");
    }
}

void SSLTransport::control_ssl_reading() {
    if (!transport_) return;
    const std::size_t size = incoming_.pending();
    if (size >= incoming_high_water && !ssl_reading_paused_) {
        ssl_reading_paused_ = true;
        transport_->pause_reading();
    } else if (size <= incoming_low_water && ssl_reading_paused_) {
        ssl_reading_paused_ = false;
        transport_->resume_reading();
    }
}

void SSLTransport::resume_reading() {
    if (!app_reading_paused_) return;
    app_reading_paused_ = false;
    loop_.call_soon([weak = weak_self()] {
        if (auto self = weak.lock()) self->resume_after_pause();
    });
}

void SSLTransport::resume_after_pause() {
    switch (state_) {
        case State::wrapped: do_read(); break;
        case State::flushing: do_flush(); break;
        case State::shutdown: do_shutdown(); break;
        default: break;
    }
}

// ---- closing

void SSLTransport::close() {
    if (closed_) return;
    closed_ = true;
    start_shutdown();
}

void SSLTransport::abort() {
    closed_ = true;
    abort_with(nullptr);
}

void SSLTransport::fatal_error(std::exception_ptr exc, const char* message) {
    if (transport_) transport_->force_close_with(exc);
    // Python logs only what is not an OSError (an SSLError is one) nor a cancellation.
    if (!exception_is<OSError>(exc) && !exception_is<asyncio::CancelledError>(exc))
        loop_.call_exception_handler({message, exc});
}

void SSLTransport::wake_waiter(std::exception_ptr exc) {
    if (!waiter_) return;
    asyncio::Future<void> waiter = std::move(*waiter_);
    waiter_.reset();
    if (waiter.done()) return;  // cancelled
    if (exc)
        waiter.set_exception(exc);
    else
        waiter.set_result();
}

}  // namespace concurrence::net::detail
