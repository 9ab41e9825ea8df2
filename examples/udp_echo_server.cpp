// The Python docs' "UDP Echo Server" (transports and protocols), line by line.
//
//   import asyncio
//
//   class EchoServerProtocol:
//       def connection_made(self, transport):
//           self.transport = transport
//
//       def datagram_received(self, data, addr):
//           message = data.decode()
//           print('Received %r from %s' % (message, addr))
//           print('Send %r to %s' % (message, addr))
//           self.transport.sendto(data, addr)
//
//   async def main():
//       print("Starting UDP server")
//
//       # Get a reference to the event loop as we plan to use
//       # low-level APIs.
//       loop = asyncio.get_running_loop()
//
//       # One protocol instance will be created to serve all
//       # client requests.
//       transport, protocol = await loop.create_datagram_endpoint(
//           EchoServerProtocol,
//           local_addr=('127.0.0.1', 9999))
//
//       try:
//           await asyncio.sleep(3600)  # Serve for 1 hour.
//       finally:
//           transport.close()
//
//   asyncio.run(main())
//
// Usage: udp_echo_server [PORT]   (9999 by default; try it with udp_echo_client)
#include <concurrence/asyncio.hpp>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

namespace asyncio = concurrence::asyncio;
namespace net = concurrence::net;

class EchoServerProtocol : public asyncio::DatagramProtocol {
public:
    void connection_made(asyncio::DatagramTransport& transport) override { transport_ = &transport; }

    void datagram_received(std::string_view data, const net::Address& addr) override {
        std::string message(data);
        std::printf("Received '%s' from %s\n", message.c_str(), addr.repr().c_str());
        std::printf("Send '%s' to %s\n", message.c_str(), addr.repr().c_str());
        transport_->sendto(data, addr);
    }

private:
    asyncio::DatagramTransport* transport_ = nullptr;
};

asyncio::Coro<> main_coro(int port) {
    std::printf("Starting UDP server\n");

    // Get a reference to the event loop as we plan to use low-level APIs.
    asyncio::EventLoop& loop = asyncio::get_running_loop();

    // One protocol instance will be created to serve all client requests.
    net::DatagramOptions options{.local_addr = net::Address{"127.0.0.1", port}};
    auto [transport, protocol] = co_await loop.create_datagram_endpoint(
        [] { return std::make_shared<EchoServerProtocol>(); }, std::move(options));

    // try: ... finally: transport.close()
    try {
        co_await asyncio::sleep(3600);  // Serve for 1 hour.
    } catch (...) {
        transport->close();
        throw;
    }
    transport->close();
}

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    asyncio::run(main_coro(argc > 1 ? std::atoi(argv[1]) : 9999));
}
