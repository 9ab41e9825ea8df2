// The Python docs' "TCP echo client using streams", line by line.
//
//   async def tcp_echo_client(message):
//       reader, writer = await asyncio.open_connection('127.0.0.1', 8888)
//       print(f'Send: {message!r}')
//       writer.write(message.encode())
//       await writer.drain()
//       data = await reader.read(100)
//       print(f'Received: {data.decode()!r}')
//       print('Close the connection')
//       writer.close()
//       await writer.wait_closed()
//
//   asyncio.run(tcp_echo_client('Hello World!'))
//
// Usage: tcp_echo_client [PORT [MESSAGE]]
#include <concurrence/asyncio.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace asyncio = concurrence::asyncio;

asyncio::Coro<> tcp_echo_client(std::string message, int port) {
    auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port);
    std::printf("Send: '%s'\n", message.c_str());
    writer.write(message);
    co_await writer.drain();
    std::string data = co_await reader.read(100);
    std::printf("Received: '%s'\n", data.c_str());
    std::printf("Close the connection\n");
    writer.close();
    co_await writer.wait_closed();
}

int main(int argc, char** argv) {
    const int port = argc > 1 ? std::atoi(argv[1]) : 8888;
    asyncio::run(tcp_echo_client(argc > 2 ? argv[2] : "Hello World!", port));
}
