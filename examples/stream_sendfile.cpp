// Serving a file over a stream with loop.sendfile: a header written by the StreamWriter,
// then the file straight from the kernel, after the header. One program, a server and a
// client, line by line as in Python:
//
//   import asyncio, os, sys
//
//   async def serve_file(reader, writer, path):
//       await reader.readline()                       # the request
//       with open(path, 'rb') as f:
//           writer.write(f"{os.fstat(f.fileno()).st_size}\n".encode())
//           sent = await asyncio.get_running_loop().sendfile(writer.transport, f)
//       print(f"server: sent {sent} bytes after the header")
//       writer.close()
//       await writer.wait_closed()
//
//   async def main(path):
//       server = await asyncio.start_server(lambda r, w: serve_file(r, w, path), '127.0.0.1', 0)
//       port = server.sockets[0].getsockname()[1]
//       reader, writer = await asyncio.open_connection('127.0.0.1', port)
//       writer.write(b"GET\n")
//       size = int(await reader.readline())
//       data = await reader.readexactly(size)
//       print(f"client: received {len(data)} bytes")
//       with open(path, 'rb') as f:
//           print("same bytes as the file:", data == f.read())
//       writer.close()
//       await writer.wait_closed()
//       server.close()
//       await server.wait_closed()
//
//   asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else sys.argv[0]))
//
// Usage: stream_sendfile [FILE]   (this program's own executable by default)
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <concurrence/asyncio.hpp>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

namespace asyncio = concurrence::asyncio;

// Python's `with open(path, 'rb') as f:` (the descriptor is closed however the block ends).
struct OpenFile {
    explicit OpenFile(const std::string& path) : fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
        if (fd < 0) concurrence::throw_os_error(errno, path);
    }
    OpenFile(const OpenFile&) = delete;
    OpenFile& operator=(const OpenFile&) = delete;
    ~OpenFile() { ::close(fd); }
    long size() const {
        struct stat st {};
        ::fstat(fd, &st);
        return static_cast<long>(st.st_size);
    }
    int fd;
};

asyncio::Coro<> serve_file(asyncio::StreamReader reader, asyncio::StreamWriter writer, std::string path) {
    co_await reader.readline();  // the request
    std::size_t sent = 0;
    {
        const OpenFile f(path);
        writer.write(std::to_string(f.size()) + "\n");
        sent = co_await asyncio::get_running_loop().sendfile(writer.transport(), f.fd);
    }
    std::printf("server: sent %zu bytes after the header\n", sent);
    writer.close();
    co_await writer.wait_closed();
}

std::string read_whole_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

asyncio::Coro<> main_(std::string path) {
    auto handler = [path](asyncio::StreamReader r, asyncio::StreamWriter w) { return serve_file(std::move(r), std::move(w), path); };
    asyncio::Server server = co_await asyncio::start_server(handler, "127.0.0.1", 0);
    const int port = server.sockets()[0].getsockname().port;
    auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port);
    writer.write("GET\n");
    const std::size_t size = std::stoul(co_await reader.readline());
    const std::string data = co_await reader.readexactly(size);
    std::printf("client: received %zu bytes\n", data.size());
    std::printf("same bytes as the file: %s\n", data == read_whole_file(path) ? "True" : "False");
    writer.close();
    co_await writer.wait_closed();
    server.close();
    co_await server.wait_closed();
}

int main(int argc, char** argv) { asyncio::run(main_(argc > 1 ? argv[1] : argv[0])); }
