// A line-based chat server: every line a client sends goes to all the others.
//
//   clients = set()
//
//   async def handle(reader, writer):
//       name = writer.get_extra_info('peername')
//       clients.add(writer)
//       broadcast(f"{name} joined\n", writer)
//       try:
//           async for line in reader:
//               broadcast(f"{name}: {line.decode()}", writer)
//       finally:
//           clients.discard(writer)
//           broadcast(f"{name} left\n", writer)
//           writer.close()
//           await writer.wait_closed()
//
// A slow client cannot hold the others up: broadcast only writes into each transport's
// buffer, and a client whose buffer passes 1 MiB (it stopped reading) is disconnected.
//
// Usage: chat_server [PORT]   (8889 by default; connect with `nc 127.0.0.1 8889`)
#include <concurrence/asyncio.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace asyncio = concurrence::asyncio;
namespace net = concurrence::net;

namespace {

std::vector<asyncio::StreamWriter> clients;
constexpr std::size_t max_backlog = 1 << 20;

bool same(const asyncio::StreamWriter& a, const asyncio::StreamWriter& b) { return &a.transport() == &b.transport(); }

void broadcast(const std::string& text, const asyncio::StreamWriter& from) {
    for (asyncio::StreamWriter& w : clients) {
        if (same(w, from) || w.is_closing()) continue;
        if (w.transport().get_write_buffer_size() > max_backlog) {
            w.close();  // stopped reading: let it go rather than buffer without end
            continue;
        }
        w.write(text);
    }
}

asyncio::Coro<> handle(asyncio::StreamReader reader, asyncio::StreamWriter writer) {
    const auto peer = writer.get_extra_info<net::Address>("peername");
    const std::string name = peer ? peer->repr() : "?";
    clients.push_back(writer);
    broadcast(name + " joined\n", writer);
    std::exception_ptr error;
    try {
        while (auto line = co_await reader.next()) broadcast(name + ": " + *line, writer);
    } catch (const std::exception&) {  // a reset, or a line past the limit: the client leaves
        error = std::current_exception();
    }
    std::erase_if(clients, [&](const asyncio::StreamWriter& w) { return same(w, writer); });
    broadcast(name + " left\n", writer);
    writer.close();
    try {
        co_await writer.wait_closed();
    } catch (const concurrence::ConnectionError&) {
    }
}

asyncio::Coro<> main_coro(int port) {
    asyncio::Server server = co_await asyncio::start_server(handle, "127.0.0.1", port);
    std::printf("Chat on %s\n", server.sockets().at(0).getsockname().repr().c_str());
    std::fflush(stdout);
    co_await asyncio::async_with(server, [&]() -> asyncio::Coro<> { co_await server.serve_forever(); });
}

}  // namespace

int main(int argc, char** argv) { asyncio::run(main_coro(argc > 1 ? std::atoi(argv[1]) : 8889)); }
