// The SSLError a failure raises, built as CPython's _ssl module builds it (fill_and_set_sslerror
// and PySSL_SetError), so that what() reads as Python's str() (less CPython's source position).
#include <openssl/err.h>
#include <openssl/x509.h>

#include <cctype>
#include <cerrno>
#include <string>

#include "concurrence/ssl/errors.hpp"
#include "ssl/state.hpp"

namespace concurrence::ssl::detail {

namespace {

// Python's errno values of SSLError (_ssl's PY_SSL_ERROR_*).
constexpr int py_error_ssl = 1;
constexpr int py_error_want_read = 2;
constexpr int py_error_want_write = 3;
constexpr int py_error_want_x509_lookup = 4;
constexpr int py_error_syscall = 5;
constexpr int py_error_zero_return = 6;
constexpr int py_error_want_connect = 7;
constexpr int py_error_eof = 8;

// Python's table of library names (_ssl_data).
const char* library_name(int lib) {
    switch (lib) {
        case ERR_LIB_SSL: return "SSL";
        case ERR_LIB_X509: return "X509";
        case ERR_LIB_X509V3: return "X509V3";
        case ERR_LIB_PEM: return "PEM";
        case ERR_LIB_ASN1: return "ASN1";
        case ERR_LIB_EVP: return "EVP";
        case ERR_LIB_BIO: return "BIO";
        case ERR_LIB_BUF: return "BUF";
        case ERR_LIB_CRYPTO: return "CRYPTO";
        case ERR_LIB_EC: return "EC";
        case ERR_LIB_RSA: return "RSA";
        case ERR_LIB_DH: return "DH";
        case ERR_LIB_PKCS12: return "PKCS12";
        case ERR_LIB_PKCS7: return "PKCS7";
        case ERR_LIB_SYS: return "SYS";
        default: return nullptr;
    }
}

// Python's reason names are OpenSSL's macro names (SSL_R_CERTIFICATE_VERIFY_FAILED ->
// "CERTIFICATE_VERIFY_FAILED"), which are the reason texts in upper case with underscores.
// The reasons every library shares (ERR_R_*) have no name in Python's table.
std::string reason_name(unsigned long code) {
    if (ERR_COMMON_ERROR(code)) return {};
    const char* text = ERR_reason_error_string(code);
    if (!text) return {};
    std::string name;
    for (const char* c = text; *c; ++c)
        name += *c == ' ' || *c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(*c)));
    return name;
}

template <class E>
std::exception_ptr make(int py_errno, const std::string& message, std::string lib, std::string reason) {
    return std::make_exception_ptr(E(py_errno, message, std::move(lib), std::move(reason)));
}

enum class Kind { ssl, want_read, want_write, zero_return, syscall, eof, verify };

// fill_and_set_sslerror: "[LIB: REASON] text[: verify message]".
std::exception_ptr build(Kind kind, int py_errno, unsigned long code, const char* text, const ObjectState* s) {
    std::string lib;
    std::string reason;
    if (code) {
        if (const char* name = library_name(ERR_GET_LIB(code))) lib = name;
        reason = reason_name(code);
        if (!text) text = ERR_reason_error_string(code);
    }
    if (!text) text = "unknown error";
    std::string message;
    if (!lib.empty() && !reason.empty())
        message = "[" + lib + ": " + reason + "] ";
    else if (!lib.empty())
        message = "[" + lib + "] ";
    message += text;
    switch (kind) {
        case Kind::verify: {
            const long verify_code = s ? SSL_get_verify_result(s->ssl) : X509_V_OK;
            const std::string host = s && s->server_hostname ? *s->server_hostname : std::string();
            std::string verify;
            if (verify_code == X509_V_ERR_HOSTNAME_MISMATCH)
                verify = "Hostname mismatch, certificate is not valid for '" + host + "'.";
            else if (verify_code == X509_V_ERR_IP_ADDRESS_MISMATCH)
                verify = "IP address mismatch, certificate is not valid for '" + host + "'.";
            else
                verify = X509_verify_cert_error_string(verify_code);
            return std::make_exception_ptr(SSLCertVerificationError(py_errno, message + ": " + verify, lib, reason,
                                                                    verify_code, verify));
        }
        case Kind::want_read: return make<SSLWantReadError>(py_errno, message, lib, reason);
        case Kind::want_write: return make<SSLWantWriteError>(py_errno, message, lib, reason);
        case Kind::zero_return: return make<SSLZeroReturnError>(py_errno, message, lib, reason);
        case Kind::syscall: return make<SSLSyscallError>(py_errno, message, lib, reason);
        case Kind::eof: return make<SSLEOFError>(py_errno, message, lib, reason);
        case Kind::ssl: break;
    }
    return make<SSLError>(py_errno, message, lib, reason);
}

}  // namespace

std::exception_ptr error_from_queue(const char* text) {
    // Python's errno here is the reason part of OpenSSL's code; a given text comes without one.
    const unsigned long code = text ? 0 : ERR_peek_last_error();
    std::exception_ptr error = build(Kind::ssl, code ? ERR_GET_REASON(code) : 0, code, text, nullptr);
    ERR_clear_error();
    return error;
}

std::exception_ptr call_error(const ObjectState& s, int ret) {
    const int ssl_error = SSL_get_error(s.ssl, ret);
    const unsigned long code = ERR_peek_last_error();
    std::exception_ptr error;
    switch (ssl_error) {
        case SSL_ERROR_ZERO_RETURN:
            error = build(Kind::zero_return, py_error_zero_return, code, "TLS/SSL connection has been closed (EOF)", &s);
            break;
        case SSL_ERROR_WANT_READ:
            error = build(Kind::want_read, py_error_want_read, code, "The operation did not complete (read)", &s);
            break;
        case SSL_ERROR_WANT_WRITE:
            error = build(Kind::want_write, py_error_want_write, code, "The operation did not complete (write)", &s);
            break;
        case SSL_ERROR_WANT_X509_LOOKUP:
            error = build(Kind::ssl, py_error_want_x509_lookup, code, "The operation did not complete (X509 lookup)", &s);
            break;
        case SSL_ERROR_WANT_CONNECT:
            error = build(Kind::ssl, py_error_want_connect, code, "The operation did not complete (connect)", &s);
            break;
        case SSL_ERROR_SYSCALL:
            if (code == 0 && ret == 0)
                error = build(Kind::eof, py_error_eof, 0, "EOF occurred in violation of protocol", &s);
            else
                error = build(Kind::syscall, py_error_syscall, code, "Some I/O error occurred", &s);
            break;
        default: {
            const bool lib_ssl = ERR_GET_LIB(code) == ERR_LIB_SSL;
            if (lib_ssl && ERR_GET_REASON(code) == SSL_R_CERTIFICATE_VERIFY_FAILED)
                error = build(Kind::verify, py_error_ssl, code, nullptr, &s);
            else if (lib_ssl && ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
                error = build(Kind::eof, py_error_eof, code, "EOF occurred in violation of protocol", &s);
            else
                error = build(Kind::ssl, py_error_ssl, code, code ? nullptr : "A failure in the SSL library occurred", &s);
        }
    }
    ERR_clear_error();
    return error;
}

}  // namespace concurrence::ssl::detail
