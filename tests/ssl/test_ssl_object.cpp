// ssl.SSLObject: a client and a server wired through MemoryBIOs (CPython's
// test_ssl.MemoryBIOTests / SSLObjectTests): the handshake, data both ways, close_notify both
// ways, and what the session tells (certificate, cipher, version, ALPN) before and after.
#include <gtest/gtest.h>

#include <array>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "ssl_support.hpp"

namespace {

using namespace ssl_tests;
using concurrence::ValueError;

using Name = ssl::PeerCert::Name;
using AltNames = std::vector<std::pair<std::string, std::string>>;

// Everything readable now (until SSLWantReadError), in reads of at most `chunk` bytes.
std::string object_read_all(ssl::SSLObject& tls, std::size_t chunk = 16384) {
    std::string out;
    for (;;) {
        try {
            std::string piece = tls.read(chunk);
            if (piece.empty()) return out;
            out += piece;
        } catch (const ssl::SSLWantReadError&) {
            return out;
        }
    }
}

// n bytes without a short period.
std::string object_pattern(std::size_t n) {
    std::string out(n, '\0');
    unsigned x = 2463534242u;
    for (char& c : out) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        c = static_cast<char>(x & 0xffu);
    }
    return out;
}

void expect_want_read(const std::optional<ssl::SSLWantReadError>& e) {
    ASSERT_TRUE(e);
    EXPECT_STREQ(e->what(), "The operation did not complete (read)");
    EXPECT_EQ(e->errno_code(), 2);
}

// ---- before the handshake

TEST(SSLObjectBefore, PeerCertIsHandshakeNotDoneYet) {
    TlsPair pair(client_context(), server_context());
    for (ssl::SSLObject* tls : {&pair.client, &pair.server}) {
        auto e = catch_as<ValueError>([&] { (void)tls->getpeercert(); });
        ASSERT_TRUE(e);
        EXPECT_STREQ(e->what(), "handshake not done yet");
        auto der = catch_as<ValueError>([&] { (void)tls->getpeercert_der(); });
        ASSERT_TRUE(der);
        EXPECT_STREQ(der->what(), "handshake not done yet");
    }
}

TEST(SSLObjectBefore, NoCipherVersionAlpnOrCompression) {
    TlsPair pair(client_context(), server_context());
    EXPECT_EQ(pair.client.cipher(), std::nullopt);
    EXPECT_EQ(pair.client.version(), std::nullopt);
    EXPECT_EQ(pair.client.selected_alpn_protocol(), std::nullopt);
    EXPECT_EQ(pair.client.compression(), std::nullopt);
    EXPECT_EQ(pair.client.pending(), 0u);
    EXPECT_EQ(pair.server.cipher(), std::nullopt);
    EXPECT_EQ(pair.server.version(), std::nullopt);
}

TEST(SSLObjectBefore, ReadIsSSLWantReadError) {
    TlsPair pair(client_context(), server_context());
    expect_want_read(catch_as<ssl::SSLWantReadError>([&] { (void)pair.client.read(10); }));
    expect_want_read(catch_as<ssl::SSLWantReadError>([&] { (void)pair.server.read(10); }));
    std::array<char, 8> buffer{};
    expect_want_read(catch_as<ssl::SSLWantReadError>([&] { (void)pair.client.read(std::span<char>(buffer)); }));
}

TEST(SSLObjectBefore, HandshakeWantsToReadAfterSendingClientHello) {
    TlsPair pair(client_context(), server_context());
    EXPECT_EQ(pair.c_out.pending(), 0u);
    expect_want_read(catch_as<ssl::SSLWantReadError>([&] { pair.client.do_handshake(); }));
    EXPECT_GT(pair.c_out.pending(), 0u);  // the ClientHello
    // The server has nothing yet, so it too waits (and writes nothing).
    expect_want_read(catch_as<ssl::SSLWantReadError>([&] { pair.server.do_handshake(); }));
    EXPECT_EQ(pair.s_out.pending(), 0u);
}

TEST(SSLObjectBefore, WriteStartsTheHandshakeAndWantsToRead) {
    TlsPair pair(client_context(), server_context());
    expect_want_read(catch_as<ssl::SSLWantReadError>([&] { (void)pair.client.write("early"); }));
    EXPECT_GT(pair.c_out.pending(), 0u);
}

TEST(SSLObjectBefore, UnwrapIsShutdownWhileInInit) {
    // Python: SSLError(1, '[SSL: SHUTDOWN_WHILE_IN_INIT] shutdown while in init').
    TlsPair pair(client_context(), server_context());
    auto e = catch_as<ssl::SSLError>([&] { pair.client.unwrap(); });
    ASSERT_TRUE(e);
    EXPECT_STREQ(e->what(), "[SSL: SHUTDOWN_WHILE_IN_INIT] shutdown while in init");
    EXPECT_EQ(e->errno_code(), 1);
    EXPECT_EQ(e->library(), "SSL");
    EXPECT_EQ(e->reason(), "SHUTDOWN_WHILE_IN_INIT");
}

TEST(SSLObjectBefore, WantReadErrorIsAnSSLErrorAndAnOSError) {
    TlsPair pair(client_context(), server_context());
    EXPECT_THROW((void)pair.client.read(), ssl::SSLError);
    EXPECT_THROW((void)pair.client.read(), concurrence::OSError);
}

// ---- the handshake and the session it made

TEST(SSLObjectSession, HandshakeCompletesOnBothSides) {
    TlsPair pair(client_context(), server_context());
    ASSERT_TRUE(pair.handshake());
    EXPECT_EQ(pair.client.version(), "TLSv1.3");
    EXPECT_EQ(pair.server.version(), "TLSv1.3");
    // Done is done: once more returns at once.
    EXPECT_NO_THROW(pair.client.do_handshake());
    EXPECT_NO_THROW(pair.server.do_handshake());
}

TEST(SSLObjectSession, CipherAfterHandshake) {
    TlsPair pair(client_context(), server_context());
    ASSERT_TRUE(pair.handshake());
    for (ssl::SSLObject* tls : {&pair.client, &pair.server}) {
        std::optional<ssl::Cipher> cipher = tls->cipher();
        ASSERT_TRUE(cipher);
        EXPECT_EQ(cipher->name, "TLS_AES_256_GCM_SHA384");
        EXPECT_EQ(cipher->protocol, "TLSv1.3");
        EXPECT_EQ(cipher->secret_bits, 256);
    }
    EXPECT_EQ(pair.client.compression(), std::nullopt);
}

TEST(SSLObjectSession, MaximumTls12NegotiatesTls12) {
    ssl::SSLContext client = client_context();
    client.set_maximum_version(ssl::TLSVersion::TLSv1_2);
    TlsPair pair(client, server_context());
    ASSERT_TRUE(pair.handshake());
    EXPECT_EQ(pair.client.version(), "TLSv1.2");
    EXPECT_EQ(pair.server.version(), "TLSv1.2");
    std::optional<ssl::Cipher> cipher = pair.client.cipher();
    ASSERT_TRUE(cipher);
    EXPECT_EQ(cipher->name, "ECDHE-ECDSA-AES256-GCM-SHA384");
    EXPECT_EQ(cipher->protocol, "TLSv1.2");
    EXPECT_EQ(cipher->secret_bits, 256);
}

TEST(SSLObjectSession, SetCiphersChoosesTheTls12Cipher) {
    ssl::SSLContext client = client_context();
    client.set_maximum_version(ssl::TLSVersion::TLSv1_2);
    client.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256");
    TlsPair pair(client, server_context());
    ASSERT_TRUE(pair.handshake());
    std::optional<ssl::Cipher> cipher = pair.server.cipher();
    ASSERT_TRUE(cipher);
    EXPECT_EQ(cipher->name, "ECDHE-ECDSA-AES128-GCM-SHA256");
    EXPECT_EQ(cipher->secret_bits, 128);
}

TEST(SSLObjectSession, MinimumTls13OnBothSides) {
    ssl::SSLContext client = client_context();
    client.set_minimum_version(ssl::TLSVersion::TLSv1_3);
    ssl::SSLContext server = server_context();
    server.set_minimum_version(ssl::TLSVersion::TLSv1_3);
    TlsPair pair(client, server);
    ASSERT_TRUE(pair.handshake());
    EXPECT_EQ(pair.server.version(), "TLSv1.3");
}

TEST(SSLObjectSession, AlpnSelectsTheServersChoiceAmongTheClients) {
    ssl::SSLContext client = client_context();
    client.set_alpn_protocols({"h2", "http/1.1"});
    ssl::SSLContext server = server_context();
    server.set_alpn_protocols({"http/1.1"});
    TlsPair pair(client, server);
    EXPECT_EQ(pair.client.selected_alpn_protocol(), std::nullopt);
    ASSERT_TRUE(pair.handshake());
    EXPECT_EQ(pair.client.selected_alpn_protocol(), "http/1.1");
    EXPECT_EQ(pair.server.selected_alpn_protocol(), "http/1.1");
}

TEST(SSLObjectSession, AlpnFollowsTheServersPreference) {
    ssl::SSLContext client = client_context();
    client.set_alpn_protocols({"http/1.1", "h2"});
    ssl::SSLContext server = server_context();
    server.set_alpn_protocols({"h2", "http/1.1"});
    TlsPair pair(client, server);
    ASSERT_TRUE(pair.handshake());
    EXPECT_EQ(pair.client.selected_alpn_protocol(), "h2");
}

TEST(SSLObjectSession, AlpnWithoutOverlapOrWithoutServerListSelectsNothing) {
    ssl::SSLContext client = client_context();
    client.set_alpn_protocols({"h2"});
    ssl::SSLContext server = server_context();
    server.set_alpn_protocols({"http/1.1"});
    TlsPair no_overlap(client, server);
    ASSERT_TRUE(no_overlap.handshake());
    EXPECT_EQ(no_overlap.client.selected_alpn_protocol(), std::nullopt);
    EXPECT_EQ(no_overlap.server.selected_alpn_protocol(), std::nullopt);

    TlsPair no_server_list(client, server_context());
    ASSERT_TRUE(no_server_list.handshake());
    EXPECT_EQ(no_server_list.client.selected_alpn_protocol(), std::nullopt);
    EXPECT_EQ(no_server_list.server.selected_alpn_protocol(), std::nullopt);
}

TEST(SSLObjectSession, ServerHostnameAsAddresses) {
    for (const char* host : {"127.0.0.1", "::1"}) {
        TlsPair pair(client_context(), server_context(), std::string(host));
        EXPECT_TRUE(pair.handshake()) << host;
        EXPECT_EQ(pair.client.server_hostname(), host);
        EXPECT_EQ(pair.server.server_hostname(), std::nullopt);
    }
}

TEST(SSLObjectSession, ServerSideMayBeGivenAServerHostname) {
    // Python accepts it (and keeps it); the handshake is not affected.
    ssl::MemoryBIO c_in, c_out, s_in, s_out;
    ssl::SSLObject client = client_context().wrap_bio(c_in, c_out, false, std::string("localhost"));
    ssl::SSLObject server = server_context().wrap_bio(s_in, s_out, true, std::string("localhost"));
    EXPECT_EQ(server.server_hostname(), "localhost");
    bool client_done = false, server_done = false;
    for (int i = 0; i < 8 && !(client_done && server_done); ++i) {
        try {
            client.do_handshake();
            client_done = true;
        } catch (const ssl::SSLWantReadError&) {
        }
        s_in.write(c_out.read());
        try {
            server.do_handshake();
            server_done = true;
        } catch (const ssl::SSLWantReadError&) {
        }
        c_in.write(s_out.read());
    }
    EXPECT_TRUE(client_done);
    EXPECT_TRUE(server_done);
    EXPECT_EQ(server.version(), "TLSv1.3");
}

TEST(SSLObjectSession, ReprAndHandles) {
    TlsPair pair(client_context(), server_context());
    const std::string r = pair.client.repr();
    EXPECT_EQ(r.rfind("<ssl.SSLObject object at 0x", 0), 0u) << r;
    EXPECT_EQ(r.back(), '>') << r;
    EXPECT_NE(r, pair.server.repr());
    ssl::SSLObject copy = pair.client;
    EXPECT_EQ(copy.repr(), r);
    EXPECT_EQ(&copy.state(), &pair.client.state());
}

// ---- the peer's certificate

TEST(SSLObjectPeerCert, ClientSeesTheServersCertificateDecoded) {
    TlsPair pair(client_context(), server_context());
    ASSERT_TRUE(pair.handshake());
    std::optional<ssl::PeerCert> cert = pair.client.getpeercert();
    ASSERT_TRUE(cert);
    EXPECT_FALSE(cert->empty());
    EXPECT_EQ(cert->subject, (Name{{{"organizationName", "concurrence tests"}}, {{"commonName", "localhost"}}}));
    EXPECT_EQ(cert->issuer,
              (Name{{{"organizationName", "concurrence tests"}}, {{"commonName", "concurrence test CA"}}}));
    EXPECT_EQ(cert->version, 3);
    // `openssl x509 -noout -serial -dates -in tests/data/tls/localhost.pem`
    EXPECT_EQ(cert->serialNumber, "12C2A2292A1ADB47E71C0D2BB1D97E607AD90D3C");
    EXPECT_EQ(cert->notBefore, "Nov 28 00:55:18 2026 GMT");
    EXPECT_EQ(cert->notAfter, "Nov  4 00:55:18 2126 GMT");
    EXPECT_EQ(cert->subjectAltName,
              (AltNames{{"DNS", "localhost"}, {"IP Address", "127.0.0.1"}, {"IP Address", "0:0:0:0:0:0:0:1"}}));
}

TEST(SSLObjectPeerCert, DerFormIsTheCertificate) {
    TlsPair pair(client_context(), server_context());
    ASSERT_TRUE(pair.handshake());
    std::optional<std::string> der = pair.client.getpeercert_der();
    ASSERT_TRUE(der);
    ASSERT_GT(der->size(), 100u);
    EXPECT_EQ(static_cast<unsigned char>((*der)[0]), 0x30u);  // an ASN.1 SEQUENCE
    // The serial number's bytes are in it.
    const std::string serial("\x12\xC2\xA2\x29\x2A\x1A\xDB\x47", 8);
    EXPECT_NE(der->find(serial), std::string::npos);
}

TEST(SSLObjectPeerCert, ServerSeesNothingWhenTheClientSentNone) {
    TlsPair pair(client_context(), server_context());
    ASSERT_TRUE(pair.handshake());
    EXPECT_EQ(pair.server.getpeercert(), std::nullopt);
    EXPECT_EQ(pair.server.getpeercert_der(), std::nullopt);
}

TEST(SSLObjectPeerCert, UnverifiedCertificateIsEmptyButItsDerIsThere) {
    // Python: a CERT_NONE client's getpeercert() is {}, getpeercert(True) the bytes.
    ssl::SSLContext client(ssl::PROTOCOL_TLS_CLIENT);
    client.set_check_hostname(false);
    client.set_verify_mode(ssl::CERT_NONE);
    TlsPair pair(client, server_context("selfsigned.pem"));
    ASSERT_TRUE(pair.handshake());
    std::optional<ssl::PeerCert> cert = pair.client.getpeercert();
    ASSERT_TRUE(cert);
    EXPECT_TRUE(cert->empty());
    EXPECT_TRUE(cert->subject.empty());
    EXPECT_TRUE(cert->subjectAltName.empty());
    std::optional<std::string> der = pair.client.getpeercert_der();
    ASSERT_TRUE(der);
    EXPECT_GT(der->size(), 100u);
}

TEST(SSLObjectPeerCert, CertNoneServerIsNotSentTheClientsCertificate) {
    // A CERT_NONE server sends no CertificateRequest, so the client keeps its certificate:
    // Python's getpeercert() is None there (not {}), and getpeercert(True) None too.
    ssl::SSLContext client = client_context();
    client.load_cert_chain(tls_file("client.pem"));
    TlsPair pair(client, server_context());
    ASSERT_TRUE(pair.handshake());
    EXPECT_EQ(pair.server.getpeercert(), std::nullopt);
    EXPECT_EQ(pair.server.getpeercert_der(), std::nullopt);
}

TEST(SSLObjectPeerCert, MutualTlsServerSeesTheClientsCertificate) {
    ssl::SSLContext server = server_context();
    server.set_verify_mode(ssl::CERT_REQUIRED);
    server.load_verify_locations(tls_file("ca.pem"));
    ssl::SSLContext client = client_context();
    client.load_cert_chain(tls_file("client.pem"));
    TlsPair pair(client, server);
    ASSERT_TRUE(pair.handshake());
    std::optional<ssl::PeerCert> cert = pair.server.getpeercert();
    ASSERT_TRUE(cert);
    EXPECT_EQ(cert->subject, (Name{{{"organizationName", "concurrence tests"}}, {{"commonName", "client"}}}));
    EXPECT_EQ(cert->issuer,
              (Name{{{"organizationName", "concurrence tests"}}, {{"commonName", "concurrence test CA"}}}));
    EXPECT_EQ(cert->version, 3);
    EXPECT_EQ(cert->serialNumber, "12C2A2292A1ADB47E71C0D2BB1D97E607AD90D3D");
    EXPECT_TRUE(cert->subjectAltName.empty());
    // And the client saw the server's.
    std::optional<ssl::PeerCert> server_cert = pair.client.getpeercert();
    ASSERT_TRUE(server_cert);
    EXPECT_EQ(server_cert->subject.back(), (std::vector<std::pair<std::string, std::string>>{{"commonName", "localhost"}}));
}

TEST(SSLObjectPeerCert, CertOptionalServerWithAndWithoutClientCertificate) {
    ssl::SSLContext server = server_context();
    server.set_verify_mode(ssl::CERT_OPTIONAL);
    server.load_verify_locations(tls_file("ca.pem"));

    TlsPair without(client_context(), server);
    ASSERT_TRUE(without.handshake());
    EXPECT_EQ(without.server.getpeercert(), std::nullopt);

    ssl::SSLContext client = client_context();
    client.load_cert_chain(tls_file("client.pem"));
    TlsPair with(client, server);
    ASSERT_TRUE(with.handshake());
    std::optional<ssl::PeerCert> cert = with.server.getpeercert();
    ASSERT_TRUE(cert);
    EXPECT_FALSE(cert->empty());
    EXPECT_EQ(cert->subject.back(), (std::vector<std::pair<std::string, std::string>>{{"commonName", "client"}}));
}

// ---- data

TEST(SSLObjectData, WriteEncryptsIntoOutgoing) {
    TlsPair pair(client_context(), server_context());
    ASSERT_TRUE(pair.handshake());
    EXPECT_EQ(pair.client.write("hello server"), 12u);
    EXPECT_GT(pair.c_out.pending(), 12u);  // encrypted, with a record header and a tag
    EXPECT_EQ(pair.c_out.read().find("hello server"), std::string::npos);
}

TEST(SSLObjectData, ReadInPiecesWithPending) {
    TlsPair pair(client_context(), server_context());
    ASSERT_TRUE(pair.handshake());
    EXPECT_EQ(pair.client.write("hello server"), 12u);
    pair.pump();
    EXPECT_EQ(pair.server.pending(), 0u);  // still encrypted in the buffer
    EXPECT_EQ(pair.server.read(5), "hello");
    EXPECT_EQ(pair.server.pending(), 7u);
    EXPECT_EQ(pair.server.read(), " server");
    EXPECT_EQ(pair.server.pending(), 0u);
    expect_want_read(catch_as<ssl::SSLWantReadError>([&] { (void)pair.server.read(); }));

    EXPECT_EQ(pair.server.write("hello client"), 12u);
    pair.pump();
    EXPECT_EQ(pair.client.read(), "hello client");
    expect_want_read(catch_as<ssl::SSLWantReadError>([&] { (void)pair.client.read(); }));
}

TEST(SSLObjectData, ReadIntoABuffer) {
    TlsPair pair(client_context(), server_context());
    ASSERT_TRUE(pair.handshake());
    pair.server.write("0123456789");
    pair.pump();
    std::array<char, 4> buffer{};
    EXPECT_EQ(pair.client.read(std::span<char>(buffer)), 4u);
    EXPECT_EQ(std::string(buffer.data(), 4), "0123");
    std::array<char, 64> rest{};
    EXPECT_EQ(pair.client.read(std::span<char>(rest)), 6u);
    EXPECT_EQ(std::string(rest.data(), 6), "456789");
}

TEST(SSLObjectData, SeveralWritesArriveInOrder) {
    TlsPair pair(client_context(), server_context());
    ASSERT_TRUE(pair.handshake());
    pair.client.write("one ");
    pair.client.write("two ");
    pair.pump();
    pair.client.write("three");
    pair.pump();
    EXPECT_EQ(object_read_all(pair.server), "one two three");
}

TEST(SSLObjectData, LargeDataBothWays) {
    TlsPair pair(client_context(), server_context());
    ASSERT_TRUE(pair.handshake());
    const std::string up = object_pattern(100000);
    EXPECT_EQ(pair.client.write(up), up.size());
    pair.pump();
    EXPECT_EQ(object_read_all(pair.server, 65536), up);

    const std::string down = object_pattern(300001);
    EXPECT_EQ(pair.server.write(down), down.size());
    pair.pump();
    EXPECT_EQ(object_read_all(pair.client, 1000), down);
}

TEST(SSLObjectData, EncryptedBytesDeliveredOneAtATime) {
    TlsPair pair(client_context(), server_context());
    ASSERT_TRUE(pair.handshake());
    pair.server.write("trickle");
    const std::string wire = pair.s_out.read();
    ASSERT_FALSE(wire.empty());
    for (std::size_t i = 0; i + 1 < wire.size(); ++i) {
        pair.c_in.write(wire.substr(i, 1));
        EXPECT_THROW((void)pair.client.read(), ssl::SSLWantReadError) << "after " << i + 1 << " bytes";
    }
    pair.c_in.write(wire.substr(wire.size() - 1));
    EXPECT_EQ(pair.client.read(), "trickle");
}

TEST(SSLObjectData, EmptyWriteAndZeroLengthRead) {
    TlsPair pair(client_context(), server_context());
    ASSERT_TRUE(pair.handshake());
    EXPECT_EQ(pair.client.write(""), 0u);
    EXPECT_EQ(pair.client.read(0), "");
}

// ---- closing

TEST(SSLObjectClose, ClientFirstThenServer) {
    TlsPair pair(client_context(), server_context());
    ASSERT_TRUE(pair.handshake());
    pair.client.write("last words");
    // The client's close_notify goes; the server's has not come.
    expect_want_read(catch_as<ssl::SSLWantReadError>([&] { pair.client.unwrap(); }));
    pair.pump();
    EXPECT_EQ(pair.server.read(), "last words");
    EXPECT_EQ(pair.server.read(), "");  // the peer's close_notify
    EXPECT_EQ(pair.server.read(), "");  // and again
    EXPECT_NO_THROW(pair.server.unwrap());  // both close_notify: done
    pair.pump();
    EXPECT_NO_THROW(pair.client.unwrap());
    EXPECT_EQ(pair.c_out.pending(), 0u);
    EXPECT_EQ(pair.s_out.pending(), 0u);
}

TEST(SSLObjectClose, ServerFirstThenClient) {
    TlsPair pair(client_context(), server_context());
    ASSERT_TRUE(pair.handshake());
    expect_want_read(catch_as<ssl::SSLWantReadError>([&] { pair.server.unwrap(); }));
    expect_want_read(catch_as<ssl::SSLWantReadError>([&] { pair.server.unwrap(); }));  // still waiting
    pair.pump();
    EXPECT_EQ(pair.client.read(), "");
    EXPECT_NO_THROW(pair.client.unwrap());
    pair.pump();
    EXPECT_NO_THROW(pair.server.unwrap());
}

TEST(SSLObjectClose, UnwrapAfterBothCloseNotifyIsDoneAtOnce) {
    TlsPair pair(client_context(), server_context());
    ASSERT_TRUE(pair.handshake());
    EXPECT_THROW(pair.client.unwrap(), ssl::SSLWantReadError);
    pair.pump();
    EXPECT_NO_THROW(pair.server.unwrap());  // the client's close_notify was in: done at once
    pair.pump();
    EXPECT_NO_THROW(pair.client.unwrap());
}

TEST(SSLObjectClose, WriteAfterUnwrapIsProtocolIsShutdown) {
    TlsPair pair(client_context(), server_context());
    ASSERT_TRUE(pair.handshake());
    EXPECT_THROW(pair.client.unwrap(), ssl::SSLWantReadError);
    auto e = catch_as<ssl::SSLError>([&] { (void)pair.client.write("x"); });
    ASSERT_TRUE(e);
    EXPECT_STREQ(e->what(), "[SSL: PROTOCOL_IS_SHUTDOWN] protocol is shutdown");
    EXPECT_EQ(e->errno_code(), 1);
    EXPECT_EQ(e->library(), "SSL");
    EXPECT_EQ(e->reason(), "PROTOCOL_IS_SHUTDOWN");
}

TEST(SSLObjectClose, ReadAfterThisSideUnwrappedToo) {
    // Python's SSLObject.read returns b'' only while SSL_get_shutdown() is exactly
    // SSL_RECEIVED_SHUTDOWN; once this side's close_notify went too, it raises
    // SSLZeroReturnError(6, 'TLS/SSL connection has been closed (EOF)').
    TlsPair pair(client_context(), server_context());
    ASSERT_TRUE(pair.handshake());
    EXPECT_THROW(pair.client.unwrap(), ssl::SSLWantReadError);
    pair.pump();
    EXPECT_EQ(pair.server.read(), "");
    pair.server.unwrap();
    pair.pump();
    pair.client.unwrap();
    for (ssl::SSLObject* tls : {&pair.client, &pair.server}) {
        auto e = catch_as<ssl::SSLZeroReturnError>([&] { (void)tls->read(); });
        ASSERT_TRUE(e);
        EXPECT_STREQ(e->what(), "TLS/SSL connection has been closed (EOF)");
        EXPECT_EQ(e->errno_code(), 6);
    }
}

}  // namespace
