// Handshakes that fail, and the ones that succeed because the right CA or name was given:
// certificate verification (Python's SSLCertVerificationError with its exact texts), mutual
// TLS, create_default_context, capath/cadata, protocol and cipher mismatches, and a stream
// that ends or is not TLS at all.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "ssl_support.hpp"

namespace {

using namespace ssl_tests;

// The certificate verification error the client's handshake failed with (exactly).
std::optional<ssl::SSLCertVerificationError> verify_client_failure(TlsPair& pair) {
    std::optional<HandshakeFailure> failure = pair.try_handshake();
    if (failure && failure->server_side) {
        ADD_FAILURE() << "the server's handshake failed, not the client's";
        return std::nullopt;
    }
    return failure_as<ssl::SSLCertVerificationError>(failure);
}

// The SSLError `side` of the pair raises on its next handshake step.
std::optional<ssl::SSLError> verify_next_step_error(ssl::SSLObject& side) {
    return catch_as<ssl::SSLError>([&] { side.do_handshake(); });
}

// The DER bytes of the first PEM block of `pem` (base64 between the BEGIN and END lines).
std::string verify_pem_to_der(const std::string& pem) {
    const std::string begin = "-----BEGIN CERTIFICATE-----";
    const std::size_t start = pem.find(begin);
    const std::size_t end = pem.find("-----END CERTIFICATE-----");
    if (start == std::string::npos || end == std::string::npos) return {};
    std::string out;
    unsigned buffer = 0;
    int bits = 0;
    for (std::size_t i = start + begin.size(); i < end; ++i) {
        const char c = pem[i];
        int v;
        if (c >= 'A' && c <= 'Z') v = c - 'A';
        else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
        else if (c >= '0' && c <= '9') v = c - '0' + 52;
        else if (c == '+') v = 62;
        else if (c == '/') v = 63;
        else continue;  // line breaks and '=' padding
        buffer = (buffer << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buffer >> bits) & 0xffu);
        }
    }
    return out;
}

// ---- the client verifies the server

TEST(SSLVerifyServer, SelfSignedCertificate) {
    TlsPair pair(client_context(), server_context("selfsigned.pem"));
    auto e = verify_client_failure(pair);
    ASSERT_TRUE(e);
    EXPECT_STREQ(e->what(), "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate");
    EXPECT_EQ(e->errno_code(), 1);
    EXPECT_EQ(e->library(), "SSL");
    EXPECT_EQ(e->reason(), "CERTIFICATE_VERIFY_FAILED");
    EXPECT_EQ(e->verify_code(), 18);
    EXPECT_EQ(e->verify_message(), "self-signed certificate");
}

TEST(SSLVerifyServer, ServerHearsTheClientsUnknownCaAlert) {
    TlsPair pair(client_context(), server_context("selfsigned.pem"));
    ASSERT_TRUE(verify_client_failure(pair));
    auto e = verify_next_step_error(pair.server);
    ASSERT_TRUE(e);
    EXPECT_STREQ(e->what(), "[SSL: TLSV1_ALERT_UNKNOWN_CA] tlsv1 alert unknown ca");
    EXPECT_EQ(e->errno_code(), 1);
    EXPECT_EQ(e->reason(), "TLSV1_ALERT_UNKNOWN_CA");
}

TEST(SSLVerifyServer, UnknownIssuer) {
    TlsPair pair(client_context(false), server_context());
    auto e = verify_client_failure(pair);
    ASSERT_TRUE(e);
    EXPECT_STREQ(e->what(),
                 "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate");
    EXPECT_EQ(e->errno_code(), 1);
    EXPECT_EQ(e->verify_code(), 20);
    EXPECT_EQ(e->verify_message(), "unable to get local issuer certificate");
}

TEST(SSLVerifyServer, HostnameMismatch) {
    TlsPair pair(client_context(), server_context(), std::string("example.com"));
    auto e = verify_client_failure(pair);
    ASSERT_TRUE(e);
    EXPECT_STREQ(e->what(), "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
                            "Hostname mismatch, certificate is not valid for 'example.com'.");
    EXPECT_EQ(e->errno_code(), 1);
    EXPECT_EQ(e->library(), "SSL");
    EXPECT_EQ(e->reason(), "CERTIFICATE_VERIFY_FAILED");
    EXPECT_EQ(e->verify_code(), 62);
    EXPECT_EQ(e->verify_message(), "Hostname mismatch, certificate is not valid for 'example.com'.");
}

TEST(SSLVerifyServer, IpAddressMismatch) {
    TlsPair pair(client_context(), server_context(), std::string("10.0.0.1"));
    auto e = verify_client_failure(pair);
    ASSERT_TRUE(e);
    EXPECT_STREQ(e->what(), "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: "
                            "IP address mismatch, certificate is not valid for '10.0.0.1'.");
    EXPECT_EQ(e->errno_code(), 1);
    EXPECT_EQ(e->verify_code(), 64);
    EXPECT_EQ(e->verify_message(), "IP address mismatch, certificate is not valid for '10.0.0.1'.");
}

TEST(SSLVerifyServer, VerificationErrorIsCaughtAsItsBases) {
    TlsPair pair(client_context(), server_context(), std::string("example.com"));
    std::optional<HandshakeFailure> failure = pair.try_handshake();
    ASSERT_TRUE(failure);
    EXPECT_TRUE(concurrence::exception_is<ssl::CertificateError>(failure->error));
    EXPECT_TRUE(concurrence::exception_is<ssl::SSLError>(failure->error));
    EXPECT_TRUE(concurrence::exception_is<concurrence::OSError>(failure->error));
    EXPECT_FALSE(concurrence::exception_is<ssl::SSLWantReadError>(failure->error));
}

TEST(SSLVerifyServer, WithoutCheckHostnameAnyNameIsAccepted) {
    ssl::SSLContext client = client_context();
    client.set_check_hostname(false);
    EXPECT_EQ(client.verify_mode(), ssl::CERT_REQUIRED);
    TlsPair pair(client, server_context(), std::string("example.com"));
    EXPECT_TRUE(pair.handshake());
    // But the chain is still verified.
    TlsPair self_signed(client, server_context("selfsigned.pem"), std::string("example.com"));
    auto e = verify_client_failure(self_signed);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->verify_code(), 18);
}

TEST(SSLVerifyServer, CertNoneClientAcceptsAnything) {
    ssl::SSLContext client(ssl::PROTOCOL_TLS_CLIENT);
    client.set_check_hostname(false);
    client.set_verify_mode(ssl::CERT_NONE);
    TlsPair pair(client, server_context("selfsigned.pem"), std::string("example.com"));
    EXPECT_TRUE(pair.handshake());
}

TEST(SSLVerifyServer, ServerCertificateWithoutServerAuthPurpose) {
    // client.pem is for clientAuth only. Python: verify_code 26, 'unsuitable certificate purpose'.
    TlsPair pair(client_context(), server_context("client.pem"), std::string("client"));
    auto e = verify_client_failure(pair);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->verify_code(), 26);
    EXPECT_STREQ(e->what(), "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unsuitable certificate purpose");
}

// ---- trusting the CA in other ways

TEST(SSLVerifyCa, CreateDefaultContextWithTheCaFile) {
    for (const char* host : {"localhost", "127.0.0.1"}) {
        ssl::SSLContext client = ssl::create_default_context(ssl::Purpose::SERVER_AUTH, tls_file("ca.pem"));
        TlsPair pair(client, server_context(), std::string(host));
        EXPECT_TRUE(pair.handshake()) << host;
    }
}

TEST(SSLVerifyCa, CreateDefaultContextStillChecksTheName) {
    ssl::SSLContext client = ssl::create_default_context(ssl::Purpose::SERVER_AUTH, tls_file("ca.pem"));
    TlsPair pair(client, server_context(), std::string("example.com"));
    auto e = verify_client_failure(pair);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->verify_code(), 62);
}

TEST(SSLVerifyCa, CreateDefaultContextWithoutTheCaFails) {
    // The system's store does not know the test CA.
    ssl::SSLContext client = ssl::create_default_context();
    TlsPair pair(client, server_context());
    auto e = verify_client_failure(pair);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->verify_code(), 20);
}

TEST(SSLVerifyCa, CadataAsPemText) {
    const std::string pem = read_text(tls_file("ca.pem"));
    ssl::SSLContext client =
        ssl::create_default_context(ssl::Purpose::SERVER_AUTH, std::nullopt, std::nullopt, pem);
    TlsPair pair(client, server_context());
    EXPECT_TRUE(pair.handshake());

    ssl::SSLContext plain(ssl::PROTOCOL_TLS_CLIENT);
    plain.load_verify_locations(std::nullopt, std::nullopt, pem);
    TlsPair pair2(plain, server_context());
    EXPECT_TRUE(pair2.handshake());
}

TEST(SSLVerifyCa, CadataAsDerBytes) {
    const std::string der = verify_pem_to_der(read_text(tls_file("ca.pem")));
    ASSERT_GT(der.size(), 100u);
    ASSERT_EQ(static_cast<unsigned char>(der[0]), 0x30u);
    ssl::SSLContext client(ssl::PROTOCOL_TLS_CLIENT);
    client.load_verify_locations(std::nullopt, std::nullopt, der);
    TlsPair pair(client, server_context());
    EXPECT_TRUE(pair.handshake());
}

TEST(SSLVerifyCa, CapathWithTheHashedName) {
    // c_rehash's name for the CA: its subject's hash (`openssl x509 -hash -noout -in ca.pem`),
    // which stays as long as make_certs.sh keeps the subject.
    std::string pattern = ::testing::TempDir() + "ssl-capath-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    const std::filesystem::path dir(pattern);
    {
        TlsPair empty_dir(
            [&] {
                ssl::SSLContext c(ssl::PROTOCOL_TLS_CLIENT);
                c.load_verify_locations(std::nullopt, dir.string());
                return c;
            }(),
            server_context());
        auto e = verify_client_failure(empty_dir);
        ASSERT_TRUE(e);
        EXPECT_EQ(e->verify_code(), 20);
    }
    std::ofstream(dir / "18b39077.0", std::ios::binary) << read_text(tls_file("ca.pem"));
    ssl::SSLContext client(ssl::PROTOCOL_TLS_CLIENT);
    client.load_verify_locations(std::nullopt, dir.string());
    TlsPair pair(client, server_context());
    EXPECT_TRUE(pair.handshake());
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
}

// ---- the server verifies the client (mutual TLS)

ssl::SSLContext verify_mtls_server(bool trust_test_ca = true) {
    ssl::SSLContext server = server_context();
    server.set_verify_mode(ssl::CERT_REQUIRED);
    if (trust_test_ca) server.load_verify_locations(tls_file("ca.pem"));
    return server;
}

TEST(SSLVerifyClient, ClientWithItsCertificate) {
    ssl::SSLContext client = client_context();
    client.load_cert_chain(tls_file("client.pem"));
    TlsPair pair(client, verify_mtls_server());
    EXPECT_TRUE(pair.handshake());
    pair.client.write("ping");
    pair.pump();
    EXPECT_EQ(pair.server.read(), "ping");
}

TEST(SSLVerifyClient, ClientWithoutCertificateTls13) {
    TlsPair pair(client_context(), verify_mtls_server());
    std::optional<HandshakeFailure> failure = pair.try_handshake();
    ASSERT_TRUE(failure);
    // In TLS 1.3 the client is done before the server has seen its (empty) Certificate.
    EXPECT_TRUE(failure->server_side);
    EXPECT_TRUE(pair.client_done);
    auto e = failure_as<ssl::SSLError>(failure);
    ASSERT_TRUE(e);
    EXPECT_STREQ(e->what(), "[SSL: PEER_DID_NOT_RETURN_A_CERTIFICATE] peer did not return a certificate");
    EXPECT_EQ(e->errno_code(), 1);
    EXPECT_EQ(e->library(), "SSL");
    EXPECT_EQ(e->reason(), "PEER_DID_NOT_RETURN_A_CERTIFICATE");
    // The client learns it at its next read, from the server's alert.
    auto alert = catch_as<ssl::SSLError>([&] { (void)pair.client.read(); });
    ASSERT_TRUE(alert);
    EXPECT_STREQ(alert->what(), "[SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] tlsv13 alert certificate required");
    EXPECT_EQ(alert->errno_code(), 1);
    EXPECT_EQ(alert->reason(), "TLSV13_ALERT_CERTIFICATE_REQUIRED");
}

TEST(SSLVerifyClient, ClientWithoutCertificateTls12) {
    ssl::SSLContext client = client_context();
    client.set_maximum_version(ssl::TLSVersion::TLSv1_2);
    TlsPair pair(client, verify_mtls_server());
    std::optional<HandshakeFailure> failure = pair.try_handshake();
    ASSERT_TRUE(failure);
    EXPECT_TRUE(failure->server_side);
    auto e = failure_as<ssl::SSLError>(failure);
    ASSERT_TRUE(e);
    EXPECT_STREQ(e->what(), "[SSL: PEER_DID_NOT_RETURN_A_CERTIFICATE] peer did not return a certificate");
}

TEST(SSLVerifyClient, ServerWithoutTheCaRejectsTheClientsChain) {
    ssl::SSLContext client = client_context();
    client.load_cert_chain(tls_file("client.pem"));
    TlsPair pair(client, verify_mtls_server(false));
    std::optional<HandshakeFailure> failure = pair.try_handshake();
    ASSERT_TRUE(failure);
    EXPECT_TRUE(failure->server_side);
    auto e = failure_as<ssl::SSLCertVerificationError>(failure);
    ASSERT_TRUE(e);
    // The client sends its chain up to the CA it trusts, which the server does not.
    EXPECT_STREQ(e->what(),
                 "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate in certificate chain");
    EXPECT_EQ(e->verify_code(), 19);
    auto alert = catch_as<ssl::SSLError>([&] { (void)pair.client.read(); });
    ASSERT_TRUE(alert);
    EXPECT_STREQ(alert->what(), "[SSL: TLSV1_ALERT_UNKNOWN_CA] tlsv1 alert unknown ca");
}

TEST(SSLVerifyClient, ClientCertificateWithoutClientAuthPurpose) {
    ssl::SSLContext client = client_context();
    client.load_cert_chain(tls_file("localhost.pem"));  // serverAuth only
    TlsPair pair(client, verify_mtls_server());
    std::optional<HandshakeFailure> failure = pair.try_handshake();
    ASSERT_TRUE(failure);
    EXPECT_TRUE(failure->server_side);
    auto e = failure_as<ssl::SSLCertVerificationError>(failure);
    ASSERT_TRUE(e);
    EXPECT_EQ(e->verify_code(), 26);
    EXPECT_EQ(e->verify_message(), "unsuitable certificate purpose");
}

// ---- protocol failures

TEST(SSLVerifyProtocol, NoCommonVersion) {
    ssl::SSLContext client = client_context();
    client.set_maximum_version(ssl::TLSVersion::TLSv1_2);
    ssl::SSLContext server = server_context();
    server.set_minimum_version(ssl::TLSVersion::TLSv1_3);
    TlsPair pair(client, server);
    std::optional<HandshakeFailure> failure = pair.try_handshake();
    ASSERT_TRUE(failure);
    EXPECT_TRUE(failure->server_side);
    auto e = failure_as<ssl::SSLError>(failure);
    ASSERT_TRUE(e);
    EXPECT_STREQ(e->what(), "[SSL: UNSUPPORTED_PROTOCOL] unsupported protocol");
    EXPECT_EQ(e->reason(), "UNSUPPORTED_PROTOCOL");
    auto alert = verify_next_step_error(pair.client);
    ASSERT_TRUE(alert);
    EXPECT_STREQ(alert->what(), "[SSL: TLSV1_ALERT_PROTOCOL_VERSION] tlsv1 alert protocol version");
}

TEST(SSLVerifyProtocol, NoSharedCipher) {
    ssl::SSLContext client = client_context();
    client.set_maximum_version(ssl::TLSVersion::TLSv1_2);
    client.set_ciphers("ECDHE-RSA-AES128-GCM-SHA256");  // the server's key is EC
    TlsPair pair(client, server_context());
    std::optional<HandshakeFailure> failure = pair.try_handshake();
    ASSERT_TRUE(failure);
    EXPECT_TRUE(failure->server_side);
    auto e = failure_as<ssl::SSLError>(failure);
    ASSERT_TRUE(e);
    EXPECT_STREQ(e->what(), "[SSL: NO_SHARED_CIPHER] no shared cipher");
    auto alert = verify_next_step_error(pair.client);
    ASSERT_TRUE(alert);
    EXPECT_STREQ(alert->what(), "[SSL: SSLV3_ALERT_HANDSHAKE_FAILURE] sslv3 alert handshake failure");
    EXPECT_EQ(alert->reason(), "SSLV3_ALERT_HANDSHAKE_FAILURE");
}

TEST(SSLVerifyProtocol, PlainHttpIsNotTls) {
    TlsPair pair(client_context(), server_context());
    pair.s_in.write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    auto e = verify_next_step_error(pair.server);
    ASSERT_TRUE(e);
    EXPECT_STREQ(e->what(), "[SSL: HTTP_REQUEST] http request");
    EXPECT_EQ(e->errno_code(), 1);
    EXPECT_EQ(e->library(), "SSL");
    EXPECT_EQ(e->reason(), "HTTP_REQUEST");
}

TEST(SSLVerifyProtocol, EofDuringTheHandshake) {
    TlsPair pair(client_context(), server_context());
    pair.c_in.write_eof();
    auto e = catch_as<ssl::SSLEOFError>([&] { pair.client.do_handshake(); });
    ASSERT_TRUE(e);
    EXPECT_STREQ(e->what(), "[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol");
    EXPECT_EQ(e->errno_code(), 8);
    EXPECT_EQ(e->library(), "SSL");
    EXPECT_EQ(e->reason(), "UNEXPECTED_EOF_WHILE_READING");
}

TEST(SSLVerifyProtocol, EofWithoutCloseNotify) {
    TlsPair pair(client_context(), server_context());
    ASSERT_TRUE(pair.handshake());
    pair.server.write("partial");
    pair.pump();
    pair.c_in.write_eof();
    EXPECT_EQ(pair.client.read(), "partial");  // what came before the end is read first
    auto e = catch_as<ssl::SSLEOFError>([&] { (void)pair.client.read(); });
    ASSERT_TRUE(e);
    EXPECT_STREQ(e->what(), "[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol");
    EXPECT_EQ(e->errno_code(), 8);
}

TEST(SSLVerifyProtocol, EofAfterCloseNotifyIsACleanEnd) {
    TlsPair pair(client_context(), server_context());
    ASSERT_TRUE(pair.handshake());
    EXPECT_THROW(pair.server.unwrap(), ssl::SSLWantReadError);
    pair.pump();
    pair.c_in.write_eof();
    EXPECT_EQ(pair.client.read(), "");
}

}  // namespace
