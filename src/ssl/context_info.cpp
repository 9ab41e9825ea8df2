// SSLContext's settings and reports beyond the basics: options, verify_flags, the cipher list,
// the ECDH curve and DH parameters, the certificate store, the session cache counters (_ssl.c's
// PySSLContext getters and methods).
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string_view>

#include "concurrence/base/errors.hpp"
#include "concurrence/ssl/context.hpp"
#include "concurrence/ssl/errors.hpp"
#include "ssl/state.hpp"

namespace concurrence::ssl {

// The public constants are OpenSSL's numbers, written out so the headers need no OpenSSL.
// Python's OP_ALL leaves out the empty fragments and legacy renegotiation workarounds.
static_assert(OP_ALL ==
              static_cast<long>(SSL_OP_ALL & ~(SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS | SSL_OP_LEGACY_SERVER_CONNECT)));
static_assert(OP_NO_SSLv3 == static_cast<long>(SSL_OP_NO_SSLv3));
static_assert(OP_NO_TLSv1 == static_cast<long>(SSL_OP_NO_TLSv1));
static_assert(OP_NO_TLSv1_1 == static_cast<long>(SSL_OP_NO_TLSv1_1));
static_assert(OP_NO_TLSv1_2 == static_cast<long>(SSL_OP_NO_TLSv1_2));
static_assert(OP_NO_TLSv1_3 == static_cast<long>(SSL_OP_NO_TLSv1_3));
static_assert(OP_NO_COMPRESSION == static_cast<long>(SSL_OP_NO_COMPRESSION));
static_assert(OP_NO_TICKET == static_cast<long>(SSL_OP_NO_TICKET));
static_assert(OP_CIPHER_SERVER_PREFERENCE == static_cast<long>(SSL_OP_CIPHER_SERVER_PREFERENCE));
static_assert(OP_NO_RENEGOTIATION == static_cast<long>(SSL_OP_NO_RENEGOTIATION));
static_assert(OP_ENABLE_MIDDLEBOX_COMPAT == static_cast<long>(SSL_OP_ENABLE_MIDDLEBOX_COMPAT));
static_assert(OP_IGNORE_UNEXPECTED_EOF == static_cast<long>(SSL_OP_IGNORE_UNEXPECTED_EOF));
static_assert(VERIFY_CRL_CHECK_LEAF == X509_V_FLAG_CRL_CHECK);
static_assert(VERIFY_CRL_CHECK_CHAIN == (X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL));
static_assert(VERIFY_X509_STRICT == X509_V_FLAG_X509_STRICT);
static_assert(VERIFY_ALLOW_PROXY_CERTS == X509_V_FLAG_ALLOW_PROXY_CERTS);
static_assert(VERIFY_X509_TRUSTED_FIRST == X509_V_FLAG_TRUSTED_FIRST);
static_assert(VERIFY_X509_PARTIAL_CHAIN == X509_V_FLAG_PARTIAL_CHAIN);

namespace {

[[noreturn]] void raise_queue() { std::rethrow_exception(detail::error_from_queue()); }

std::optional<std::string> nid_long_name(int nid) {
    if (nid == NID_undef) return std::nullopt;
    const char* name = OBJ_nid2ln(nid);
    if (!name) return std::nullopt;
    return std::string(name);
}

// Python's cipher_to_dict.
CipherInfo cipher_info(const SSL_CIPHER* cipher) {
    CipherInfo out;
    out.id = static_cast<long>(SSL_CIPHER_get_id(cipher));
    out.name = SSL_CIPHER_get_name(cipher);
    out.protocol = SSL_CIPHER_get_version(cipher);
    out.strength_bits = SSL_CIPHER_get_bits(cipher, &out.alg_bits);
    char buffer[512] = {};
    SSL_CIPHER_description(cipher, buffer, sizeof buffer - 1);
    out.description = buffer;
    if (out.description.size() > 1 && out.description.back() == '\n') out.description.pop_back();
    out.aead = SSL_CIPHER_is_aead(cipher) != 0;
    out.symmetric = nid_long_name(SSL_CIPHER_get_cipher_nid(cipher));
    out.digest = nid_long_name(SSL_CIPHER_get_digest_nid(cipher));
    out.kea = nid_long_name(SSL_CIPHER_get_kx_nid(cipher));
    out.auth = nid_long_name(SSL_CIPHER_get_auth_nid(cipher));
    return out;
}

// The certificates of the context's store (Python walks X509_STORE_get0_objects).
template <class F>
void for_each_store_object(SSL_CTX* ctx, F f) {
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    STACK_OF(X509_OBJECT)* objects = X509_STORE_get0_objects(store);
    for (int i = 0; i < sk_X509_OBJECT_num(objects); ++i) f(sk_X509_OBJECT_value(objects, i));
}

template <class F>
void for_each_ca(SSL_CTX* ctx, F f) {
    for_each_store_object(ctx, [&](X509_OBJECT* object) {
        if (X509_OBJECT_get_type(object) != X509_LU_X509) return;
        X509* cert = X509_OBJECT_get0_X509(object);
        if (X509_check_ca(cert)) f(cert);
    });
}

}  // namespace

long SSLContext::options() const { return static_cast<long>(SSL_CTX_get_options(state_->ctx)); }

void SSLContext::set_options(long options) {
    // Python's set_options: clear what is no longer asked, set what is new.
    const auto current = static_cast<long>(SSL_CTX_get_options(state_->ctx));
    const long clear = current & ~options;
    const long set = ~current & options;
    if (clear) SSL_CTX_clear_options(state_->ctx, static_cast<std::uint64_t>(clear));
    if (set) SSL_CTX_set_options(state_->ctx, static_cast<std::uint64_t>(set));
}

long SSLContext::verify_flags() const {
    return static_cast<long>(X509_VERIFY_PARAM_get_flags(SSL_CTX_get0_param(state_->ctx)));
}

void SSLContext::set_verify_flags(long flags) {
    X509_VERIFY_PARAM* param = SSL_CTX_get0_param(state_->ctx);
    const auto current = static_cast<long>(X509_VERIFY_PARAM_get_flags(param));
    const long clear = current & ~flags;
    const long set = ~current & flags;
    if (clear && !X509_VERIFY_PARAM_clear_flags(param, static_cast<unsigned long>(clear))) raise_queue();
    if (set && !X509_VERIFY_PARAM_set_flags(param, static_cast<unsigned long>(set))) raise_queue();
}

bool SSLContext::hostname_checks_common_name() const {
    const unsigned int flags = X509_VERIFY_PARAM_get_hostflags(SSL_CTX_get0_param(state_->ctx));
    return !(flags & X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
}

void SSLContext::set_hostname_checks_common_name(bool on) {
    X509_VERIFY_PARAM* param = SSL_CTX_get0_param(state_->ctx);
    unsigned int flags = X509_VERIFY_PARAM_get_hostflags(param);
    if (on)
        flags &= ~static_cast<unsigned int>(X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
    else
        flags |= X509_CHECK_FLAG_NEVER_CHECK_SUBJECT;
    X509_VERIFY_PARAM_set_hostflags(param, flags);
}

bool SSLContext::post_handshake_auth() const { return state_->post_handshake_auth; }
void SSLContext::set_post_handshake_auth(bool on) { state_->post_handshake_auth = on; }

int SSLContext::security_level() const { return SSL_CTX_get_security_level(state_->ctx); }

std::vector<CipherInfo> SSLContext::get_ciphers() const {
    // Python asks a new SSL: the context's list as a connection would use it.
    std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(state_->ctx), &SSL_free);
    if (!ssl) raise_queue();
    std::vector<CipherInfo> out;
    STACK_OF(SSL_CIPHER)* ciphers = SSL_get_ciphers(ssl.get());
    for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); ++i) out.push_back(cipher_info(sk_SSL_CIPHER_value(ciphers, i)));
    return out;
}

void SSLContext::set_ecdh_curve(const std::string& curve_name) {
    int nid = OBJ_sn2nid(curve_name.c_str());
    if (nid == NID_undef) throw ValueError("unknown elliptic curve name " + detail::py_repr(curve_name));
    ERR_clear_error();
    // SSL_CTX_set1_groups(ctx, &nid, 1), without its macro's C cast.
    if (!SSL_CTX_ctrl(state_->ctx, SSL_CTRL_SET_GROUPS, 1, &nid)) raise_queue();
}

void SSLContext::load_dh_params(const std::string& path) {
    std::FILE* file = std::fopen(path.c_str(), "rb");
    if (!file) std::rethrow_exception(os_error(errno, path));
    ERR_clear_error();
    errno = 0;
    // PEM_read_DHparams without OpenSSL 3's deprecated DH type: the same PEM block ("DH
    // PARAMETERS" or "X9.42 DH PARAMETERS"), decoded as a key's parameters.
    char* name = nullptr;
    unsigned char* data = nullptr;
    long length = 0;
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_fp(file, BIO_CLOSE), &BIO_free);
    if (!bio) {
        std::fclose(file);
        throw std::bad_alloc();
    }
    const int read = PEM_bytes_read_bio(&data, &length, &name, PEM_STRING_DHPARAMS, bio.get(), nullptr, nullptr);
    const int read_errno = errno;
    bio.reset();
    if (!read) {
        if (read_errno != 0) {
            ERR_clear_error();
            std::rethrow_exception(os_error(read_errno, path));
        }
        raise_queue();
    }
    const int type = std::string_view(name) == PEM_STRING_DHXPARAMS ? EVP_PKEY_DHX : EVP_PKEY_DH;
    const unsigned char* p = data;
    EVP_PKEY* params = d2i_KeyParams(type, nullptr, &p, length);
    OPENSSL_free(name);
    OPENSSL_free(data);
    if (!params) raise_queue();
    // On success the context owns the parameters.
    if (!SSL_CTX_set0_tmp_dh_pkey(state_->ctx, params)) {
        EVP_PKEY_free(params);
        raise_queue();
    }
}

CertStoreStats SSLContext::cert_store_stats() const {
    CertStoreStats out;
    for_each_store_object(state_->ctx, [&](X509_OBJECT* object) {
        switch (X509_OBJECT_get_type(object)) {
            case X509_LU_X509:
                ++out.x509;
                if (X509_check_ca(X509_OBJECT_get0_X509(object))) ++out.x509_ca;
                break;
            case X509_LU_CRL: ++out.crl; break;
            default: break;
        }
    });
    return out;
}

std::vector<PeerCert> SSLContext::get_ca_certs() const {
    std::vector<PeerCert> out;
    for_each_ca(state_->ctx, [&](X509* cert) { out.push_back(detail::decode_certificate(cert)); });
    return out;
}

std::vector<std::string> SSLContext::get_ca_certs_der() const {
    std::vector<std::string> out;
    for_each_ca(state_->ctx, [&](X509* cert) { out.push_back(detail::certificate_der(cert)); });
    return out;
}

SessionStats SSLContext::session_stats() const {
    // The SSL_CTX_sess_* macros, without their C casts.
    auto counter = [this](int what) { return SSL_CTX_ctrl(state_->ctx, what, 0, nullptr); };
    SessionStats out;
    out.number = counter(SSL_CTRL_SESS_NUMBER);
    out.connect = counter(SSL_CTRL_SESS_CONNECT);
    out.connect_good = counter(SSL_CTRL_SESS_CONNECT_GOOD);
    out.connect_renegotiate = counter(SSL_CTRL_SESS_CONNECT_RENEGOTIATE);
    out.accept = counter(SSL_CTRL_SESS_ACCEPT);
    out.accept_good = counter(SSL_CTRL_SESS_ACCEPT_GOOD);
    out.accept_renegotiate = counter(SSL_CTRL_SESS_ACCEPT_RENEGOTIATE);
    out.hits = counter(SSL_CTRL_SESS_HIT);
    out.misses = counter(SSL_CTRL_SESS_MISSES);
    out.timeouts = counter(SSL_CTRL_SESS_TIMEOUTS);
    out.cache_full = counter(SSL_CTRL_SESS_CACHE_FULL);
    return out;
}

}  // namespace concurrence::ssl
