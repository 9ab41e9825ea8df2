// SSLObject's shared_ciphers, session_reused, get_channel_binding and
// verify_client_post_handshake, against Python 3.11's answers on the same certificates (the
// channel binding is compared with OpenSSL's Finished messages: white-box).
#include <gtest/gtest.h>

#include <openssl/ssl.h>

#include <string>
#include <vector>

#include "ssl/state.hpp"
#include "ssl_support.hpp"

namespace {

using namespace ssl_tests;
using concurrence::ValueError;

// The Finished message a side sent (mine) or received, read from OpenSSL (white-box).
std::string sessinfo_finished(const ssl::SSLObject& side, bool mine) {
    char buffer[128];
    const std::size_t n = mine ? SSL_get_finished(side.state().ssl, buffer, sizeof buffer)
                               : SSL_get_peer_finished(side.state().ssl, buffer, sizeof buffer);
    return std::string(buffer, n);
}

std::vector<std::string> sessinfo_names(const std::vector<ssl::Cipher>& ciphers) {
    std::vector<std::string> names;
    for (const ssl::Cipher& c : ciphers) names.push_back(c.name);
    return names;
}

// A server that asks for client certificates after the handshake only (TLS 1.3's
// post-handshake authentication), and a client that offers it (with a certificate or not).
ssl::SSLContext sessinfo_pha_server() {
    ssl::SSLContext server = server_context();
    server.set_verify_mode(ssl::CERT_REQUIRED);
    server.load_verify_locations(tls_file("ca.pem"));
    server.set_post_handshake_auth(true);
    return server;
}

ssl::SSLContext sessinfo_pha_client(bool with_certificate) {
    ssl::SSLContext client = client_context();
    if (with_certificate) client.load_cert_chain(tls_file("client.pem"));
    client.set_post_handshake_auth(true);
    return client;
}

// ---- shared_ciphers

TEST(SSLObjectSharedCiphers, NoneBeforeTheHandshakeAndOnTheClient) {
    TlsPair pair(client_context(), server_context());
    EXPECT_EQ(pair.client.shared_ciphers(), std::nullopt);
    EXPECT_EQ(pair.server.shared_ciphers(), std::nullopt);
    ASSERT_TRUE(pair.handshake());
    EXPECT_EQ(pair.client.shared_ciphers(), std::nullopt);
}

TEST(SSLObjectSharedCiphers, ServerListsTheCiphersBothHaveInItsOrder) {
    TlsPair pair(client_context(), server_context());
    ASSERT_TRUE(pair.handshake());
    std::optional<std::vector<ssl::Cipher>> shared = pair.server.shared_ciphers();
    ASSERT_TRUE(shared);
    const std::vector<std::string> expected = {
        "TLS_AES_256_GCM_SHA384",        "TLS_CHACHA20_POLY1305_SHA256",  "TLS_AES_128_GCM_SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",   "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256",   "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
        "ECDHE-ECDSA-AES256-SHA384",     "ECDHE-RSA-AES256-SHA384",       "ECDHE-ECDSA-AES128-SHA256",
        "ECDHE-RSA-AES128-SHA256",       "DHE-RSA-AES256-GCM-SHA384",     "DHE-RSA-AES128-GCM-SHA256",
        "DHE-RSA-AES256-SHA256",         "DHE-RSA-AES128-SHA256"};
    EXPECT_EQ(sessinfo_names(*shared), expected);
    EXPECT_EQ((*shared)[0].protocol, "TLSv1.3");
    EXPECT_EQ((*shared)[0].secret_bits, 256);
    EXPECT_EQ((*shared)[2].secret_bits, 128);
    EXPECT_EQ((*shared)[3].protocol, "TLSv1.2");
}

TEST(SSLObjectSharedCiphers, LeavesOutWhatTheClientDidNotOffer) {
    ssl::SSLContext client = client_context();
    client.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384");
    TlsPair pair(client, server_context());
    ASSERT_TRUE(pair.handshake());
    std::optional<std::vector<ssl::Cipher>> shared = pair.server.shared_ciphers();
    ASSERT_TRUE(shared);
    // The server's order, not the client's.
    EXPECT_EQ(sessinfo_names(*shared),
              (std::vector<std::string>{"TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
                                        "TLS_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
                                        "ECDHE-ECDSA-AES128-GCM-SHA256"}));
}

// ---- session_reused

TEST(SSLObjectSessionReused, FalseForANewSession) {
    TlsPair pair(client_context(), server_context());
    EXPECT_FALSE(pair.client.session_reused());
    ASSERT_TRUE(pair.handshake());
    EXPECT_FALSE(pair.client.session_reused());
    EXPECT_FALSE(pair.server.session_reused());
}

// ---- get_channel_binding

TEST(SSLObjectChannelBinding, NoneBeforeTheHandshake) {
    TlsPair pair(client_context(), server_context());
    EXPECT_EQ(pair.client.get_channel_binding(), std::nullopt);
    EXPECT_EQ(pair.server.get_channel_binding("tls-unique"), std::nullopt);
}

TEST(SSLObjectChannelBinding, BothSidesHaveTheClientsFinished) {
    TlsPair pair(client_context(), server_context());
    ASSERT_TRUE(pair.handshake());
    std::optional<std::string> client = pair.client.get_channel_binding();
    std::optional<std::string> server = pair.server.get_channel_binding();
    ASSERT_TRUE(client);
    ASSERT_TRUE(server);
    EXPECT_EQ(client->size(), 48u);  // TLS 1.3 with SHA-384's Finished
    EXPECT_EQ(*client, *server);
    // RFC 5929: the first Finished of the handshake, the client's on a new session.
    EXPECT_EQ(*client, sessinfo_finished(pair.client, true));
    EXPECT_EQ(*server, sessinfo_finished(pair.server, false));
    EXPECT_NE(*client, sessinfo_finished(pair.server, true));
}

TEST(SSLObjectChannelBinding, Tls12FinishedIsTwelveBytes) {
    ssl::SSLContext client = client_context();
    client.set_options(client.options() | ssl::OP_NO_TLSv1_3);
    TlsPair pair(client, server_context());
    ASSERT_TRUE(pair.handshake());
    std::optional<std::string> c = pair.client.get_channel_binding();
    ASSERT_TRUE(c);
    EXPECT_EQ(c->size(), 12u);
    EXPECT_EQ(c, pair.server.get_channel_binding());
    EXPECT_EQ(*c, sessinfo_finished(pair.client, true));
}

TEST(SSLObjectChannelBinding, OtherTypesAreAValueError) {
    TlsPair pair(client_context(), server_context());
    auto e = catch_as<ValueError>([&] { (void)pair.client.get_channel_binding("tls-x"); });
    ASSERT_TRUE(e);
    EXPECT_STREQ(e->what(), "'tls-x' channel binding type not implemented");
    auto endpoint = catch_as<ValueError>([&] { (void)pair.server.get_channel_binding("tls-server-end-point"); });
    ASSERT_TRUE(endpoint);
    EXPECT_STREQ(endpoint->what(), "'tls-server-end-point' channel binding type not implemented");
}

// ---- verify_client_post_handshake

TEST(SSLObjectPostHandshakeAuth, ErrorsArePythons) {
    TlsPair pair(client_context(), server_context());
    ASSERT_TRUE(pair.handshake());
    auto on_client = catch_as<ssl::SSLError>([&] { pair.client.verify_client_post_handshake(); });
    ASSERT_TRUE(on_client);
    EXPECT_STREQ(on_client->what(), "[SSL: NOT_SERVER] not server");
    auto not_offered = catch_as<ssl::SSLError>([&] { pair.server.verify_client_post_handshake(); });
    ASSERT_TRUE(not_offered);
    EXPECT_STREQ(not_offered->what(), "[SSL: EXTENSION_NOT_RECEIVED] extension not received");
}

TEST(SSLObjectPostHandshakeAuth, ServerGetsTheClientsCertificateAfterTheHandshake) {
    TlsPair pair(sessinfo_pha_client(true), sessinfo_pha_server());
    ASSERT_TRUE(pair.handshake());
    EXPECT_EQ(pair.server.getpeercert(), std::nullopt);  // not asked for in the handshake
    pair.server.verify_client_post_handshake();
    pair.server.write("hi");
    pair.pump();
    EXPECT_EQ(pair.client.read(), "hi");  // the client answers the request while it reads
    pair.pump();
    auto want = catch_as<ssl::SSLWantReadError>([&] { (void)pair.server.read(); });
    ASSERT_TRUE(want);
    std::optional<ssl::PeerCert> cert = pair.server.getpeercert();
    ASSERT_TRUE(cert);
    EXPECT_EQ(cert->subject, (ssl::PeerCert::Name{{{"organizationName", "concurrence tests"}}, {{"commonName", "client"}}}));
}

TEST(SSLObjectPostHandshakeAuth, AClientWithoutACertificateFailsTheServersRead) {
    TlsPair pair(sessinfo_pha_client(false), sessinfo_pha_server());
    ASSERT_TRUE(pair.handshake());
    pair.server.verify_client_post_handshake();
    pair.server.write("hi");
    pair.pump();
    EXPECT_EQ(pair.client.read(), "hi");
    pair.pump();
    auto e = catch_as<ssl::SSLError>([&] { (void)pair.server.read(); });
    ASSERT_TRUE(e);
    EXPECT_STREQ(e->what(), "[SSL: PEER_DID_NOT_RETURN_A_CERTIFICATE] peer did not return a certificate");
}

}  // namespace
