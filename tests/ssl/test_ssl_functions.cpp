// The ssl module's functions: OPENSSL_VERSION*, DER_cert_to_PEM_cert, PEM_cert_to_DER_cert,
// cert_time_to_seconds, get_default_verify_paths, RAND_bytes, RAND_status (Python 3.11's
// answers and texts).
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ssl_support.hpp"

namespace {

using namespace ssl_tests;
using concurrence::ValueError;

// Sets an environment variable for the test's duration (unset with nullopt), then restores it.
class FnScopedEnv {
public:
    FnScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        if (value)
            ::setenv(name, value->c_str(), 1);
        else
            ::unsetenv(name);
    }
    ~FnScopedEnv() {
        if (old_)
            ::setenv(name_, old_->c_str(), 1);
        else
            ::unsetenv(name_);
    }
    FnScopedEnv(const FnScopedEnv&) = delete;
    FnScopedEnv& operator=(const FnScopedEnv&) = delete;

private:
    const char* name_;
    std::optional<std::string> old_;
};

std::string fn_value_error(std::string_view pem) {
    auto e = catch_as<ValueError>([&] { (void)ssl::PEM_cert_to_DER_cert(pem); });
    return e ? e->what() : "";
}

std::string fn_time_error(std::string_view text) {
    auto e = catch_as<ValueError>([&] { (void)ssl::cert_time_to_seconds(text); });
    return e ? e->what() : "";
}

constexpr const char* kFnHeader = "-----BEGIN CERTIFICATE-----";
constexpr const char* kFnFooter = "-----END CERTIFICATE-----";

// ---- OpenSSL's version

TEST(SSLFunctionsVersion, TextNumberAndInfoAgree) {
    const std::string text = ssl::openssl_version();
    const ssl::OpenSSLVersionInfo info = ssl::openssl_version_info();
    EXPECT_EQ(info.major, 3);
    // "OpenSSL 3.0.19 27 Jan 2026": major.minor.patch of OPENSSL_VERSION_INFO.
    const std::string prefix = "OpenSSL " + std::to_string(info.major) + "." + std::to_string(info.minor) + "." +
                               std::to_string(info.patch) + " ";
    EXPECT_EQ(text.substr(0, prefix.size()), prefix) << text;
    const unsigned long n = ssl::openssl_version_number();
    EXPECT_EQ(n >> 28, 3u);
    EXPECT_EQ(static_cast<int>(n >> 4 & 0xFF), info.patch);
    EXPECT_EQ(static_cast<int>(n & 0xF), info.status);
}

// ---- DER <-> PEM

TEST(SSLFunctionsPem, DerToPemIsPythons) {
    EXPECT_EQ(ssl::DER_cert_to_PEM_cert(""), "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n");
    EXPECT_EQ(ssl::DER_cert_to_PEM_cert("\x01\x02\x03"), "-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n");
    EXPECT_EQ(ssl::DER_cert_to_PEM_cert(std::string(100, '\x01')),
              "-----BEGIN CERTIFICATE-----\n"
              "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB\n"
              "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB\n"
              "AQEBAQ==\n"
              "-----END CERTIFICATE-----\n");
}

TEST(SSLFunctionsPem, RoundTripsTheTestCa) {
    const std::string pem = read_text(tls_file("ca.pem"));
    const std::string der = ssl::PEM_cert_to_DER_cert(pem);
    EXPECT_EQ(der.size(), 479u);
    EXPECT_EQ(der.substr(0, 4), std::string("\x30\x82\x01\xdb", 4));
    EXPECT_EQ(ssl::DER_cert_to_PEM_cert(der), pem);  // openssl writes the same 64-column lines
}

TEST(SSLFunctionsPem, PemErrorsArePythons) {
    EXPECT_EQ(fn_value_error(""), "Invalid PEM encoding; must start with -----BEGIN CERTIFICATE-----");
    EXPECT_EQ(fn_value_error(" -----BEGIN CERTIFICATE-----QUJD-----END CERTIFICATE-----"),
              "Invalid PEM encoding; must start with -----BEGIN CERTIFICATE-----");
    EXPECT_EQ(fn_value_error("-----BEGIN CERTIFICATE-----\nabc"),
              "Invalid PEM encoding; must end with -----END CERTIFICATE-----");
    EXPECT_EQ(fn_value_error("-----BEGIN CERTIFICATE-----QUJD-----END CERTIFICATE----- x"),
              "Invalid PEM encoding; must end with -----END CERTIFICATE-----");
    // binascii.Error (a ValueError) for the body.
    EXPECT_EQ(fn_value_error(std::string(kFnHeader) + "\nQUJD\nRA\n" + kFnFooter), "Incorrect padding");
    EXPECT_EQ(fn_value_error(std::string(kFnHeader) + "\nQUJDR\n" + kFnFooter),
              "Invalid base64-encoded string: number of data characters (5) cannot be 1 more than a multiple of 4");
    EXPECT_EQ(fn_value_error(std::string(kFnHeader) + "QUJDQUJDQ" + kFnFooter),
              "Invalid base64-encoded string: number of data characters (9) cannot be 1 more than a multiple of 4");
}

TEST(SSLFunctionsPem, Base64IsDecodedAsPythonsDecodebytes) {
    const std::string h = kFnHeader;
    const std::string f = kFnFooter;
    EXPECT_EQ(ssl::PEM_cert_to_DER_cert(h + f), "");
    EXPECT_EQ(ssl::PEM_cert_to_DER_cert(h + "\nQU=JD\n" + f), "ABC");          // a lone pad is skipped
    EXPECT_EQ(ssl::PEM_cert_to_DER_cert(h + "QU=JDQU=JD" + f), "ABCABC");
    EXPECT_EQ(ssl::PEM_cert_to_DER_cert(h + "\nQUJD*RA==xx\n" + f + "  \n"), "ABCD");  // ends at the padding
    EXPECT_EQ(ssl::PEM_cert_to_DER_cert(h + "QUJD" + f + "\x1c"), "ABC");     // str.strip()'s whitespace
}

// ---- cert_time_to_seconds

TEST(SSLFunctionsCertTime, SecondsArePythons) {
    const std::vector<std::pair<std::string, long long>> cases = {
        {"Nov 28 00:55:18 2026 GMT", 1795827318},
        {"Jan  5 09:34:43 2018 GMT", 1515144883},
        {"Jan 5 09:34:43 2018 GMT", 1515144883},
        {"jan 5 09:34:43 2018 GMT", 1515144883},
        {"Nov 28 00:55:18 2026 gmt", 1795827318},
        {"Nov 31 23:59:61 2026 GMT", 1796169601},
        {"Feb 31 00:00:00 2024 GMT", 1709337600},
        {"Nov 28 0:5:1 2026 GMT", 1795824301},
        {"Nov\t\n28  00:55:18   2026\tGMT", 1795827318},
        {"NOV 1 00:00:00 1969 GMT", -5270400},
        {"Dec 31 23:59:59 9999 GMT", 253402300799},
    };
    for (const auto& [text, seconds] : cases) EXPECT_EQ(ssl::cert_time_to_seconds(text), seconds) << text;
}

TEST(SSLFunctionsCertTime, ErrorsArePythons) {
    EXPECT_EQ(fn_time_error("Nov 28 00:55:18 2026"),
              "time data ' 28 00:55:18 2026' does not match format ' %d %H:%M:%S %Y GMT'");
    EXPECT_EQ(fn_time_error("Nov 28 00:55:18 2026 UTC"),
              "time data ' 28 00:55:18 2026 UTC' does not match format ' %d %H:%M:%S %Y GMT'");
    EXPECT_EQ(fn_time_error("Foo 28 00:55:18 2026 GMT"),
              "time data 'Foo 28 00:55:18 2026 GMT' does not match format \"%b %d %H:%M:%S %Y GMT\"");
    EXPECT_EQ(fn_time_error(""), "time data '' does not match format \"%b %d %H:%M:%S %Y GMT\"");
    EXPECT_EQ(fn_time_error("Nov28 00:55:18 2026 GMT"),
              "time data '28 00:55:18 2026 GMT' does not match format ' %d %H:%M:%S %Y GMT'");
    EXPECT_EQ(fn_time_error("Nov 31 24:00:00 2026 GMT"),
              "time data ' 31 24:00:00 2026 GMT' does not match format ' %d %H:%M:%S %Y GMT'");
    EXPECT_EQ(fn_time_error("Nov 0 00:55:18 2026 GMT"),
              "time data ' 0 00:55:18 2026 GMT' does not match format ' %d %H:%M:%S %Y GMT'");
    EXPECT_EQ(fn_time_error("Nov 28 00:55:18 2026 GM"),
              "time data ' 28 00:55:18 2026 GM' does not match format ' %d %H:%M:%S %Y GMT'");
    EXPECT_EQ(fn_time_error("Nov 28 00:55:18 2026 GMTx"), "unconverted data remains: x");
    EXPECT_EQ(fn_time_error("Nov 28 00:55:18 2026 GMT\n"), "unconverted data remains: \n");
    EXPECT_EQ(fn_time_error("Nov 28 00:55:18 0000 GMT"), "year 0 is out of range");
}

// ---- get_default_verify_paths

TEST(SSLFunctionsVerifyPaths, EnvironmentShadowsOpenSSLsPaths) {
    const std::string file = tls_file("ca.pem");
    const std::string dir = std::filesystem::path(file).parent_path().string();
    FnScopedEnv cafile("SSL_CERT_FILE", file);
    FnScopedEnv capath("SSL_CERT_DIR", dir);
    const ssl::DefaultVerifyPaths paths = ssl::get_default_verify_paths();
    EXPECT_EQ(paths.cafile, file);
    EXPECT_EQ(paths.capath, dir);
    EXPECT_EQ(paths.openssl_cafile_env, "SSL_CERT_FILE");
    EXPECT_EQ(paths.openssl_capath_env, "SSL_CERT_DIR");
    EXPECT_FALSE(paths.openssl_cafile.empty());
    EXPECT_FALSE(paths.openssl_capath.empty());
}

TEST(SSLFunctionsVerifyPaths, MissingOnesAreNone) {
    const std::string file = tls_file("ca.pem");
    // A folder given as the file and a file given as the folder: neither exists as such.
    FnScopedEnv cafile("SSL_CERT_FILE", std::filesystem::path(file).parent_path().string());
    FnScopedEnv capath("SSL_CERT_DIR", file);
    const ssl::DefaultVerifyPaths paths = ssl::get_default_verify_paths();
    EXPECT_EQ(paths.cafile, std::nullopt);
    EXPECT_EQ(paths.capath, std::nullopt);
    FnScopedEnv empty("SSL_CERT_FILE", std::string());
    EXPECT_EQ(ssl::get_default_verify_paths().cafile, std::nullopt);  // "" is not a file
}

TEST(SSLFunctionsVerifyPaths, WithoutTheEnvironmentOpenSSLsOwn) {
    FnScopedEnv cafile("SSL_CERT_FILE", std::nullopt);
    FnScopedEnv capath("SSL_CERT_DIR", std::nullopt);
    const ssl::DefaultVerifyPaths paths = ssl::get_default_verify_paths();
    if (std::filesystem::is_regular_file(paths.openssl_cafile))
        EXPECT_EQ(paths.cafile, paths.openssl_cafile);
    else
        EXPECT_EQ(paths.cafile, std::nullopt);
    if (std::filesystem::is_directory(paths.openssl_capath))
        EXPECT_EQ(paths.capath, paths.openssl_capath);
    else
        EXPECT_EQ(paths.capath, std::nullopt);
}

// ---- RAND_bytes, RAND_status

TEST(SSLFunctionsRand, BytesAndStatus) {
    EXPECT_TRUE(ssl::RAND_status());
    EXPECT_EQ(ssl::RAND_bytes(0), "");
    const std::string a = ssl::RAND_bytes(32);
    const std::string b = ssl::RAND_bytes(32);
    EXPECT_EQ(a.size(), 32u);
    EXPECT_NE(a, b);
    auto e = catch_as<ValueError>([] { (void)ssl::RAND_bytes(-1); });
    ASSERT_TRUE(e);
    EXPECT_STREQ(e->what(), "num must be positive");
}

}  // namespace
