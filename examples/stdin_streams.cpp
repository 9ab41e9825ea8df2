// Streams on pipes: stdin read line by line and stdout written with back-pressure, through
// loop.connect_read_pipe / connect_write_pipe and a StreamReaderProtocol, while another task
// goes on. Line by line as in Python:
//
//   import asyncio, sys
//
//   async def main():
//       loop = asyncio.get_running_loop()
//       reader = asyncio.StreamReader()
//       protocol = asyncio.StreamReaderProtocol(reader)
//       await loop.connect_read_pipe(lambda: protocol, sys.stdin)
//       w_transport, w_protocol = await loop.connect_write_pipe(
//           lambda: asyncio.StreamReaderProtocol(asyncio.StreamReader()), sys.stdout)
//       writer = asyncio.StreamWriter(w_transport, w_protocol, None, loop)
//       count = 0
//       async for line in reader:
//           count += 1
//           writer.write(f"{count}: {line.decode().upper()}".encode())
//           await writer.drain()
//       writer.write(f"{count} lines\n".encode())
//       writer.close()
//       await writer.wait_closed()
//
//   asyncio.run(main())
//
// Usage: printf 'one\ntwo\n' | stdin_streams | cat
// stdin and stdout must be pipes or terminals: a regular file is refused with Python's
// ValueError ("Pipe transport is only for pipes, sockets and character devices").
// The transports own the descriptors they are given and close them at the end, as Python
// closes sys.stdin and sys.stdout here; pass ::dup(...) to keep using them afterwards.
#include <unistd.h>

#include <cctype>
#include <concurrence/asyncio.hpp>
#include <memory>
#include <string>

namespace asyncio = concurrence::asyncio;

asyncio::Coro<> amain() {
    auto& loop = asyncio::get_running_loop();
    asyncio::StreamReader reader;
    auto protocol = std::make_shared<asyncio::StreamReaderProtocol>(reader);
    auto reading = [protocol] { return protocol; };  // named, not a temporary: g++ 12
    co_await loop.connect_read_pipe(reading, ::dup(STDIN_FILENO));
    auto writing = [] { return std::make_shared<asyncio::StreamReaderProtocol>(asyncio::StreamReader()); };
    auto [w_transport, w_protocol] = co_await loop.connect_write_pipe(writing, ::dup(STDOUT_FILENO));
    asyncio::StreamWriter writer(w_transport, w_protocol);
    int count = 0;
    while (auto line = co_await reader.next()) {
        ++count;
        std::string upper = *line;
        for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        writer.write(std::to_string(count) + ": " + upper);
        co_await writer.drain();
    }
    writer.write(std::to_string(count) + " lines\n");
    writer.close();
    co_await writer.wait_closed();
}

int main() { asyncio::run(amain()); }
