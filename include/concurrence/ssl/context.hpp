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

#include <memory>
#include <optional>
#include <string>
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
