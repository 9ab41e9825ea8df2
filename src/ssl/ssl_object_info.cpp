// SSLObject's reports on the session (shared_ciphers, session_reused, get_channel_binding) and
// the post-handshake certificate request (_ssl.c's PySSLSocket methods).
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "concurrence/base/errors.hpp"
#include "concurrence/ssl/errors.hpp"
#include "concurrence/ssl/ssl_object.hpp"
#include "ssl/state.hpp"

namespace concurrence::ssl {

std::optional<std::vector<Cipher>> SSLObject::shared_ciphers() const {
    // Python's own walk (not SSL_get_shared_ciphers, which truncates): the server's list,
    // kept in its order, less what the client did not offer.
    STACK_OF(SSL_CIPHER)* server_ciphers = SSL_get_ciphers(state_->ssl);
    if (!server_ciphers) return std::nullopt;
    STACK_OF(SSL_CIPHER)* client_ciphers = SSL_get_client_ciphers(state_->ssl);
    if (!client_ciphers) return std::nullopt;
    std::vector<Cipher> out;
    for (int i = 0; i < sk_SSL_CIPHER_num(server_ciphers); ++i) {
        const SSL_CIPHER* c = sk_SSL_CIPHER_value(server_ciphers, i);
        if (sk_SSL_CIPHER_find(client_ciphers, c) < 0) continue;
        out.push_back(Cipher{SSL_CIPHER_get_name(c), SSL_CIPHER_get_version(c), SSL_CIPHER_get_bits(c, nullptr)});
    }
    return out;
}

bool SSLObject::session_reused() const { return SSL_session_reused(state_->ssl) != 0; }

std::optional<std::string> SSLObject::get_channel_binding(const std::string& cb_type) const {
    if (cb_type != "tls-unique") throw ValueError("'" + cb_type + "' channel binding type not implemented");
    char buffer[128];  // Python's PySSL_CB_MAXLEN
    std::size_t n = 0;
    // The first Finished message: the client's on a new session, the server's on a resumed one.
    if (SSL_session_reused(state_->ssl) ^ !state_->server_side)
        n = SSL_get_finished(state_->ssl, buffer, sizeof buffer);
    else
        n = SSL_get_peer_finished(state_->ssl, buffer, sizeof buffer);
    if (n == 0) return std::nullopt;
    return std::string(buffer, n < sizeof buffer ? n : sizeof buffer);
}

void SSLObject::verify_client_post_handshake() {
    ERR_clear_error();
    if (SSL_verify_client_post_handshake(state_->ssl) == 0) std::rethrow_exception(detail::error_from_queue());
}

}  // namespace concurrence::ssl
