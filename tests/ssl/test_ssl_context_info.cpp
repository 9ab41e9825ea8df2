// SSLContext's options, verify_flags, cipher list, ECDH curve, DH parameters, certificate
// store and session counters, each against Python 3.11's answers on the same certificates.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "ssl_support.hpp"

namespace {

using namespace ssl_tests;
using concurrence::FileNotFoundError;
using concurrence::IsADirectoryError;
using concurrence::ValueError;

// A key and a self-signed certificate for CN=localhost with no subjectAltName (hostname
// checks on the common name).
constexpr const char* kCtxInfoCommonNameOnly = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg6X4Msr/9aWTi5XRJ
xM4PnmpVPWTxMLlZju03IrSNM3qhRANCAARIbymS8B0S5avQuL+JHyHmUtQ59feC
1zAEHUx7vAGug6TOFP6xmuijw1jXEMSGPQpGtyH7UhiB4xeSbzFpesg5
-----END PRIVATE KEY-----
-----BEGIN CERTIFICATE-----
MIIBszCCAVqgAwIBAgIUHm4a7rwdua4585sa/Qy2N8xQVEwwCgYIKoZIzj0EAwIw
MDEaMBgGA1UECgwRY29uY3VycmVuY2UgdGVzdHMxEjAQBgNVBAMMCWxvY2FsaG9z
dDAgFw0yNjExMjgwMjEwMDNaGA8yMTI2MTEwNDAyMTAwM1owMDEaMBgGA1UECgwR
Y29uY3VycmVuY2UgdGVzdHMxEjAQBgNVBAMMCWxvY2FsaG9zdDBZMBMGByqGSM49
AgEGCCqGSM49AwEHA0IABEhvKZLwHRLlq9C4v4kfIeZS1Dn194LXMAQdTHu8Aa6D
pM4U/rGa6KPDWNcQxIY9Cka3IftSGIHjF5JvMWl6yDmjUDBOMB0GA1UdDgQWBBS/
PLs9t1tCOsR+/MXItegnA+3HGDAfBgNVHSMEGDAWgBS/PLs9t1tCOsR+/MXItegn
A+3HGDAMBgNVHRMBAf8EAjAAMAoGCCqGSM49BAMCA0cAMEQCIC4CR8m/qoW+YjdI
MEehqI5MMykK4zBiTaVtDb2WNZ8hAiBI71JeAj5Gsg4xWPkr/XY37YXq8tPJcRBZ
JBVypJox7w==
-----END CERTIFICATE-----
)";

// RFC 7919's ffdhe2048 group (openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048).
constexpr const char* kCtxInfoDhParams = R"(-----BEGIN DH PARAMETERS-----
MIIBCAKCAQEA//////////+t+FRYortKmq/cViAnPTzx2LnFg84tNpWp4TZBFGQz
+8yTnc4kmz75fS/jY2MMddj2gbICrsRhetPfHtXV/WVhJDP1H18GbtCFY2VVPe0a
87VXE15/V8k1mE8McODmi3fipona8+/och3xWKE2rec1MKzKT0g6eXq8CrGCsyT7
YdEIqUuyyOP7uWrat2DX9GgdT0Kj3jlN9K5W7edjcrsZCwenyO4KbXCeAvzhzffi
7MA0BM0oNC9hkXL+nOmFg/+OTxIy7vKBg8P+OxtMb61zO7X8vC7CIAXFjvGDfRaD
ssbzSibBsu/6iGtCOGEoXJf//////////wIBAg==
-----END DH PARAMETERS-----
)";

// A file of its own under the test temp dir, removed at the end of the test.
class CtxInfoTempFile {
public:
    CtxInfoTempFile(const std::string& name, const std::string& content)
        : path_(::testing::TempDir() + "ssl-ctxinfo-" + std::to_string(::getpid()) + "-" + name) {
        std::ofstream(path_, std::ios::binary) << content;
    }
    ~CtxInfoTempFile() { std::remove(path_.c_str()); }
    CtxInfoTempFile(const CtxInfoTempFile&) = delete;
    CtxInfoTempFile& operator=(const CtxInfoTempFile&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

// The handshake's failure on the client, as an SSLCertVerificationError.
std::optional<ssl::SSLCertVerificationError> ctxinfo_client_verify_failure(TlsPair& pair) {
    std::optional<HandshakeFailure> failure = pair.try_handshake();
    if (failure && failure->server_side) {
        ADD_FAILURE() << "the server failed first";
        return std::nullopt;
    }
    return failure_as<ssl::SSLCertVerificationError>(failure);
}

// ---- options

TEST(SSLContextOptions, ConstantsArePythons) {
    EXPECT_EQ(ssl::OP_NO_COMPRESSION, 0x20000);
    EXPECT_EQ(ssl::OP_NO_TICKET, 0x4000);
    EXPECT_EQ(ssl::OP_CIPHER_SERVER_PREFERENCE, 0x400000);
    EXPECT_EQ(ssl::OP_NO_RENEGOTIATION, 0x40000000);
    EXPECT_EQ(ssl::OP_ENABLE_MIDDLEBOX_COMPAT, 0x100000);
    EXPECT_EQ(ssl::OP_NO_TLSv1_3, 0x20000000);
    EXPECT_EQ(ssl::OP_ALL, 0x80000050);
    EXPECT_EQ(ssl::OP_NO_SSLv3, 0x2000000);
    EXPECT_EQ(ssl::VERIFY_DEFAULT, 0);
    EXPECT_EQ(ssl::VERIFY_CRL_CHECK_LEAF, 0x4);
    EXPECT_EQ(ssl::VERIFY_CRL_CHECK_CHAIN, 0xc);
    EXPECT_EQ(ssl::VERIFY_X509_STRICT, 0x20);
    EXPECT_EQ(ssl::VERIFY_X509_TRUSTED_FIRST, 0x8000);
    EXPECT_EQ(ssl::VERIFY_X509_PARTIAL_CHAIN, 0x80000);
    EXPECT_EQ(ssl::VERIFY_ALLOW_PROXY_CERTS, 0x40);
}

TEST(SSLContextOptions, DefaultsArePythons) {
    // Python 3.11: hex(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).options) == '0x82520050'
    EXPECT_EQ(ssl::SSLContext(ssl::PROTOCOL_TLS_CLIENT).options(), 0x82520050L);
    EXPECT_EQ(ssl::SSLContext(ssl::PROTOCOL_TLS_SERVER).options(), 0x82520050L);
    EXPECT_EQ(ssl::create_default_context().options(), 0x82520050L);
}

TEST(SSLContextOptions, SetOptionsSetsAndClears) {
    ssl::SSLContext context(ssl::PROTOCOL_TLS_CLIENT);
    context.set_options(context.options() | ssl::OP_NO_TICKET);
    EXPECT_EQ(context.options(), 0x82520050L | ssl::OP_NO_TICKET);
    context.set_options(context.options() & ~ssl::OP_NO_COMPRESSION & ~ssl::OP_NO_TICKET);
    EXPECT_EQ(context.options(), 0x82500050L);
}

TEST(SSLContextOptions, NoTlsV13MakesTheSessionTls12) {
    ssl::SSLContext client = client_context();
    client.set_options(client.options() | ssl::OP_NO_TLSv1_3);
    TlsPair pair(client, server_context());
    ASSERT_TRUE(pair.handshake());
    EXPECT_EQ(pair.client.version(), "TLSv1.2");
    EXPECT_EQ(pair.server.version(), "TLSv1.2");
}

// ---- verify_flags, hostname_checks_common_name, security_level, post_handshake_auth

TEST(SSLContextVerifyFlags, DefaultsArePythons) {
    EXPECT_EQ(ssl::SSLContext(ssl::PROTOCOL_TLS_CLIENT).verify_flags(), ssl::VERIFY_X509_TRUSTED_FIRST);
    EXPECT_EQ(ssl::SSLContext(ssl::PROTOCOL_TLS_SERVER).verify_flags(), ssl::VERIFY_X509_TRUSTED_FIRST);
    // Python 3.13's create_default_context adds the strict and partial chain checks.
    EXPECT_EQ(ssl::create_default_context().verify_flags(),
              ssl::VERIFY_X509_TRUSTED_FIRST | ssl::VERIFY_X509_STRICT | ssl::VERIFY_X509_PARTIAL_CHAIN);
}

TEST(SSLContextVerifyFlags, SetVerifyFlagsSetsAndClears) {
    ssl::SSLContext context(ssl::PROTOCOL_TLS_CLIENT);
    context.set_verify_flags(ssl::VERIFY_CRL_CHECK_CHAIN | ssl::VERIFY_X509_STRICT);
    EXPECT_EQ(context.verify_flags(), 0xcL | 0x20L);
    context.set_verify_flags(ssl::VERIFY_DEFAULT);
    EXPECT_EQ(context.verify_flags(), 0);
}

TEST(SSLContextVerifyFlags, CrlCheckWithoutACrlFailsAsPython) {
    ssl::SSLContext client = client_context();
    client.set_verify_flags(client.verify_flags() | ssl::VERIFY_CRL_CHECK_LEAF);
    TlsPair pair(client, server_context());
    auto e = ctxinfo_client_verify_failure(pair);
    ASSERT_TRUE(e);
    EXPECT_STREQ(e->what(), "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get certificate CRL");
}

TEST(SSLContextHostnameChecks, CommonNameIsCheckedByDefault) {
    ssl::SSLContext server(ssl::PROTOCOL_TLS_SERVER);
    CtxInfoTempFile keycert("cn-only.pem", kCtxInfoCommonNameOnly);
    server.load_cert_chain(keycert.path());
    ssl::SSLContext client(ssl::PROTOCOL_TLS_CLIENT);
    client.load_verify_locations(std::nullopt, std::nullopt, std::string(kCtxInfoCommonNameOnly));
    EXPECT_TRUE(client.hostname_checks_common_name());
    TlsPair pair(client, server);
    EXPECT_TRUE(pair.handshake());
}

TEST(SSLContextHostnameChecks, OffTheCommonNameDoesNotMatch) {
    ssl::SSLContext server(ssl::PROTOCOL_TLS_SERVER);
    CtxInfoTempFile keycert("cn-only2.pem", kCtxInfoCommonNameOnly);
    server.load_cert_chain(keycert.path());
    ssl::SSLContext client(ssl::PROTOCOL_TLS_CLIENT);
    client.load_verify_locations(std::nullopt, std::nullopt, std::string(kCtxInfoCommonNameOnly));
    client.set_hostname_checks_common_name(false);
    EXPECT_FALSE(client.hostname_checks_common_name());
    TlsPair pair(client, server);
    auto e = ctxinfo_client_verify_failure(pair);
    ASSERT_TRUE(e);
    EXPECT_STREQ(e->what(),
                 "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, certificate is not "
                 "valid for 'localhost'.");
    client.set_hostname_checks_common_name(true);
    EXPECT_TRUE(client.hostname_checks_common_name());
}

TEST(SSLContextSecurity, SecurityLevelAndPostHandshakeAuthDefaults) {
    ssl::SSLContext client(ssl::PROTOCOL_TLS_CLIENT);
    EXPECT_EQ(client.security_level(), 2);
    EXPECT_FALSE(client.post_handshake_auth());
    client.set_post_handshake_auth(true);
    EXPECT_TRUE(client.post_handshake_auth());
    EXPECT_FALSE(ssl::SSLContext(ssl::PROTOCOL_TLS_SERVER).post_handshake_auth());
    client.set_ciphers("DEFAULT:@SECLEVEL=1");
    EXPECT_EQ(client.security_level(), 1);
}

// ---- get_ciphers

TEST(SSLContextCiphers, DefaultListIsPythons) {
    const std::vector<ssl::CipherInfo> ciphers = ssl::create_default_context().get_ciphers();
    const std::vector<std::string> expected = {
        "TLS_AES_256_GCM_SHA384",        "TLS_CHACHA20_POLY1305_SHA256",  "TLS_AES_128_GCM_SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",   "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256",   "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
        "ECDHE-ECDSA-AES256-SHA384",     "ECDHE-RSA-AES256-SHA384",       "ECDHE-ECDSA-AES128-SHA256",
        "ECDHE-RSA-AES128-SHA256",       "DHE-RSA-AES256-GCM-SHA384",     "DHE-RSA-AES128-GCM-SHA256",
        "DHE-RSA-AES256-SHA256",         "DHE-RSA-AES128-SHA256"};
    std::vector<std::string> names;
    for (const ssl::CipherInfo& c : ciphers) names.push_back(c.name);
    EXPECT_EQ(names, expected);
}

TEST(SSLContextCiphers, EntriesHavePythonsFields) {
    const std::vector<ssl::CipherInfo> ciphers = ssl::create_default_context().get_ciphers();
    ASSERT_GE(ciphers.size(), 10u);
    // {'id': 50336514, 'name': 'TLS_AES_256_GCM_SHA384', 'protocol': 'TLSv1.3', 'description':
    // 'TLS_AES_256_GCM_SHA384         TLSv1.3 Kx=any      Au=any   Enc=AESGCM(256)            Mac=AEAD',
    // 'strength_bits': 256, 'alg_bits': 256, 'aead': True, 'symmetric': 'aes-256-gcm', 'digest': None,
    // 'kea': 'kx-any', 'auth': 'auth-any'}
    const ssl::CipherInfo& first = ciphers[0];
    EXPECT_EQ(first.id, 50336514);
    EXPECT_EQ(first.name, "TLS_AES_256_GCM_SHA384");
    EXPECT_EQ(first.protocol, "TLSv1.3");
    EXPECT_EQ(first.description,
              "TLS_AES_256_GCM_SHA384         TLSv1.3 Kx=any      Au=any   Enc=AESGCM(256)            Mac=AEAD");
    EXPECT_EQ(first.strength_bits, 256);
    EXPECT_EQ(first.alg_bits, 256);
    EXPECT_TRUE(first.aead);
    EXPECT_EQ(first.symmetric, "aes-256-gcm");
    EXPECT_EQ(first.digest, std::nullopt);
    EXPECT_EQ(first.kea, "kx-any");
    EXPECT_EQ(first.auth, "auth-any");
    // ECDHE-ECDSA-AES256-SHA384 TLSv1.2 50380836 256 256 False aes-256-cbc kx-ecdhe auth-ecdsa sha384
    const ssl::CipherInfo& cbc = ciphers[9];
    EXPECT_EQ(cbc.name, "ECDHE-ECDSA-AES256-SHA384");
    EXPECT_EQ(cbc.protocol, "TLSv1.2");
    EXPECT_EQ(cbc.id, 50380836);
    EXPECT_FALSE(cbc.aead);
    EXPECT_EQ(cbc.symmetric, "aes-256-cbc");
    EXPECT_EQ(cbc.digest, "sha384");
    EXPECT_EQ(cbc.kea, "kx-ecdhe");
    EXPECT_EQ(cbc.auth, "auth-ecdsa");
    EXPECT_EQ(cbc.description,
              "ECDHE-ECDSA-AES256-SHA384      TLSv1.2 Kx=ECDH     Au=ECDSA Enc=AES(256)               Mac=SHA384");
}

TEST(SSLContextCiphers, FollowSetCiphers) {
    ssl::SSLContext context(ssl::PROTOCOL_TLS_CLIENT);
    context.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256");
    std::vector<std::string> names;
    for (const ssl::CipherInfo& c : context.get_ciphers()) names.push_back(c.name);
    // The TLS 1.3 suites are set apart (set_ciphers is for TLS 1.2 and below).
    EXPECT_EQ(names, (std::vector<std::string>{"TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
                                               "TLS_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"}));
}

// ---- set_ecdh_curve, load_dh_params

TEST(SSLContextCurves, UnknownCurveIsAValueError) {
    ssl::SSLContext context(ssl::PROTOCOL_TLS_SERVER);
    auto e = catch_as<ValueError>([&] { context.set_ecdh_curve("x"); });
    ASSERT_TRUE(e);
    EXPECT_STREQ(e->what(), "unknown elliptic curve name 'x'");
    auto quoted = catch_as<ValueError>([&] { context.set_ecdh_curve("it's"); });
    ASSERT_TRUE(quoted);
    EXPECT_STREQ(quoted->what(), "unknown elliptic curve name \"it's\"");
    // A name OpenSSL knows that is not a curve: Python's SSLError("unknown error").
    auto not_curve = catch_as<ssl::SSLError>([&] { context.set_ecdh_curve("SHA256"); });
    ASSERT_TRUE(not_curve);
    EXPECT_STREQ(not_curve->what(), "unknown error");
}

TEST(SSLContextCurves, NoCommonCurveFailsTheHandshake) {
    ssl::SSLContext server = server_context();
    server.set_ecdh_curve("prime256v1");
    ssl::SSLContext client = client_context();
    client.set_ecdh_curve("secp384r1");
    TlsPair pair(client, server);
    std::optional<HandshakeFailure> failure = pair.try_handshake();
    ASSERT_TRUE(failure);
    EXPECT_TRUE(failure->server_side);
    auto e = failure_as<ssl::SSLError>(failure);
    ASSERT_TRUE(e);
    EXPECT_STREQ(e->what(), "[SSL: NO_SUITABLE_KEY_SHARE] no suitable key share");
}

TEST(SSLContextCurves, SameCurveHandshakes) {
    ssl::SSLContext server = server_context();
    server.set_ecdh_curve("secp384r1");
    ssl::SSLContext client = client_context();
    client.set_ecdh_curve("secp384r1");
    TlsPair pair(client, server);
    EXPECT_TRUE(pair.handshake());
}

TEST(SSLContextDhParams, LoadsAPemFile) {
    CtxInfoTempFile dh("dh.pem", kCtxInfoDhParams);
    ssl::SSLContext context(ssl::PROTOCOL_TLS_SERVER);
    context.load_dh_params(dh.path());
}

TEST(SSLContextDhParams, ErrorsArePythons) {
    ssl::SSLContext context(ssl::PROTOCOL_TLS_SERVER);
    auto missing = catch_as<FileNotFoundError>([&] { context.load_dh_params("/nonexistent-concurrence/dh.pem"); });
    ASSERT_TRUE(missing);
    EXPECT_STREQ(missing->what(), "[Errno 2] No such file or directory: '/nonexistent-concurrence/dh.pem'");
    auto not_dh = catch_as<ssl::SSLError>([&] { context.load_dh_params(tls_file("ca.pem")); });
    ASSERT_TRUE(not_dh);
    EXPECT_STREQ(not_dh->what(), "[PEM: NO_START_LINE] no start line");
    EXPECT_EQ(not_dh->errno_code(), 108);
    const std::string dir = std::filesystem::path(tls_file("ca.pem")).parent_path().string();
    auto directory = catch_as<IsADirectoryError>([&] { context.load_dh_params(dir); });
    ASSERT_TRUE(directory);
    EXPECT_EQ(std::string(directory->what()), "[Errno 21] Is a directory: '" + dir + "'");
}

// ---- the certificate store

TEST(SSLContextStore, CertStoreStatsCountCertificatesAndCAs) {
    ssl::SSLContext context(ssl::PROTOCOL_TLS_CLIENT);
    ssl::CertStoreStats empty = context.cert_store_stats();
    EXPECT_EQ(empty.x509, 0);
    EXPECT_EQ(empty.crl, 0);
    EXPECT_EQ(empty.x509_ca, 0);
    context.load_verify_locations(tls_file("ca.pem"));
    ssl::CertStoreStats one_ca = context.cert_store_stats();
    EXPECT_EQ(one_ca.x509, 1);
    EXPECT_EQ(one_ca.crl, 0);
    EXPECT_EQ(one_ca.x509_ca, 1);
    context.load_verify_locations(tls_file("localhost.pem"));  // a leaf: not a CA
    ssl::CertStoreStats leaf = context.cert_store_stats();
    EXPECT_EQ(leaf.x509, 2);
    EXPECT_EQ(leaf.x509_ca, 1);
}

TEST(SSLContextStore, GetCaCertsDecodesAsPython) {
    ssl::SSLContext context(ssl::PROTOCOL_TLS_CLIENT);
    EXPECT_TRUE(context.get_ca_certs().empty());
    context.load_verify_locations(tls_file("ca.pem"));
    context.load_verify_locations(tls_file("localhost.pem"));  // not listed: not a CA
    const std::vector<ssl::PeerCert> certs = context.get_ca_certs();
    ASSERT_EQ(certs.size(), 1u);
    const ssl::PeerCert& ca = certs[0];
    const ssl::PeerCert::Name name = {{{"organizationName", "concurrence tests"}},
                                      {{"commonName", "concurrence test CA"}}};
    EXPECT_EQ(ca.subject, name);
    EXPECT_EQ(ca.issuer, name);
    EXPECT_EQ(ca.version, 3);
    EXPECT_EQ(ca.serialNumber, "46BFAE629F86A574036F9D0276CAE45BBB1D8CDD");
    EXPECT_EQ(ca.notBefore, "Nov 28 00:55:17 2026 GMT");
    EXPECT_EQ(ca.notAfter, "Nov  4 00:55:17 2126 GMT");
    EXPECT_TRUE(ca.subjectAltName.empty());
}

TEST(SSLContextStore, GetCaCertsDerIsTheFilesCertificate) {
    ssl::SSLContext context(ssl::PROTOCOL_TLS_CLIENT);
    context.load_verify_locations(tls_file("ca.pem"));
    const std::vector<std::string> der = context.get_ca_certs_der();
    ASSERT_EQ(der.size(), 1u);
    EXPECT_EQ(der[0].size(), 479u);
    EXPECT_EQ(der[0], ssl::PEM_cert_to_DER_cert(read_text(tls_file("ca.pem"))));
}

// ---- session_stats

TEST(SSLContextSessions, StatsCountHandshakesAsPython) {
    ssl::SSLContext client = client_context();
    ssl::SSLContext server = server_context();
    ssl::SessionStats before = client.session_stats();
    EXPECT_EQ(before.number, 0);
    EXPECT_EQ(before.connect, 0);
    EXPECT_EQ(before.accept, 0);
    client.set_options(client.options() | ssl::OP_NO_TLSv1_3);
    TlsPair pair(client, server);
    ASSERT_TRUE(pair.handshake());
    // Python: {'number': 0, 'connect': 1, 'connect_good': 1, ...} and {'accept': 1, 'accept_good': 1, ...}
    ssl::SessionStats c = client.session_stats();
    EXPECT_EQ(c.number, 0);
    EXPECT_EQ(c.connect, 1);
    EXPECT_EQ(c.connect_good, 1);
    EXPECT_EQ(c.connect_renegotiate, 0);
    EXPECT_EQ(c.accept, 0);
    EXPECT_EQ(c.hits, 0);
    EXPECT_EQ(c.misses, 0);
    EXPECT_EQ(c.timeouts, 0);
    EXPECT_EQ(c.cache_full, 0);
    ssl::SessionStats s = server.session_stats();
    EXPECT_EQ(s.number, 0);
    EXPECT_EQ(s.connect, 0);
    EXPECT_EQ(s.accept, 1);
    EXPECT_EQ(s.accept_good, 1);
    EXPECT_EQ(s.accept_renegotiate, 0);
}

}  // namespace
