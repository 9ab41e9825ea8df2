// Python's ssl.SSLObject (_ssl.c's PySSLSocket without a socket) and SSLContext.wrap_bio.
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <climits>
#include <cstdio>

#include "concurrence/base/errors.hpp"
#include "concurrence/ssl/errors.hpp"
#include "concurrence/ssl/ssl_object.hpp"
#include "ssl/state.hpp"

namespace concurrence::ssl {

namespace detail {

namespace {

int clamp(std::size_t n) { return n > INT_MAX ? INT_MAX : static_cast<int>(n); }

// SSL_get_error needs an empty error queue before the call. Every failure path here clears
// it, so it is nearly always empty: look before clearing (ERR_clear_error walks all its
// slots: 2% of a TLS echo's time).
void clear_stale_errors() {
    if (ERR_peek_error() != 0) ERR_clear_error();
}

bool wants_io(const ObjectState& s, int ret) {
    const int e = SSL_get_error(s.ssl, ret);
    return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
}

// Python's _ssl_configure_hostname: SNI for a name (not for an address), and the name or
// address the certificate must be for when the context checks hostnames.
void configure_hostname(ObjectState& s, const std::string& host) {
    ASN1_OCTET_STRING* ip = a2i_IPADDRESS(host.c_str());
    if (!ip) ERR_clear_error();
    std::unique_ptr<ASN1_OCTET_STRING, decltype(&ASN1_OCTET_STRING_free)> own_ip(ip, &ASN1_OCTET_STRING_free);
    // SSL_set_tlsext_host_name, without its macro's C cast.
    if (!ip && !SSL_ctrl(s.ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(host.c_str())))
        std::rethrow_exception(error_from_queue());
    if (!s.context.check_hostname()) return;
    X509_VERIFY_PARAM* param = SSL_get0_param(s.ssl);
    const int ok = ip ? X509_VERIFY_PARAM_set1_ip(param, ASN1_STRING_get0_data(ip),
                                                  static_cast<std::size_t>(ASN1_STRING_length(ip)))
                      : X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
    if (!ok) std::rethrow_exception(error_from_queue());
}

}  // namespace

bool handshake_step(ObjectState& s) {
    clear_stale_errors();
    const int ret = SSL_do_handshake(s.ssl);
    if (ret == 1) return true;
    if (wants_io(s, ret)) return false;
    std::rethrow_exception(call_error(s, ret));
}

std::optional<std::size_t> read_step(ObjectState& s, char* buffer, std::size_t size) {
    if (size == 0) return 0;
    clear_stale_errors();
    const int ret = SSL_read(s.ssl, buffer, clamp(size));
    if (ret > 0) return static_cast<std::size_t>(ret);
    const int e = SSL_get_error(s.ssl, ret);
    // The peer's close_notify reads as the end while this side has not sent its own (Python's
    // exact test); after that, as SSLZeroReturnError.
    if (e == SSL_ERROR_ZERO_RETURN && SSL_get_shutdown(s.ssl) == SSL_RECEIVED_SHUTDOWN) return 0;
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return std::nullopt;
    std::rethrow_exception(call_error(s, ret));
}

std::optional<std::size_t> write_step(ObjectState& s, std::string_view data) {
    if (data.empty()) return 0;
    clear_stale_errors();
    const int ret = SSL_write(s.ssl, data.data(), clamp(data.size()));
    if (ret > 0) return static_cast<std::size_t>(ret);
    if (wants_io(s, ret)) return std::nullopt;
    std::rethrow_exception(call_error(s, ret));
}

bool shutdown_step(ObjectState& s) {
    // Python's unwrap: a 0 (our close_notify sent, the peer's not seen) is asked again once;
    // with nothing more in the incoming buffer, that second call wants to read.
    for (int zeros = 0;;) {
        ERR_clear_error();
        const int ret = SSL_shutdown(s.ssl);
        if (ret > 0) return true;
        if (ret == 0) {
            if (++zeros > 1) return true;
            continue;
        }
        if (wants_io(s, ret)) return false;
        std::rethrow_exception(call_error(s, ret));
    }
}

}  // namespace detail

namespace {

SSLWantReadError want_read() { return SSLWantReadError(2, "The operation did not complete (read)"); }

}  // namespace

SSLObject SSLContext::wrap_bio(MemoryBIO incoming, MemoryBIO outgoing, bool server_side,
                               std::optional<std::string> server_hostname) const {
    if (server_side && state_->method == SSLMethod::PROTOCOL_TLS_CLIENT)
        throw SSLError("Cannot create a server socket with a PROTOCOL_TLS_CLIENT context");
    if (!server_side && state_->method == SSLMethod::PROTOCOL_TLS_SERVER)
        throw SSLError("Cannot create a client socket with a PROTOCOL_TLS_SERVER context");
    if (server_hostname && (server_hostname->empty() || (*server_hostname)[0] == '.'))
        throw ValueError("server_hostname cannot be an empty string or start with a leading dot.");
    SSL* ssl = SSL_new(state_->ctx);
    if (!ssl) std::rethrow_exception(detail::error_from_queue());
    auto state = std::make_shared<detail::ObjectState>(ssl, *this, incoming, outgoing, server_side, server_hostname);
    // The session holds a reference to each buffer (SSL_set_bio takes one of each).
    BIO_up_ref(incoming.state().bio);
    BIO_up_ref(outgoing.state().bio);
    SSL_set_bio(ssl, incoming.state().bio, outgoing.state().bio);
    SSL_set_mode(ssl, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_AUTO_RETRY);
    // The callbacks (sni_callback, the key log) find the session's state from the SSL*.
    SSL_set_ex_data(ssl, 0, state.get());
    if (server_hostname) detail::configure_hostname(*state, *server_hostname);
    // Python's post_handshake_auth: a client offers it; a server that verifies may use it.
    if (state_->post_handshake_auth) {
        if (server_side) {
            const int mode = SSL_get_verify_mode(ssl);
            if (mode & SSL_VERIFY_PEER)
                SSL_set_verify(ssl, mode | SSL_VERIFY_POST_HANDSHAKE, SSL_get_verify_callback(ssl));
        } else {
            SSL_set_post_handshake_auth(ssl, 1);
        }
    }
    if (server_side)
        SSL_set_accept_state(ssl);
    else
        SSL_set_connect_state(ssl);
    return SSLObject(std::move(state));
}

void SSLObject::do_handshake() {
    if (!detail::handshake_step(*state_)) throw want_read();
}

std::string SSLObject::read(std::size_t len) {
    std::string out(len, '\0');
    out.resize(read(std::span<char>(out)));
    return out;
}

std::size_t SSLObject::read(std::span<char> buffer) {
    std::optional<std::size_t> n = detail::read_step(*state_, buffer.data(), buffer.size());
    if (!n) throw want_read();
    return *n;
}

std::size_t SSLObject::write(std::string_view data) {
    std::size_t done = 0;
    while (done < data.size()) {
        std::optional<std::size_t> n = detail::write_step(*state_, data.substr(done));
        if (!n) throw want_read();
        done += *n;
    }
    return done;
}

std::size_t SSLObject::pending() const { return static_cast<std::size_t>(SSL_pending(state_->ssl)); }

void SSLObject::unwrap() {
    if (!detail::shutdown_step(*state_)) throw want_read();
}

std::optional<Cipher> SSLObject::cipher() const {
    const SSL_CIPHER* c = SSL_get_current_cipher(state_->ssl);
    if (!c) return std::nullopt;
    return Cipher{SSL_CIPHER_get_name(c), SSL_CIPHER_get_version(c), SSL_CIPHER_get_bits(c, nullptr)};
}

std::optional<std::string> SSLObject::version() const {
    if (!SSL_is_init_finished(state_->ssl)) return std::nullopt;
    return std::string(SSL_get_version(state_->ssl));
}

std::optional<std::string> SSLObject::selected_alpn_protocol() const {
    const unsigned char* data = nullptr;
    unsigned int len = 0;
    SSL_get0_alpn_selected(state_->ssl, &data, &len);
    if (!data || len == 0) return std::nullopt;
    return std::string(reinterpret_cast<const char*>(data), len);
}

bool SSLObject::server_side() const { return state_->server_side; }
std::optional<std::string> SSLObject::server_hostname() const { return state_->server_hostname; }
SSLContext SSLObject::context() const { return state_->context; }

void SSLObject::set_context(SSLContext context) {
    if (!SSL_set_SSL_CTX(state_->ssl, context.state().ctx)) std::rethrow_exception(detail::error_from_queue());
    state_->context = std::move(context);
}

std::string SSLObject::repr() const {
    char text[64];
    std::snprintf(text, sizeof text, "<ssl.SSLObject object at %p>", static_cast<const void*>(state_.get()));
    return text;
}

}  // namespace concurrence::ssl
