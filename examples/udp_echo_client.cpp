// The Python docs' "UDP Echo Client" (transports and protocols), line by line.
//
//   import asyncio
//
//   class EchoClientProtocol:
//       def __init__(self, message, on_con_lost):
//           self.message = message
//           self.on_con_lost = on_con_lost
//           self.transport = None
//
//       def connection_made(self, transport):
//           self.transport = transport
//           print('Send:', self.message)
//           self.transport.sendto(self.message.encode())
//
//       def datagram_received(self, data, addr):
//           print("Received:", data.decode())
//
//           print("Close the socket")
//           self.transport.close()
//
//       def error_received(self, exc):
//           print('Error received:', exc)
//
//       def connection_lost(self, exc):
//           print("Connection closed")
//           self.on_con_lost.set_result(True)
//
//   async def main():
//       # Get a reference to the event loop as we plan to use
//       # low-level APIs.
//       loop = asyncio.get_running_loop()
//
//       on_con_lost = loop.create_future()
//       message = "Hello World!"
//
//       transport, protocol = await loop.create_datagram_endpoint(
//           lambda: EchoClientProtocol(message, on_con_lost),
//           remote_addr=('127.0.0.1', 9999))
//
//       try:
//           await on_con_lost
//       finally:
//           transport.close()
//
//   asyncio.run(main())
//
// Usage: udp_echo_client [PORT [MESSAGE]]   (start udp_echo_server first: without a server,
// the client waits, printing the "Connection refused" it is told of, as Python's does)
#include <concurrence/asyncio.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>

namespace asyncio = concurrence::asyncio;
namespace net = concurrence::net;

class EchoClientProtocol : public asyncio::DatagramProtocol {
public:
    EchoClientProtocol(std::string message, asyncio::Future<bool> on_con_lost)
        : message_(std::move(message)), on_con_lost_(std::move(on_con_lost)) {}

    void connection_made(asyncio::DatagramTransport& transport) override {
        transport_ = &transport;
        std::printf("Send: %s\n", message_.c_str());
        transport_->sendto(message_);
    }

    void datagram_received(std::string_view data, const net::Address& /*addr*/) override {
        std::printf("Received: %s\n", std::string(data).c_str());

        std::printf("Close the socket\n");
        transport_->close();
    }

    void error_received(std::exception_ptr exc) override {
        try {
            std::rethrow_exception(exc);
        } catch (const std::exception& e) {
            std::printf("Error received: %s\n", e.what());
        }
    }

    void connection_lost(std::exception_ptr /*exc*/) override {
        std::printf("Connection closed\n");
        on_con_lost_.set_result(true);
    }

private:
    std::string message_;
    asyncio::Future<bool> on_con_lost_;
    asyncio::DatagramTransport* transport_ = nullptr;
};

asyncio::Coro<> main_coro(int port, std::string message) {
    // Get a reference to the event loop as we plan to use low-level APIs.
    asyncio::EventLoop& loop = asyncio::get_running_loop();

    asyncio::Future<bool> on_con_lost = loop.create_future<bool>();

    // The factory and the options named first (g++ 12: docs/design.md).
    auto factory = [&] { return std::make_shared<EchoClientProtocol>(message, on_con_lost); };
    net::DatagramOptions options{.remote_addr = net::Address{"127.0.0.1", port}};
    auto [transport, protocol] = co_await loop.create_datagram_endpoint(factory, std::move(options));

    // try: ... finally: transport.close()
    try {
        co_await on_con_lost;
    } catch (...) {
        transport->close();
        throw;
    }
    transport->close();
}

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    const int port = argc > 1 ? std::atoi(argv[1]) : 9999;
    asyncio::run(main_coro(port, argc > 2 ? argv[2] : "Hello World!"));
}
