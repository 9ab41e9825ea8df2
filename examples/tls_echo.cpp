// TLS with streams: an echo server with ssl= and a client that checks its certificate, in one
// program, line by line as in Python:
//
//   import asyncio, ssl, sys
//
//   async def handle_echo(reader, writer):
//       data = await reader.readline()
//       version = writer.get_extra_info('ssl_object').version()
//       print(f"server: {data.decode().strip()!r} over {version}")
//       writer.write(data.upper())
//       await writer.drain()
//       writer.close()
//       await writer.wait_closed()
//
//   async def main(certs):
//       server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
//       server_context.load_cert_chain(f"{certs}/localhost.pem")
//       server = await asyncio.start_server(handle_echo, '127.0.0.1', 0, ssl=server_context)
//       port = server.sockets[0].getsockname()[1]
//
//       client_context = ssl.create_default_context(cafile=f"{certs}/ca.pem")
//       reader, writer = await asyncio.open_connection('127.0.0.1', port, ssl=client_context,
//                                                      server_hostname='localhost')
//       subject = dict(rdn[0] for rdn in writer.get_extra_info('peercert')['subject'])
//       print(f"client: connected to {subject['commonName']}, cipher {writer.get_extra_info('cipher')[0]}")
//       writer.write(b"hello over tls\n")
//       print(f"client: {(await reader.readline()).decode().strip()!r}")
//       writer.close()
//       await writer.wait_closed()
//       server.close()
//       await server.wait_closed()
//
//   asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "tests/data/tls"))
//
// Usage: tls_echo [CERTS]   (a folder with localhost.pem and ca.pem; the tests' by default,
// from the repository's root; tests/data/tls/make_certs.sh makes a new set)
#include <concurrence/asyncio.hpp>
#include <concurrence/ssl.hpp>

#include <cstdio>
#include <string>

namespace asyncio = concurrence::asyncio;
namespace net = concurrence::net;
namespace ssl = concurrence::ssl;

static std::string strip(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
    return s;
}

static std::string upper(std::string s) {
    for (char& c : s)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return s;
}

static asyncio::Coro<> handle_echo(asyncio::StreamReader reader, asyncio::StreamWriter writer) {
    std::string data = co_await reader.readline();
    auto tls = writer.get_extra_info<ssl::SSLObject>("ssl_object");
    std::printf("server: '%s' over %s\n", strip(data).c_str(), tls ? tls->version().value_or("?").c_str() : "?");
    writer.write(upper(data));
    co_await writer.drain();
    writer.close();
    co_await writer.wait_closed();
}

static asyncio::Coro<> main_coro(std::string certs) {
    ssl::SSLContext server_context(ssl::PROTOCOL_TLS_SERVER);
    server_context.load_cert_chain(certs + "/localhost.pem");
    net::ServerOptions server_options{.ssl = server_context};  // (named: see options.hpp)
    asyncio::Server server = co_await asyncio::start_server(handle_echo, "127.0.0.1", 0,
                                                            asyncio::default_stream_limit, std::move(server_options));
    const int port = server.sockets().at(0).getsockname().port;

    ssl::SSLContext client_context = ssl::create_default_context(ssl::Purpose::SERVER_AUTH, certs + "/ca.pem");
    net::ConnectionOptions tls{.ssl = client_context, .server_hostname = "localhost"};
    auto [reader, writer] =
        co_await asyncio::open_connection("127.0.0.1", port, asyncio::default_stream_limit, std::move(tls));
    std::string common_name = "?";
    if (auto cert = writer.get_extra_info<ssl::PeerCert>("peercert"))
        for (const auto& rdn : cert->subject)
            if (rdn.at(0).first == "commonName") common_name = rdn.at(0).second;
    auto cipher = writer.get_extra_info<ssl::Cipher>("cipher");
    std::printf("client: connected to %s, cipher %s\n", common_name.c_str(), cipher ? cipher->name.c_str() : "?");
    writer.write("hello over tls\n");
    std::printf("client: '%s'\n", strip(co_await reader.readline()).c_str());
    writer.close();
    co_await writer.wait_closed();
    server.close();
    co_await server.wait_closed();
}

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    asyncio::run(main_coro(argc > 1 ? argv[1] : "tests/data/tls"));
}
