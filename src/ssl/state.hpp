// What the ssl layer's handles hold (OpenSSL's objects), and the non-throwing steps of a TLS
// session the transports use: for them, "the peer's next message is not here yet" is the
// normal case, not an exception.
#pragma once

#include <openssl/bio.h>
#include <openssl/ssl.h>

#include <cstddef>
#include <cstdio>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "concurrence/ssl/context.hpp"
#include "concurrence/ssl/memory_bio.hpp"
#include "concurrence/ssl/ssl_object.hpp"

namespace concurrence::ssl::detail {

struct ContextState {
    ContextState(SSL_CTX* c, SSLMethod m) : ctx(c), method(m) {}
    ~ContextState() {
        SSL_CTX_free(ctx);
        if (keylog_file) std::fclose(keylog_file);
    }
    ContextState(const ContextState&) = delete;
    ContextState& operator=(const ContextState&) = delete;

    SSL_CTX* ctx;
    SSLMethod method;
    bool check_hostname = false;
    std::string alpn_wire;  // set_alpn_protocols' list, in the wire format
    SNICallback sni_callback;
    // keylog_filename: the file, kept open; connections of any thread append to it.
    std::optional<std::string> keylog_path;
    std::FILE* keylog_file = nullptr;
    std::mutex keylog_mutex;
    bool post_handshake_auth = false;  // applied by wrap_bio, as Python's newPySSLSocket
};

struct BioState {
    BioState();
    ~BioState() { BIO_free(bio); }
    BioState(const BioState&) = delete;
    BioState& operator=(const BioState&) = delete;

    BIO* bio;
    bool eof_written = false;
};

struct ObjectState : std::enable_shared_from_this<ObjectState> {
    ObjectState(SSL* s, SSLContext c, MemoryBIO in, MemoryBIO out, bool server, std::optional<std::string> host)
        : ssl(s), context(std::move(c)), incoming(std::move(in)), outgoing(std::move(out)), server_side(server),
          server_hostname(std::move(host)) {}
    ~ObjectState() { SSL_free(ssl); }
    ObjectState(const ObjectState&) = delete;
    ObjectState& operator=(const ObjectState&) = delete;

    SSL* ssl;
    SSLContext context;
    MemoryBIO incoming;
    MemoryBIO outgoing;
    bool server_side;
    std::optional<std::string> server_hostname;
};

// ---- errors (errors.cpp)
// Python's _setSSLError: an SSLError from OpenSSL's error queue (then cleared), with `text`
// instead of the reason's own when given; a queue with nothing in it reads "unknown error".
std::exception_ptr error_from_queue(const char* text = nullptr);
// Python's PySSL_SetError: what a failed SSL_* call (its return value `ret`) raises.
std::exception_ptr call_error(const ObjectState& s, int ret);

// ---- the session's steps, without exceptions for "needs more input" (ssl_object.cpp)
// true once the handshake is done, false while it waits for the peer; throws its failure.
bool handshake_step(ObjectState& s);
// Bytes read (0: the peer's close_notify), or nullopt while more input is needed.
std::optional<std::size_t> read_step(ObjectState& s, char* buffer, std::size_t size);
// Bytes taken, or nullopt if the session must read first (a renegotiation).
std::optional<std::size_t> write_step(ObjectState& s, std::string_view data);
// true once both close_notify went, false while the peer's has not come.
bool shutdown_step(ObjectState& s);

// ---- certificates (peer_cert.cpp)
// Python's _decode_certificate (getpeercert(), get_ca_certs()).
PeerCert decode_certificate(X509* cert);
// Python's _certificate_to_der.
std::string certificate_der(X509* cert);

// ---- Python's repr() of a str (functions.cpp): 'text', or "it's" (for error messages).
std::string py_repr(std::string_view text);

// ---- memory buffers (memory_bio.cpp)
// What the buffer holds, without copying; valid until it changes.
std::string_view peek_all(BioState& b);
void clear(BioState& b);
void append(BioState& b, std::string_view data);

}  // namespace concurrence::ssl::detail
