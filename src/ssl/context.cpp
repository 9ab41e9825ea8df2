// Python's ssl.SSLContext (_ssl.c's PySSLContext and ssl.py's SSLContext), on OpenSSL.
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <memory>

#include "concurrence/base/errors.hpp"
#include "concurrence/ssl/errors.hpp"
#include "concurrence/ssl/ssl_object.hpp"
#include "ssl/state.hpp"

namespace concurrence::ssl {

namespace {

// Python's PY_SSL_DEFAULT_CIPHER_STRING (3.10+): forward secrecy and AEAD ciphers only.
constexpr const char* default_ciphers =
    "@SECLEVEL=2:ECDH+AESGCM:ECDH+CHACHA20:ECDH+AES:DHE+AES:!aNULL:!eNULL:!aDSS:!SHA1:!AESCCM";
// Servers that verify clients need a session id context, or resumed sessions fail.
constexpr unsigned char session_id_context[] = "concurrence";

[[noreturn]] void raise_queue(const char* text = nullptr) { std::rethrow_exception(detail::error_from_queue(text)); }

// A failed load from a file: the system's error if there was one (Python: OSError from errno,
// e.g. FileNotFoundError), else OpenSSL's.
[[noreturn]] void raise_load_error() {
    if (errno != 0) {
        const int code = errno;
        ERR_clear_error();
        std::rethrow_exception(os_error(code));
    }
    raise_queue();
}

int password_callback(char* buffer, int size, int /*rwflag*/, void* userdata) {
    const auto* password = static_cast<const std::string*>(userdata);
    if (!password || password->size() > static_cast<std::size_t>(size)) return 0;
    std::memcpy(buffer, password->data(), password->size());
    return static_cast<int>(password->size());
}

// The server's half of ALPN: the first of the client's protocols this side also lists.
int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned int inlen,
                void* arg) {
    const auto* state = static_cast<const detail::ContextState*>(arg);
    if (state->alpn_wire.empty()) return SSL_TLSEXT_ERR_NOACK;
    unsigned char* selected = nullptr;
    const int r = SSL_select_next_proto(&selected, outlen, reinterpret_cast<const unsigned char*>(state->alpn_wire.data()),
                                        static_cast<unsigned int>(state->alpn_wire.size()), in, inlen);
    if (r != OPENSSL_NPN_NEGOTIATED) return SSL_TLSEXT_ERR_NOACK;
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
}

// Python's _servername_callback: the context's sni_callback, with the connection's SSLObject.
int on_servername(SSL* ssl, int* alert, void* arg) {
    auto* context_state = static_cast<detail::ContextState*>(arg);
    auto* object_state = static_cast<detail::ObjectState*>(SSL_get_ex_data(ssl, 0));
    if (!context_state->sni_callback || !object_state) return SSL_TLSEXT_ERR_OK;
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    std::optional<std::string> server_name;
    if (name) server_name = name;
    SSLObject ssl_object(object_state->shared_from_this());
    SSLContext context = object_state->context;
    try {
        std::optional<int> result = context_state->sni_callback(ssl_object, std::move(server_name), context);
        if (!result) return SSL_TLSEXT_ERR_OK;
        *alert = *result;
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "Exception ignored in ssl servername callback: %s\n", e.what());
    } catch (...) {
        std::fprintf(stderr, "Exception ignored in ssl servername callback\n");
    }
    *alert = SSL_AD_HANDSHAKE_FAILURE;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
}

// Python's _PySSL_keylog_callback: one line per secret, appended under the context's lock.
void on_keylog(const SSL* ssl, const char* line) {
    auto* object_state = static_cast<detail::ObjectState*>(SSL_get_ex_data(ssl, 0));
    if (!object_state) return;
    detail::ContextState& state = object_state->context.state();
    std::lock_guard lock(state.keylog_mutex);
    if (!state.keylog_file) return;
    std::fputs(line, state.keylog_file);
    std::fputc('\n', state.keylog_file);
    std::fflush(state.keylog_file);
}

int to_openssl_version(TLSVersion v, bool minimum) {
    switch (v) {
        case TLSVersion::MINIMUM_SUPPORTED: return minimum ? 0 : TLS1_VERSION;
        case TLSVersion::MAXIMUM_SUPPORTED: return minimum ? TLS1_3_VERSION : 0;
        default: return static_cast<int>(v);
    }
}

TLSVersion from_openssl_version(long v, bool minimum) {
    if (v == 0) return minimum ? TLSVersion::MINIMUM_SUPPORTED : TLSVersion::MAXIMUM_SUPPORTED;
    return static_cast<TLSVersion>(v);
}

// cadata: PEM text (one or more certificates) or DER bytes, as Python takes str or bytes.
void add_ca_certs(SSL_CTX* ctx, const std::string& cadata) {
    const bool pem = cadata.find("-----BEGIN") != std::string::npos;
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(cadata.data(), static_cast<int>(cadata.size())),
                                                  &BIO_free);
    if (!bio) throw std::bad_alloc();
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    int loaded = 0;
    for (;;) {
        X509* cert = pem ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : d2i_X509_bio(bio.get(), nullptr);
        if (!cert) break;
        const int ok = X509_STORE_add_cert(store, cert);
        X509_free(cert);
        if (!ok) {
            const unsigned long e = ERR_peek_last_error();
            // The same certificate twice is not an error (Python ignores it too).
            if (ERR_GET_LIB(e) != ERR_LIB_X509 || ERR_GET_REASON(e) != X509_R_CERT_ALREADY_IN_HASH_TABLE) raise_queue();
            ERR_clear_error();
        }
        ++loaded;
    }
    if (loaded == 0)
        raise_queue(pem ? "no start line: cadata does not contain a certificate"
                        : "not enough data: cadata does not contain a certificate");
    ERR_clear_error();  // the end of the data reads as an error in the queue
}

}  // namespace

SSLContext::SSLContext(SSLMethod protocol) {
    SSL_CTX* ctx = SSL_CTX_new(protocol == SSLMethod::PROTOCOL_TLS_SERVER ? TLS_server_method() : TLS_client_method());
    if (!ctx) raise_queue();
    state_ = std::make_shared<detail::ContextState>(ctx, protocol);
    // Python's defaults (_ssl__SSLContext_impl).
    SSL_CTX_set_options(ctx, (SSL_OP_ALL & ~(SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS | SSL_OP_LEGACY_SERVER_CONNECT)) |
                                 SSL_OP_NO_SSLv3 | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                 SSL_OP_SINGLE_DH_USE | SSL_OP_SINGLE_ECDH_USE);
    if (!SSL_CTX_set_cipher_list(ctx, default_ciphers)) raise_queue("No cipher can be selected.");
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_session_id_context(ctx, session_id_context, sizeof session_id_context - 1);
    X509_VERIFY_PARAM* params = SSL_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_flags(params, X509_V_FLAG_TRUSTED_FIRST);
    X509_VERIFY_PARAM_set_hostflags(params, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    SSL_CTX_set_alpn_select_cb(ctx, &select_alpn, state_.get());
    if (protocol == SSLMethod::PROTOCOL_TLS_CLIENT) {
        state_->check_hostname = true;
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    }
}

SSLMethod SSLContext::protocol() const { return state_->method; }

bool SSLContext::check_hostname() const { return state_->check_hostname; }

void SSLContext::set_check_hostname(bool on) {
    if (on && verify_mode() == VerifyMode::CERT_NONE) set_verify_mode(VerifyMode::CERT_REQUIRED);
    state_->check_hostname = on;
}

VerifyMode SSLContext::verify_mode() const {
    const int mode = SSL_CTX_get_verify_mode(state_->ctx);
    if (!(mode & SSL_VERIFY_PEER)) return VerifyMode::CERT_NONE;
    return (mode & SSL_VERIFY_FAIL_IF_NO_PEER_CERT) ? VerifyMode::CERT_REQUIRED : VerifyMode::CERT_OPTIONAL;
}

void SSLContext::set_verify_mode(VerifyMode mode) {
    if (mode == VerifyMode::CERT_NONE && state_->check_hostname)
        throw ValueError("Cannot set verify_mode to CERT_NONE when check_hostname is enabled.");
    int flags = SSL_VERIFY_NONE;
    if (mode == VerifyMode::CERT_OPTIONAL) flags = SSL_VERIFY_PEER;
    if (mode == VerifyMode::CERT_REQUIRED) flags = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_CTX_set_verify(state_->ctx, flags, SSL_CTX_get_verify_callback(state_->ctx));
}

TLSVersion SSLContext::minimum_version() const {
    return from_openssl_version(SSL_CTX_get_min_proto_version(state_->ctx), true);
}

void SSLContext::set_minimum_version(TLSVersion version) {
    const int v = to_openssl_version(version, true);
    if (!SSL_CTX_set_min_proto_version(state_->ctx, v)) {
        ERR_clear_error();
        char text[64];
        std::snprintf(text, sizeof text, "Unsupported protocol version 0x%x", static_cast<unsigned>(version));
        throw ValueError(text);
    }
}

TLSVersion SSLContext::maximum_version() const {
    return from_openssl_version(SSL_CTX_get_max_proto_version(state_->ctx), false);
}

void SSLContext::set_maximum_version(TLSVersion version) {
    const int v = to_openssl_version(version, false);
    if (!SSL_CTX_set_max_proto_version(state_->ctx, v)) {
        ERR_clear_error();
        char text[64];
        std::snprintf(text, sizeof text, "Unsupported protocol version 0x%x", static_cast<unsigned>(version));
        throw ValueError(text);
    }
}

void SSLContext::load_cert_chain(const std::string& certfile, std::optional<std::string> keyfile,
                                 std::optional<std::string> password) {
    SSL_CTX* ctx = state_->ctx;
    // Without a password, an encrypted key fails instead of OpenSSL asking on the terminal.
    SSL_CTX_set_default_passwd_cb(ctx, &password_callback);
    SSL_CTX_set_default_passwd_cb_userdata(ctx, password ? &*password : nullptr);
    struct ResetPassword {
        SSL_CTX* ctx;
        ~ResetPassword() {
            SSL_CTX_set_default_passwd_cb(ctx, nullptr);
            SSL_CTX_set_default_passwd_cb_userdata(ctx, nullptr);
        }
    } reset{ctx};
    ERR_clear_error();
    errno = 0;
    if (SSL_CTX_use_certificate_chain_file(ctx, certfile.c_str()) != 1) raise_load_error();
    errno = 0;
    if (SSL_CTX_use_PrivateKey_file(ctx, keyfile ? keyfile->c_str() : certfile.c_str(), SSL_FILETYPE_PEM) != 1)
        raise_load_error();
    if (SSL_CTX_check_private_key(ctx) != 1) raise_queue();
}

void SSLContext::load_verify_locations(std::optional<std::string> cafile, std::optional<std::string> capath,
                                       std::optional<std::string> cadata) {
    if (!cafile && !capath && !cadata) throw TypeError("cafile, capath and cadata cannot be all omitted");
    if (cadata) add_ca_certs(state_->ctx, *cadata);
    if (cafile || capath) {
        ERR_clear_error();
        errno = 0;
        if (SSL_CTX_load_verify_locations(state_->ctx, cafile ? cafile->c_str() : nullptr,
                                          capath ? capath->c_str() : nullptr) != 1)
            raise_load_error();
    }
}

void SSLContext::load_default_certs(Purpose) { set_default_verify_paths(); }

void SSLContext::set_default_verify_paths() {
    ERR_clear_error();
    if (SSL_CTX_set_default_verify_paths(state_->ctx) != 1) raise_queue();
}

void SSLContext::set_ciphers(const std::string& ciphers) {
    if (SSL_CTX_set_cipher_list(state_->ctx, ciphers.c_str()) != 1) {
        ERR_clear_error();
        throw SSLError("No cipher can be selected.");
    }
}

void SSLContext::set_alpn_protocols(const std::vector<std::string>& protocols) {
    std::string wire;
    for (const std::string& p : protocols) {
        if (p.empty() || p.size() > 255) throw SSLError("ALPN protocols must be 1 to 255 in length");
        wire += static_cast<char>(p.size());
        wire += p;
    }
    state_->alpn_wire = wire;
    if (SSL_CTX_set_alpn_protos(state_->ctx, reinterpret_cast<const unsigned char*>(wire.data()),
                                static_cast<unsigned int>(wire.size())) != 0)
        raise_queue();
}

void SSLContext::set_sni_callback(SNICallback callback) {
    state_->sni_callback = std::move(callback);
    // SSL_CTX_set_tlsext_servername_callback / _arg, without their macros' C casts.
    SSL_CTX_callback_ctrl(state_->ctx, SSL_CTRL_SET_TLSEXT_SERVERNAME_CB,
                          state_->sni_callback ? reinterpret_cast<void (*)()>(&on_servername) : nullptr);
    SSL_CTX_ctrl(state_->ctx, SSL_CTRL_SET_TLSEXT_SERVERNAME_ARG, 0, state_.get());
}

const SNICallback& SSLContext::sni_callback() const { return state_->sni_callback; }

void SSLContext::set_keylog_filename(std::optional<std::string> path) {
    std::lock_guard lock(state_->keylog_mutex);
    if (state_->keylog_file) {
        std::fclose(state_->keylog_file);
        state_->keylog_file = nullptr;
    }
    state_->keylog_path.reset();
    SSL_CTX_set_keylog_callback(state_->ctx, nullptr);
    if (!path) return;
    std::FILE* file = std::fopen(path->c_str(), "a");
    if (!file) std::rethrow_exception(os_error(errno, *path));
    // Python's header, on a new file.
    if (std::ftell(file) == 0) std::fputs("# TLS secrets log file, generated by OpenSSL / Python\n", file);
    std::fflush(file);
    state_->keylog_file = file;
    state_->keylog_path = std::move(path);
    SSL_CTX_set_keylog_callback(state_->ctx, &on_keylog);
}

std::optional<std::string> SSLContext::keylog_filename() const {
    std::lock_guard lock(state_->keylog_mutex);
    return state_->keylog_path;
}

std::string SSLContext::repr() const {
    char text[64];
    std::snprintf(text, sizeof text, "<ssl.SSLContext object at %p>", static_cast<const void*>(state_.get()));
    return text;
}

SSLContext create_default_context(Purpose purpose, std::optional<std::string> cafile, std::optional<std::string> capath,
                                  std::optional<std::string> cadata) {
    SSLContext context(purpose == Purpose::SERVER_AUTH ? PROTOCOL_TLS_CLIENT : PROTOCOL_TLS_SERVER);
    if (purpose == Purpose::SERVER_AUTH) {
        context.set_verify_mode(CERT_REQUIRED);
        context.set_check_hostname(true);
    }
    if (cafile || capath || cadata)
        context.load_verify_locations(std::move(cafile), std::move(capath), std::move(cadata));
    else if (context.verify_mode() != CERT_NONE)
        context.load_default_certs(purpose);
    // Python: the session secrets go where SSLKEYLOGFILE says (for Wireshark).
    if (const char* keylog = std::getenv("SSLKEYLOGFILE"); keylog && *keylog) context.set_keylog_filename(keylog);
    // Python 3.13: strict checks of certificates, and a trusted intermediate is an anchor.
    X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(context.state().ctx),
                                X509_V_FLAG_X509_STRICT | X509_V_FLAG_PARTIAL_CHAIN);
    return context;
}

}  // namespace concurrence::ssl
