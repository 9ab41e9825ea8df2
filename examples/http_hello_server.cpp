// A minimal HTTP/1.1 keep-alive "Hello, World!" server on streams: read a request head up to
// the blank line, answer, and go on with the next request of the same connection.
//
//   async def handle(reader, writer):
//       try:
//           while True:
//               head = await reader.readuntil(b"\r\n\r\n")
//               if head.startswith(b"GET / "):
//                   writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\n"
//                                b"Content-Type: text/plain\r\n\r\nHello, World!")
//               else:
//                   writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
//               await writer.drain()
//       except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
//           pass
//       writer.close()
//
// Usage: http_hello_server [PORT]   (8080 by default; try `curl http://127.0.0.1:8080/`)
#include <concurrence/asyncio.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace asyncio = concurrence::asyncio;

asyncio::Coro<> handle(asyncio::StreamReader reader, asyncio::StreamWriter writer) {
    try {
        for (;;) {
            std::string head = co_await reader.readuntil("\r\n\r\n");
            if (head.starts_with("GET / "))
                writer.write("HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nHello, World!");
            else
                writer.write("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
            co_await writer.drain();
        }
    } catch (const asyncio::IncompleteReadError&) {  // the client closed between requests
    } catch (const asyncio::LimitOverrunError&) {    // a head over 64 KiB
    } catch (const concurrence::ConnectionError&) {
    }
    writer.close();
}

asyncio::Coro<> main_coro(int port) {
    asyncio::Server server = co_await asyncio::start_server(handle, "127.0.0.1", port);
    std::printf("Serving HTTP on %s\n", server.sockets().at(0).getsockname().repr().c_str());
    std::fflush(stdout);
    co_await asyncio::async_with(server, [&]() -> asyncio::Coro<> { co_await server.serve_forever(); });
}

int main(int argc, char** argv) { asyncio::run(main_coro(argc > 1 ? std::atoi(argv[1]) : 8080)); }
