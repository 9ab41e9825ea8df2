// Serving a file with loop.sock_sendfile: the kernel copies the file to the socket, no buffer
// in between. One program, a server task and a client, line by line as in Python:
//
//   import asyncio, os, socket, sys
//
//   async def serve_one(listener, path):
//       loop = asyncio.get_running_loop()
//       conn, addr = await loop.sock_accept(listener)
//       with conn, open(path, 'rb') as f:
//           sent = await loop.sock_sendfile(conn, f)
//       print(f"server: sent {sent} bytes")
//
//   async def main(path):
//       loop = asyncio.get_running_loop()
//       listener = socket.socket()
//       listener.bind(('127.0.0.1', 0))
//       listener.listen()
//       listener.setblocking(False)
//       server = asyncio.create_task(serve_one(listener, path))
//       client = socket.socket()
//       client.setblocking(False)
//       await loop.sock_connect(client, listener.getsockname())
//       received = 0
//       while data := await loop.sock_recv(client, 65536):
//           received += len(data)
//       await server
//       print(f"client: received {received} bytes")
//       print("same size as the file:", received == os.path.getsize(path))
//
//   asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else sys.argv[0]))
//
// Usage: sock_sendfile [FILE]   (this program's own executable by default)
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <concurrence/asyncio.hpp>
#include <cerrno>
#include <cstdio>
#include <string>

namespace asyncio = concurrence::asyncio;
namespace net = concurrence::net;

// Python's `with open(path, 'rb') as f:` (the descriptor is closed however the block ends).
struct OpenFile {
    explicit OpenFile(const std::string& path) : fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
        if (fd < 0) concurrence::throw_os_error(errno, path);
    }
    OpenFile(const OpenFile&) = delete;
    OpenFile& operator=(const OpenFile&) = delete;
    ~OpenFile() { ::close(fd); }
    int fd;
};

asyncio::Coro<> serve_one(net::Socket& listener, std::string path) {
    auto& loop = asyncio::get_running_loop();
    auto [conn, addr] = co_await loop.sock_accept(listener);
    const OpenFile f(path);
    const std::size_t sent = co_await loop.sock_sendfile(conn, f.fd);
    std::printf("server: sent %zu bytes\n", sent);
}  // conn and f close here: the client reads the end

asyncio::Coro<int> run_example(std::string path) {
    auto& loop = asyncio::get_running_loop();
    net::Socket listener(AF_INET, SOCK_STREAM);
    listener.bind({"127.0.0.1", 0});
    listener.listen();
    listener.setblocking(false);
    auto server = asyncio::create_task(serve_one(listener, path));
    net::Socket client(AF_INET, SOCK_STREAM);
    client.setblocking(false);
    co_await loop.sock_connect(client, listener.getsockname());
    std::size_t received = 0;
    for (;;) {
        const std::string data = co_await loop.sock_recv(client, 65536);
        if (data.empty()) break;
        received += data.size();
    }
    co_await server;
    std::printf("client: received %zu bytes\n", received);
    struct stat st {};
    ::stat(path.c_str(), &st);
    std::printf("same size as the file: %s\n", received == static_cast<std::size_t>(st.st_size) ? "True" : "False");
    co_return 0;
}

int main(int argc, char** argv) { return asyncio::run(run_example(argc > 1 ? argv[1] : argv[0])); }
