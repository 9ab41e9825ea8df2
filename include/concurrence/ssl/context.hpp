// Python's ssl.SSLContext and ssl.create_default_context: the settings and certificates TLS
// connections are made with (on OpenSSL).
//
//   // A client that checks the server's certificate against the system's CAs:
//   ssl::SSLContext client = ssl::create_default_context();
//   // A server:
//   ssl::SSLContext server(ssl::PROTOCOL_TLS_SERVER);
//   server.load_cert_chain("cert.pem", "key.pem");
//   co_await asyncio::start_server(handle, "", 8443, asyncio::default_stream_limit, {.ssl = server});
//
// Python's attributes are getter/setter pairs: ctx.check_hostname = False is
// ctx.set_check_hostname(false). An SSLContext is a handle: copies share one context, as
// Python's references do, and it may be used from any thread (not changed while it is used).
// Python's defaults: TLS 1.2 at least, Python's cipher list; PROTOCOL_TLS_CLIENT checks the
// hostname and requires a certificate, PROTOCOL_TLS_SERVER asks for none.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "concurrence/ssl/memory_bio.hpp"

namespace concurrence::ssl {

namespace detail {
struct ContextState;
}

class SSLObject;

// Python's _SSLMethod (the two that are not deprecated).
enum class SSLMethod { PROTOCOL_TLS_CLIENT = 16, PROTOCOL_TLS_SERVER = 17 };
inline constexpr SSLMethod PROTOCOL_TLS_CLIENT = SSLMethod::PROTOCOL_TLS_CLIENT;
inline constexpr SSLMethod PROTOCOL_TLS_SERVER = SSLMethod::PROTOCOL_TLS_SERVER;

// Python's VerifyMode.
enum class VerifyMode { CERT_NONE = 0, CERT_OPTIONAL = 1, CERT_REQUIRED = 2 };
inline constexpr VerifyMode CERT_NONE = VerifyMode::CERT_NONE;
inline constexpr VerifyMode CERT_OPTIONAL = VerifyMode::CERT_OPTIONAL;
inline constexpr VerifyMode CERT_REQUIRED = VerifyMode::CERT_REQUIRED;

// Python's TLSVersion (the protocol numbers).
enum class TLSVersion : int {
    MINIMUM_SUPPORTED = -2,
    MAXIMUM_SUPPORTED = -1,
    TLSv1 = 0x0301,
    TLSv1_1 = 0x0302,
    TLSv1_2 = 0x0303,
    TLSv1_3 = 0x0304,
};

// Python's Purpose: what the peer's certificate is checked for.
enum class Purpose { SERVER_AUTH, CLIENT_AUTH };

// Python's AlertDescription values an sni_callback returns most (the TLS alert numbers).
inline constexpr int ALERT_DESCRIPTION_HANDSHAKE_FAILURE = 40;
inline constexpr int ALERT_DESCRIPTION_INTERNAL_ERROR = 80;
inline constexpr int ALERT_DESCRIPTION_UNRECOGNIZED_NAME = 112;

// Python's Options (ctx.options), OpenSSL's SSL_OP_* values. Python's default context has
// OP_NO_COMPRESSION, OP_CIPHER_SERVER_PREFERENCE, OP_ENABLE_MIDDLEBOX_COMPAT and OP_NO_SSLv3
// (with OP_ALL's workarounds) set.
inline constexpr long OP_ALL = 0x80000050L;
inline constexpr long OP_NO_SSLv3 = 0x02000000L;
inline constexpr long OP_NO_TLSv1 = 0x04000000L;
inline constexpr long OP_NO_TLSv1_1 = 0x10000000L;
inline constexpr long OP_NO_TLSv1_2 = 0x08000000L;
inline constexpr long OP_NO_TLSv1_3 = 0x20000000L;
inline constexpr long OP_NO_COMPRESSION = 0x00020000L;
inline constexpr long OP_NO_TICKET = 0x00004000L;
inline constexpr long OP_CIPHER_SERVER_PREFERENCE = 0x00400000L;
inline constexpr long OP_NO_RENEGOTIATION = 0x40000000L;
inline constexpr long OP_ENABLE_MIDDLEBOX_COMPAT = 0x00100000L;
inline constexpr long OP_IGNORE_UNEXPECTED_EOF = 0x00000080L;

// Python's VerifyFlags (ctx.verify_flags), OpenSSL's X509_V_FLAG_* values.
inline constexpr long VERIFY_DEFAULT = 0;
inline constexpr long VERIFY_CRL_CHECK_LEAF = 0x4L;
inline constexpr long VERIFY_CRL_CHECK_CHAIN = 0xcL;
inline constexpr long VERIFY_X509_STRICT = 0x20L;
inline constexpr long VERIFY_ALLOW_PROXY_CERTS = 0x40L;
inline constexpr long VERIFY_X509_TRUSTED_FIRST = 0x8000L;
inline constexpr long VERIFY_X509_PARTIAL_CHAIN = 0x80000L;

// One entry of Python's ctx.get_ciphers() (its dictionary's keys).
struct CipherInfo {
    long id = 0;                       // 50336514 (0x03001302)
    std::string name;                  // "TLS_AES_256_GCM_SHA384"
    std::string protocol;              // "TLSv1.3"
    std::string description;           // OpenSSL's line: "TLS_AES_256_GCM_SHA384 TLSv1.3 Kx=any ..."
    int strength_bits = 0;
    int alg_bits = 0;
    bool aead = false;
    std::optional<std::string> symmetric;  // "aes-256-gcm"
    std::optional<std::string> digest;     // "sha384"; None (nullopt) for an AEAD cipher
    std::optional<std::string> kea;        // "kx-ecdhe", "kx-any"
    std::optional<std::string> auth;       // "auth-rsa", "auth-any"
};

// Python's ctx.cert_store_stats(): certificates and CRLs in the store (x509_ca: those that are CAs).
struct CertStoreStats {
    long x509 = 0;
    long crl = 0;
    long x509_ca = 0;
};

// Python's ctx.session_stats() (OpenSSL's session cache counters).
struct SessionStats {
    long number = 0;
    long connect = 0;
    long connect_good = 0;
    long connect_renegotiate = 0;
    long accept = 0;
    long accept_good = 0;
    long accept_renegotiate = 0;
    long hits = 0;
    long misses = 0;
    long timeouts = 0;
    long cache_full = 0;
};

// Python's getpeercert() dictionary (and get_ca_certs()' entries). A distinguished name is a list of relative ones, each a
// list of (attribute, value) with OpenSSL's long names, e.g. {{"commonName", "localhost"}}.
struct PeerCert {
    using Name = std::vector<std::vector<std::pair<std::string, std::string>>>;
    Name subject;
    Name issuer;
    long version = 0;
    std::string serialNumber;  // hexadecimal, upper case
    std::string notBefore;     // "Nov 28 00:55:18 2026 GMT"
    std::string notAfter;
    // ("DNS", "localhost"), ("IP Address", "127.0.0.1"), ("email", ...), ("URI", ...)
    std::vector<std::pair<std::string, std::string>> subjectAltName;
    // Python's {}: the certificate was not verified (CERT_NONE), so nothing of it is told.
    bool empty() const noexcept { return version == 0; }
};

class SSLContext;

// Python's sni_callback(ssl_object, server_name, ssl_context): called in a server's handshake
// with the name the client asked for (nullopt without SNI). It may put the connection on
// another context (ssl_object.set_context(other): another certificate). nullopt goes on; an
// alert number ends the handshake with that alert. An exception ends it with
// HANDSHAKE_FAILURE (and is reported on stderr, as Python's unraisable hook does). A callback
// that holds its own context by value makes a cycle that is never freed: capture it by
// reference, or hold the other contexts only.
using SNICallback =
    std::function<std::optional<int>(SSLObject& ssl_object, std::optional<std::string> server_name, SSLContext& context)>;

class SSLContext {
public:
    explicit SSLContext(SSLMethod protocol);

    SSLMethod protocol() const;

    // Turning it on sets verify_mode to CERT_REQUIRED if it was CERT_NONE (Python's rule).
    bool check_hostname() const;
    void set_check_hostname(bool on);
    // CERT_NONE while check_hostname is on: ValueError("Cannot set verify_mode to CERT_NONE
    // when check_hostname is enabled.").
    VerifyMode verify_mode() const;
    void set_verify_mode(VerifyMode mode);
    TLSVersion minimum_version() const;
    void set_minimum_version(TLSVersion version);
    TLSVersion maximum_version() const;
    void set_maximum_version(TLSVersion version);

    // This side's certificate (PEM, with its chain) and private key (in certfile when keyfile
    // is not given). A missing file: FileNotFoundError; not PEM: SSLError("[SSL] PEM lib");
    // a key that is not the certificate's: SSLError("[X509: KEY_VALUES_MISMATCH] key values
    // mismatch"); a wrong password: SSLError.
    void load_cert_chain(const std::string& certfile, std::optional<std::string> keyfile = std::nullopt,
                         std::optional<std::string> password = std::nullopt);
    // The CAs that certify peers: a PEM file, a folder hashed by c_rehash, PEM text. None of
    // them: TypeError("cafile, capath and cadata cannot be all omitted").
    void load_verify_locations(std::optional<std::string> cafile = std::nullopt,
                               std::optional<std::string> capath = std::nullopt,
                               std::optional<std::string> cadata = std::nullopt);
    // The system's CAs (SSL_CERT_FILE / SSL_CERT_DIR, else OpenSSL's default paths).
    void load_default_certs(Purpose purpose = Purpose::SERVER_AUTH);
    void set_default_verify_paths();
    // OpenSSL's cipher list syntax (TLS 1.2 and below); SSLError("No cipher can be selected.").
    void set_ciphers(const std::string& ciphers);
    // ALPN, in preference order: e.g. {"h2", "http/1.1"}; a name over 255 bytes or empty:
    // SSLError("ALPN protocols must be 1 to 255 in length").
    void set_alpn_protocols(const std::vector<std::string>& protocols);

    // Python's sni_callback attribute (server contexts); an empty function removes it.
    void set_sni_callback(SNICallback callback);
    const SNICallback& sni_callback() const;
    // Python's keylog_filename: the session secrets of every connection are appended to this
    // file, in the NSS key log format Wireshark reads (for debugging: anyone with the file can
    // decrypt the traffic). nullopt stops it. create_default_context sets it from
    // SSLKEYLOGFILE, as Python. A file that cannot be opened: OSError (PermissionError...).
    void set_keylog_filename(std::optional<std::string> path);
    std::optional<std::string> keylog_filename() const;

    // Python's options: OP_* bits. Setting clears the bits not given and sets those given
    // (Python warns for the OP_NO_SSL*/OP_NO_TLS* ones, deprecated; here they are just set).
    long options() const;
    void set_options(long options);
    // Python's verify_flags: VERIFY_* bits of the certificate checks.
    long verify_flags() const;
    void set_verify_flags(long flags);
    // Python's hostname_checks_common_name (true by default: a certificate without a
    // subjectAltName is matched on its commonName).
    bool hostname_checks_common_name() const;
    void set_hostname_checks_common_name(bool on);
    // Python's post_handshake_auth (TLS 1.3): a client offers its certificate after the
    // handshake; a server that asks for one (verify_mode not CERT_NONE) may then call
    // SSLObject::verify_client_post_handshake(). Applies to SSLObjects made afterwards.
    bool post_handshake_auth() const;
    void set_post_handshake_auth(bool on);
    // Python's security_level: OpenSSL's (2 with Python's cipher string).
    int security_level() const;
    // The ciphers this context may use, in preference order (Python's get_ciphers()).
    std::vector<CipherInfo> get_ciphers() const;
    // ECDH key exchange with this curve only ("prime256v1", "secp384r1"...): ValueError("unknown
    // elliptic curve name 'x'") for a name OpenSSL does not know.
    void set_ecdh_curve(const std::string& curve_name);
    // Diffie-Hellman parameters (a PEM "DH PARAMETERS" file) for the DHE ciphers. A missing
    // file: FileNotFoundError; no parameters in it: SSLError("[PEM: NO_START_LINE] no start line").
    void load_dh_params(const std::string& path);
    CertStoreStats cert_store_stats() const;
    // The CA certificates of the store (loaded with cafile or cadata; capath's are loaded only
    // when used, so they are not listed, as Python), decoded as getpeercert() does.
    std::vector<PeerCert> get_ca_certs() const;
    // Python's get_ca_certs(binary_form=True): their DER bytes.
    std::vector<std::string> get_ca_certs_der() const;
    SessionStats session_stats() const;

    // Python's wrap_bio: a TLS session over two memory buffers. A server side on a
    // PROTOCOL_TLS_CLIENT context (or a client side on a server one): SSLError. An empty
    // server_hostname or one starting with a dot: ValueError.
    SSLObject wrap_bio(MemoryBIO incoming, MemoryBIO outgoing, bool server_side = false,
                       std::optional<std::string> server_hostname = std::nullopt) const;

    // "<ssl.SSLContext object at 0x...>"
    std::string repr() const;
    // The same context (Python's `is`).
    friend bool operator==(const SSLContext& a, const SSLContext& b) { return a.state_ == b.state_; }

    detail::ContextState& state() const noexcept { return *state_; }

private:
    std::shared_ptr<detail::ContextState> state_;
};

// Python's ssl.create_default_context: SERVER_AUTH makes a client context (check_hostname,
// CERT_REQUIRED) that trusts the given CAs, or the system's; CLIENT_AUTH a server context.
// As Python 3.13, its verification is strict (VERIFY_X509_STRICT) and takes a trusted
// intermediate as an anchor (VERIFY_X509_PARTIAL_CHAIN).
SSLContext create_default_context(Purpose purpose = Purpose::SERVER_AUTH,
                                  std::optional<std::string> cafile = std::nullopt,
                                  std::optional<std::string> capath = std::nullopt,
                                  std::optional<std::string> cadata = std::nullopt);

}  // namespace concurrence::ssl
