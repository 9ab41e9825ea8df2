// Python's ssl.SSLObject: one TLS session over two MemoryBIOs (SSLContext::wrap_bio). The
// transports of create_connection(ssl=...) and start_server(ssl=...) run one per connection
// and hand it out as get_extra_info<ssl::SSLObject>("ssl_object").
//
//   tls.do_handshake();      // SSLWantReadError until the peer's answers are in `incoming`
//   tls.write("GET / HTTP/1.1\r\n...");   // encrypted into `outgoing`
//   std::string data = tls.read(4096);     // "" once the peer closed the session
//
// A handle: copies share one session. One thread at a time.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "concurrence/ssl/context.hpp"
#include "concurrence/ssl/memory_bio.hpp"

namespace concurrence::ssl {

namespace detail {
struct ObjectState;
}

// Python's cipher() tuple.
struct Cipher {
    std::string name;      // "TLS_AES_256_GCM_SHA384"
    std::string protocol;  // "TLSv1.3"
    int secret_bits = 0;
};

class SSLObject {
public:
    explicit SSLObject(std::shared_ptr<detail::ObjectState> state) : state_(std::move(state)) {}

    // SSLWantReadError while the peer's next message is not in `incoming`; SSLError (an
    // SSLCertVerificationError for a certificate) if the handshake fails.
    void do_handshake();
    // Up to len bytes of the peer's data; "" when the peer closed the session (close_notify).
    // SSLWantReadError if nothing is there yet.
    std::string read(std::size_t len = 1024);
    std::size_t read(std::span<char> buffer);
    // Encrypts data into `outgoing`; returns its size.
    std::size_t write(std::string_view data);
    // Decrypted bytes ready for read().
    std::size_t pending() const;
    // Sends close_notify; SSLWantReadError until the peer's close_notify is in `incoming`.
    void unwrap();

    // After the handshake (before: ValueError("handshake not done yet")): the peer's
    // certificate, nullopt if it sent none, an empty one if it was not verified (Python's {}).
    std::optional<PeerCert> getpeercert() const;
    // Python's getpeercert(binary_form=True): the DER bytes, verified or not.
    std::optional<std::string> getpeercert_der() const;
    // nullopt before the handshake.
    std::optional<Cipher> cipher() const;
    std::optional<std::string> version() const;  // "TLSv1.3"
    std::optional<std::string> selected_alpn_protocol() const;
    // Always nullopt: compression is off (Python's answer with OpenSSL 3).
    std::optional<std::string> compression() const { return std::nullopt; }
    // A server's ciphers the client offered too, in the server's order; nullopt on a client
    // or before the client's hello (Python's None).
    std::optional<std::vector<Cipher>> shared_ciphers() const;
    // Whether the handshake resumed an earlier session.
    bool session_reused() const;
    // Python's get_channel_binding(cb_type="tls-unique") (RFC 5929): the client's Finished
    // message, the same on both sides; nullopt before the handshake. Another type:
    // ValueError("'tls-x' channel binding type not implemented").
    std::optional<std::string> get_channel_binding(const std::string& cb_type = "tls-unique") const;
    // A TLS 1.3 server asks the client for its certificate now (the context's
    // post_handshake_auth on both sides, verify_mode not CERT_NONE on the server). The request
    // goes out with the next write() or do_handshake(); the client answers while it reads.
    // SSLError("[SSL: NOT_SERVER] not server") on a client, "[SSL: EXTENSION_NOT_RECEIVED]
    // extension not received" when the client did not offer it.
    void verify_client_post_handshake();
    bool server_side() const;
    std::optional<std::string> server_hostname() const;
    SSLContext context() const;
    // Python's `ssl_object.context = other` (in an sni_callback: the certificate of `other`).
    void set_context(SSLContext context);
    // "<ssl.SSLObject object at 0x...>"
    std::string repr() const;

    detail::ObjectState& state() const noexcept { return *state_; }

private:
    std::shared_ptr<detail::ObjectState> state_;
};

}  // namespace concurrence::ssl
