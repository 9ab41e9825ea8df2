// The Python docs' "TCP echo server using streams", line by line.
//
//   import asyncio
//
//   async def handle_echo(reader, writer):
//       data = await reader.read(100)
//       message = data.decode()
//       addr = writer.get_extra_info('peername')
//       print(f"Received {message!r} from {addr!r}")
//       print(f"Send: {message!r}")
//       writer.write(data)
//       await writer.drain()
//       print("Close the connection")
//       writer.close()
//       await writer.wait_closed()
//
//   async def main():
//       server = await asyncio.start_server(handle_echo, '127.0.0.1', 8888)
//       addrs = ', '.join(str(sock.getsockname()) for sock in server.sockets)
//       print(f'Serving on {addrs}')
//       async with server:
//           await server.serve_forever()
//
//   asyncio.run(main())
//
// Usage: tcp_echo_server [PORT]   (8888 by default; try it with tcp_echo_client)
#include <concurrence/asyncio.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace asyncio = concurrence::asyncio;
namespace net = concurrence::net;

asyncio::Coro<> handle_echo(asyncio::StreamReader reader, asyncio::StreamWriter writer) {
    std::string message = co_await reader.read(100);
    auto addr = writer.get_extra_info<net::Address>("peername");
    std::printf("Received '%s' from %s\n", message.c_str(), addr ? addr->repr().c_str() : "None");
    std::printf("Send: '%s'\n", message.c_str());
    writer.write(message);
    co_await writer.drain();
    std::printf("Close the connection\n");
    writer.close();
    co_await writer.wait_closed();
}

asyncio::Coro<> main_coro(int port) {
    asyncio::Server server = co_await asyncio::start_server(handle_echo, "127.0.0.1", port);
    std::string addrs;
    for (const net::Socket& sock : server.sockets()) addrs += (addrs.empty() ? "" : ", ") + sock.getsockname().repr();
    std::printf("Serving on %s\n", addrs.c_str());
    std::fflush(stdout);
    // async with server: await server.serve_forever()
    co_await asyncio::async_with(server, [&]() -> asyncio::Coro<> { co_await server.serve_forever(); });
}

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    asyncio::run(main_coro(argc > 1 ? std::atoi(argv[1]) : 8888));
}
