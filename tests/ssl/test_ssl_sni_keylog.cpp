// SSLContext.sni_callback (a server choosing its certificate by the name the client asked
// for, or refusing it) and keylog_filename / SSLKEYLOGFILE (the secrets for Wireshark).
#include <gtest/gtest.h>

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "ssl_support.hpp"

namespace {

using namespace ssl_tests;

TEST(SSLSni, TheCallbackSeesTheNameAndMaySwitchTheCertificate) {
    ssl::SSLContext other = server_context("selfsigned.pem");
    ssl::SSLContext server = server_context();
    std::vector<std::string> seen;
    server.set_sni_callback([&](ssl::SSLObject& object, std::optional<std::string> name,
                                ssl::SSLContext& context) -> std::optional<int> {
        seen.push_back(name.value_or("(none)") + (context == server ? " on its context" : " on another"));
        if (name == "self.test") object.set_context(other);
        return std::nullopt;
    });
    ASSERT_TRUE(server.sni_callback());
    {
        TlsPair pair(client_context(), server, "localhost");  // the CA-signed certificate
        EXPECT_TRUE(pair.handshake());
        EXPECT_TRUE(pair.server.context() == server);
    }
    {
        // A client that trusts only the self-signed certificate: it verifies only if the
        // callback switched to it.
        ssl::SSLContext trusting_self(ssl::PROTOCOL_TLS_CLIENT);
        trusting_self.set_check_hostname(false);
        trusting_self.load_verify_locations(tls_file("selfsigned.pem"));
        TlsPair pair(trusting_self, server, "self.test");
        EXPECT_TRUE(pair.handshake());
        EXPECT_TRUE(pair.server.context() == other);
    }
    EXPECT_EQ(seen, (std::vector<std::string>{"localhost on its context", "self.test on its context"}));
}

TEST(SSLSni, WithoutSniTheNameIsNone) {
    ssl::SSLContext server = server_context();
    std::optional<std::string> seen = "not called";
    server.set_sni_callback([&](ssl::SSLObject&, std::optional<std::string> name, ssl::SSLContext&) {
        seen = name;
        return std::optional<int>();
    });
    ssl::SSLContext client(ssl::PROTOCOL_TLS_CLIENT);
    client.set_check_hostname(false);
    client.set_verify_mode(ssl::CERT_NONE);
    TlsPair pair(client, server, std::nullopt);
    EXPECT_TRUE(pair.handshake());
    EXPECT_EQ(seen, std::nullopt);
}

TEST(SSLSni, AnAlertEndsTheHandshake) {
    ssl::SSLContext server = server_context();
    server.set_sni_callback([](ssl::SSLObject&, std::optional<std::string>, ssl::SSLContext&) {
        return std::optional<int>(ssl::ALERT_DESCRIPTION_UNRECOGNIZED_NAME);
    });
    TlsPair pair(client_context(), server, "unknown.test");
    std::optional<HandshakeFailure> failure = pair.try_handshake();
    ASSERT_TRUE(failure);
    EXPECT_TRUE(failure->server_side);
    // The client reads the alert.
    auto client_error = catch_as<ssl::SSLError>([&] { pair.client.do_handshake(); });
    ASSERT_TRUE(client_error);
    EXPECT_EQ(client_error->reason(), "TLSV1_UNRECOGNIZED_NAME");
    EXPECT_STREQ(client_error->what(), "[SSL: TLSV1_UNRECOGNIZED_NAME] tlsv1 unrecognized name");
}

TEST(SSLSni, AnExceptionIsAHandshakeFailureAndIsReported) {
    ssl::SSLContext server = server_context();
    server.set_sni_callback([](ssl::SSLObject&, std::optional<std::string>, ssl::SSLContext&) -> std::optional<int> {
        throw concurrence::ValueError("no such tenant");
    });
    TlsPair pair(client_context(), server, "localhost");
    testing::internal::CaptureStderr();
    std::optional<HandshakeFailure> failure = pair.try_handshake();
    const std::string err = testing::internal::GetCapturedStderr();
    ASSERT_TRUE(failure);
    EXPECT_TRUE(failure->server_side);
    EXPECT_NE(err.find("Exception ignored in ssl servername callback: no such tenant"), std::string::npos) << err;
    auto client_error = catch_as<ssl::SSLError>([&] { pair.client.do_handshake(); });
    ASSERT_TRUE(client_error);
    EXPECT_EQ(client_error->reason(), "SSLV3_ALERT_HANDSHAKE_FAILURE");
}

TEST(SSLSni, RemovedWithAnEmptyFunction) {
    ssl::SSLContext server = server_context();
    int calls = 0;
    server.set_sni_callback([&](ssl::SSLObject&, std::optional<std::string>, ssl::SSLContext&) {
        ++calls;
        return std::optional<int>();
    });
    server.set_sni_callback({});
    EXPECT_FALSE(server.sni_callback());
    TlsPair pair(client_context(), server, "localhost");
    EXPECT_TRUE(pair.handshake());
    EXPECT_EQ(calls, 0);
}

// ---- the key log

std::string sslk_temp_path(const char* name) {
    return (std::filesystem::temp_directory_path() / (std::string(name) + std::to_string(::getpid()))).string();
}

TEST(SSLKeylog, SecretsAreAppendedInTheNssFormat) {
    const std::string path = sslk_temp_path("concurrence-keylog-");
    std::filesystem::remove(path);
    ssl::SSLContext client = client_context();
    EXPECT_EQ(client.keylog_filename(), std::nullopt);
    client.set_keylog_filename(path);
    EXPECT_EQ(client.keylog_filename(), path);
    {
        TlsPair pair(client, server_context(), "localhost");
        EXPECT_TRUE(pair.handshake());
    }
    const std::string log = read_text(path);
    EXPECT_EQ(log.rfind("# TLS secrets log file, generated by OpenSSL / Python\n", 0), 0u) << log;
    EXPECT_NE(log.find("\nCLIENT_HANDSHAKE_TRAFFIC_SECRET "), std::string::npos) << log;
    EXPECT_NE(log.find("\nCLIENT_TRAFFIC_SECRET_0 "), std::string::npos) << log;
    // Off: nothing more is written.
    client.set_keylog_filename(std::nullopt);
    EXPECT_EQ(client.keylog_filename(), std::nullopt);
    {
        TlsPair pair(client, server_context(), "localhost");
        EXPECT_TRUE(pair.handshake());
    }
    EXPECT_EQ(read_text(path), log);
    std::filesystem::remove(path);
}

TEST(SSLKeylog, AFileThatCannotBeOpened) {
    ssl::SSLContext client = client_context();
    auto error = catch_as<concurrence::FileNotFoundError>(
        [&] { client.set_keylog_filename("/nonexistent-concurrence-dir/keys.log"); });
    ASSERT_TRUE(error);
    EXPECT_STREQ(error->what(), "[Errno 2] No such file or directory: '/nonexistent-concurrence-dir/keys.log'");
    EXPECT_EQ(client.keylog_filename(), std::nullopt);
}

TEST(SSLKeylog, CreateDefaultContextReadsSslkeylogfile) {
    const std::string path = sslk_temp_path("concurrence-sslkeylogfile-");
    ::setenv("SSLKEYLOGFILE", path.c_str(), 1);
    ssl::SSLContext context = ssl::create_default_context(ssl::Purpose::SERVER_AUTH, tls_file("ca.pem"));
    ::unsetenv("SSLKEYLOGFILE");
    EXPECT_EQ(context.keylog_filename(), path);
    EXPECT_EQ(ssl::create_default_context(ssl::Purpose::SERVER_AUTH, tls_file("ca.pem")).keylog_filename(),
              std::nullopt);
    std::filesystem::remove(path);
}

}  // namespace
