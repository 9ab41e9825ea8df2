// Python's ssl module functions and constants that need no context: OpenSSL's version, the
// PEM <-> DER conversions of a certificate, cert_time_to_seconds, the default CA paths and the
// random bytes.
//
//   std::string pem = ssl::DER_cert_to_PEM_cert(*tls.getpeercert_der());
//   long long t = ssl::cert_time_to_seconds(cert.notAfter);   // seconds since the epoch
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace concurrence::ssl {

// Python's OPENSSL_VERSION: "OpenSSL 3.0.19 27 Jan 2026" (the library loaded).
std::string openssl_version();
// Python's OPENSSL_VERSION_NUMBER: 0x30000130 for 3.0.19.
unsigned long openssl_version_number();
// Python's OPENSSL_VERSION_INFO: (3, 0, 0, 19, 0).
struct OpenSSLVersionInfo {
    int major = 0;
    int minor = 0;
    int fix = 0;
    int patch = 0;
    int status = 0;
};
OpenSSLVersionInfo openssl_version_info();

// DER bytes -> "-----BEGIN CERTIFICATE-----\n" + base64 in lines of 64 + "-----END CERTIFICATE-----\n".
std::string DER_cert_to_PEM_cert(std::string_view der_cert_bytes);
// The reverse: ValueError("Invalid PEM encoding; must start with -----BEGIN CERTIFICATE-----"),
// ValueError("Invalid PEM encoding; must end with -----END CERTIFICATE-----"); a bad base64
// body: ValueError("Incorrect padding") (Python's binascii.Error, a ValueError). Characters
// outside base64's alphabet are skipped, as Python's base64.decodebytes does.
std::string PEM_cert_to_DER_cert(std::string_view pem_cert_string);

// A certificate's time ("Nov 28 00:55:18 2026 GMT", getpeercert()'s notBefore and notAfter)
// as seconds since the epoch. Another form: ValueError("time data 'x' does not match format
// \"%b %d %H:%M:%S %Y GMT\""), as Python's strptime says.
long long cert_time_to_seconds(std::string_view cert_time);

// Python's ssl.get_default_verify_paths(): where set_default_verify_paths() looks. cafile and
// capath are the environment's (SSL_CERT_FILE, SSL_CERT_DIR) or OpenSSL's, nullopt when that
// file or folder does not exist.
struct DefaultVerifyPaths {
    std::optional<std::string> cafile;
    std::optional<std::string> capath;
    std::string openssl_cafile_env;  // "SSL_CERT_FILE"
    std::string openssl_cafile;      // "/usr/lib/ssl/cert.pem"
    std::string openssl_capath_env;  // "SSL_CERT_DIR"
    std::string openssl_capath;      // "/usr/lib/ssl/certs"
};
DefaultVerifyPaths get_default_verify_paths();

// n cryptographically strong random bytes; ValueError("num must be positive") for n < 0.
std::string RAND_bytes(int n);
// Whether OpenSSL's generator is seeded.
bool RAND_status();

}  // namespace concurrence::ssl
