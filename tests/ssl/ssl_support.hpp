// Helpers shared by the ssl tests: contexts made from tests/data/tls, an exception catcher that
// checks the exact type, and a client and a server SSLObject wired through four MemoryBIOs.
#pragma once

#include <gtest/gtest.h>

#include <concurrence/base/errors.hpp>
#include <concurrence/ssl.hpp>

#include <cstddef>
#include <exception>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <typeinfo>
#include <utility>

#include "tls_data.hpp"

namespace ssl_tests {

namespace ssl = concurrence::ssl;
using concurrence::testing::tls_file;

// The exception f throws, if it is an E; a failure if it throws nothing or something else. With
// exact (the default), the thrown object's dynamic type must be E itself, not a subclass.
template <class E, class F>
std::optional<E> catch_as(F&& f, bool exact = true) {
    try {
        std::forward<F>(f)();
    } catch (const E& e) {
        if (exact && typeid(e) != typeid(E)) {
            ADD_FAILURE() << "expected exactly " << typeid(E).name() << ", got " << typeid(e).name() << ": "
                          << e.what();
            return std::nullopt;
        }
        return e;
    } catch (const std::exception& e) {
        ADD_FAILURE() << "expected " << typeid(E).name() << ", got " << typeid(e).name() << ": " << e.what();
        return std::nullopt;
    }
    ADD_FAILURE() << "expected " << typeid(E).name() << ", nothing was thrown";
    return std::nullopt;
}

inline std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A server context with the given key + certificate file (CERT_NONE: asks for no client cert).
inline ssl::SSLContext server_context(const char* keycert = "localhost.pem") {
    ssl::SSLContext context(ssl::PROTOCOL_TLS_SERVER);
    context.load_cert_chain(tls_file(keycert));
    return context;
}

// A client context (check_hostname, CERT_REQUIRED) that trusts the test CA (or nothing).
inline ssl::SSLContext client_context(bool trust_test_ca = true) {
    ssl::SSLContext context(ssl::PROTOCOL_TLS_CLIENT);
    if (trust_test_ca) context.load_verify_locations(tls_file("ca.pem"));
    return context;
}

// Which side's handshake failed, and with what.
struct HandshakeFailure {
    bool server_side;
    std::exception_ptr error;
};

// A TLS client and server talking through memory: c_out -> s_in and s_out -> c_in (pump()).
struct TlsPair {
    ssl::MemoryBIO c_in, c_out, s_in, s_out;
    ssl::SSLObject client;
    ssl::SSLObject server;
    bool client_done = false;
    bool server_done = false;

    TlsPair(const ssl::SSLContext& client_ctx, const ssl::SSLContext& server_ctx,
            std::optional<std::string> server_hostname = std::string("localhost"))
        : client(client_ctx.wrap_bio(c_in, c_out, false, std::move(server_hostname))),
          server(server_ctx.wrap_bio(s_in, s_out, true)) {}

    // Moves what each side wrote to the other; the number of bytes moved.
    std::size_t pump() {
        std::size_t moved = 0;
        std::string to_server = c_out.read();
        if (!to_server.empty()) moved += s_in.write(to_server);
        std::string to_client = s_out.read();
        if (!to_client.empty()) moved += c_in.write(to_client);
        return moved;
    }

    // Runs both handshakes, the client first, shuttling bytes between the steps. The first
    // failure is returned (after one more pump(), so the alert it sent reaches the peer);
    // nullopt once both are done. A handshake that neither ends nor fails is a test failure.
    std::optional<HandshakeFailure> try_handshake() {
        for (int round = 0; round < 32; ++round) {
            if (!client_done) {
                try {
                    client.do_handshake();
                    client_done = true;
                } catch (const ssl::SSLWantReadError&) {
                } catch (...) {
                    pump();
                    return HandshakeFailure{false, std::current_exception()};
                }
            }
            const std::size_t moved_after_client = pump();
            if (!server_done) {
                try {
                    server.do_handshake();
                    server_done = true;
                } catch (const ssl::SSLWantReadError&) {
                } catch (...) {
                    pump();
                    return HandshakeFailure{true, std::current_exception()};
                }
            }
            const std::size_t moved_after_server = pump();
            if (client_done && server_done && moved_after_client == 0 && moved_after_server == 0) return std::nullopt;
        }
        ADD_FAILURE() << "the handshake neither completed nor failed";
        return std::nullopt;
    }

    // Both handshakes done, or the test fails (with the failure's text).
    bool handshake() {
        std::optional<HandshakeFailure> failure = try_handshake();
        if (!failure) return client_done && server_done;
        try {
            std::rethrow_exception(failure->error);
        } catch (const std::exception& e) {
            ADD_FAILURE() << (failure->server_side ? "server" : "client") << " handshake failed: " << e.what();
        }
        return false;
    }
};

// The failure's exception as E (exactly), or a test failure.
template <class E>
std::optional<E> failure_as(const std::optional<HandshakeFailure>& failure) {
    if (!failure) {
        ADD_FAILURE() << "the handshake did not fail";
        return std::nullopt;
    }
    return catch_as<E>([&] { std::rethrow_exception(failure->error); });
}

}  // namespace ssl_tests
