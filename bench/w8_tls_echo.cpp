// W8 (tls-echo, ours: the peers' harness has no TLS workload): C clients, each M round trips
// of a 64-byte message through a TLS echo server (streams, TLS 1.3), client and server in one
// loop, so the figure is the whole TLS path of both ends. Python asyncio (and uvloop, if
// installed) run the same program: bench/python/w8_tls_echo.py. Prints the RESULT line:
// rate = round trips/s, us_per_rt.
// Usage: bench_w8_tls_echo [C=10] [M=20000] [CERTS=the tests' folder]
//        bench_w8_tls_echo idle [N=1000] [CERTS]: N TLS connections opened and left idle
//        (workload tls-idle): bytes of RSS per connection, both ends counted.
#include <concurrence/asyncio.hpp>
#include <concurrence/ssl.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "result_line.hpp"

namespace asyncio = concurrence::asyncio;
namespace net = concurrence::net;
namespace ssl = concurrence::ssl;

constexpr std::size_t message_size = 64;

static asyncio::Coro<> echo(asyncio::StreamReader reader, asyncio::StreamWriter writer) {
    for (;;) {
        std::string data = co_await reader.read(65536);
        if (data.empty()) break;
        writer.write(data);
        co_await writer.drain();
    }
    writer.close();
}

static asyncio::Coro<long> client(int port, ssl::SSLContext context, long m) {
    net::ConnectionOptions tls{.ssl = std::move(context), .server_hostname = "localhost"};
    auto [reader, writer] =
        co_await asyncio::open_connection("127.0.0.1", port, asyncio::default_stream_limit, std::move(tls));
    const std::string message(message_size, 'x');
    long ok = 0;
    for (long i = 0; i < m; ++i) {
        writer.write(message);
        std::string back = co_await reader.readexactly(message_size);
        ok += back == message;
    }
    writer.close();
    co_await writer.wait_closed();
    co_return ok;
}

static asyncio::Coro<int> tls_echo(long conns, long m, std::string certs) {
    ssl::SSLContext server_context(ssl::PROTOCOL_TLS_SERVER);
    server_context.load_cert_chain(certs + "/localhost.pem");
    net::ServerOptions options{.ssl = server_context};
    asyncio::Server server =
        co_await asyncio::start_server(echo, "127.0.0.1", 0, asyncio::default_stream_limit, std::move(options));
    const int port = server.sockets().at(0).getsockname().port;
    ssl::SSLContext client_context = ssl::create_default_context(ssl::Purpose::SERVER_AUTH, certs + "/ca.pem");
    std::vector<asyncio::Coro<long>> clients;
    const double t0 = bench::now_s();
    for (long c = 0; c < conns; ++c) clients.push_back(client(port, client_context, m));
    std::vector<long> oks = co_await asyncio::gather(std::move(clients));
    const double seconds = bench::now_s() - t0;
    long ok = 0;
    for (long v : oks) ok += v;
    server.close();
    co_await server.wait_closed();
    if (ok != conns * m) {
        std::fprintf(stderr, "bad echoes: %ld of %ld\n", ok, conns * m);
        co_return 1;
    }
    const double n = static_cast<double>(conns * m);
    bench::ResultLine("tls-echo", "concurrence")
        .add("conns", conns)
        .add("n", conns * m)
        .add("seconds", seconds)
        .add("rate", n / seconds)
        .add("us_per_rt", seconds / n * 1e6)
        .add("rss_kb", bench::peak_rss_kb())
        .print();
    co_return 0;
}

// N connections, each having echoed one message, then idle: what each costs in memory.
static asyncio::Coro<int> tls_idle(long n, std::string certs) {
    ssl::SSLContext server_context(ssl::PROTOCOL_TLS_SERVER);
    server_context.load_cert_chain(certs + "/localhost.pem");
    net::ServerOptions options{.backlog = 4096, .ssl = server_context};
    asyncio::Server server =
        co_await asyncio::start_server(echo, "127.0.0.1", 0, asyncio::default_stream_limit, std::move(options));
    const int port = server.sockets().at(0).getsockname().port;
    ssl::SSLContext client_context = ssl::create_default_context(ssl::Purpose::SERVER_AUTH, certs + "/ca.pem");
    const long base_kb = bench::peak_rss_kb();
    std::vector<asyncio::StreamWriter> writers;
    const std::string message(message_size, 'x');
    for (long i = 0; i < n; ++i) {
        net::ConnectionOptions tls{.ssl = client_context, .server_hostname = "localhost"};
        auto [reader, writer] =
            co_await asyncio::open_connection("127.0.0.1", port, asyncio::default_stream_limit, std::move(tls));
        writer.write(message);
        (void)co_await reader.readexactly(message_size);
        writers.push_back(writer);
    }
    const long rss_kb = bench::peak_rss_kb();
    for (auto& w : writers) w.close();
    server.close();
    co_await server.wait_closed();
    bench::ResultLine("tls-idle", "concurrence")
        .add("n", n)
        .add("rss_kb", rss_kb)
        .add("base_kb", base_kb)
        .add("bytes_per_conn", static_cast<double>(rss_kb - base_kb) * 1024.0 / static_cast<double>(n))
        .print();
    co_return 0;
}

int main(int argc, char** argv) {
    if (argc > 1 && std::string_view(argv[1]) == "idle")
        return asyncio::run(tls_idle(bench::arg_or(argc, argv, 2, 1000), argc > 3 ? argv[3] : CONCURRENCE_TLS_DATA));
    return asyncio::run(tls_echo(bench::arg_or(argc, argv, 1, 10), bench::arg_or(argc, argv, 2, 20000),
                                 argc > 3 ? argv[3] : CONCURRENCE_TLS_DATA));
}
