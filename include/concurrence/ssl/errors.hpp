// Python's ssl exceptions. SSLError is an OSError whose errno says what kind of failure it is,
// as Python's: 1 a failure in the TLS library (a bad certificate, a protocol error), 2 and 3
// an operation that needs more data read or written first (SSLWantReadError,
// SSLWantWriteError), 5 a system call's error, 6 the peer closed the TLS session
// (SSLZeroReturnError), 8 the connection ended in violation of the protocol (SSLEOFError).
//
// what() is Python's str() without CPython's source position:
//   "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate"
// library() and reason() are Python's e.library ("SSL") and e.reason ("CERTIFICATE_VERIFY_FAILED"),
// empty when OpenSSL gave none.
#pragma once

#include <string>
#include <utility>

#include "concurrence/base/os_error.hpp"

namespace concurrence::ssl {

class SSLError : public OSError {
public:
    SSLError(int errno_code, const std::string& message, std::string library = {}, std::string reason = {})
        : OSError(errno_code, message, true), library_(std::move(library)), reason_(std::move(reason)) {}
    // Python's SSLError("message"): no errno.
    explicit SSLError(const std::string& message) : OSError(message) {}
    const std::string& library() const noexcept { return library_; }
    const std::string& reason() const noexcept { return reason_; }

private:
    std::string library_;
    std::string reason_;
};

class SSLZeroReturnError : public SSLError { public: using SSLError::SSLError; };
class SSLWantReadError : public SSLError { public: using SSLError::SSLError; };
class SSLWantWriteError : public SSLError { public: using SSLError::SSLError; };
class SSLSyscallError : public SSLError { public: using SSLError::SSLError; };
class SSLEOFError : public SSLError { public: using SSLError::SSLError; };

// The peer's certificate did not verify: verify_code() is OpenSSL's X509_V_ERR_* number
// (18 self-signed, 20 unknown issuer, 62 hostname mismatch...), verify_message() its text.
// Python's class is a ValueError too; here it is an SSLError only.
class SSLCertVerificationError : public SSLError {
public:
    SSLCertVerificationError(int errno_code, const std::string& message, std::string library, std::string reason,
                             long verify_code, std::string verify_message)
        : SSLError(errno_code, message, std::move(library), std::move(reason)),
          verify_code_(verify_code),
          verify_message_(std::move(verify_message)) {}
    long verify_code() const noexcept { return verify_code_; }
    const std::string& verify_message() const noexcept { return verify_message_; }

private:
    long verify_code_;
    std::string verify_message_;
};

// Python's ssl.CertificateError, an alias since 3.7.
using CertificateError = SSLCertVerificationError;

}  // namespace concurrence::ssl
