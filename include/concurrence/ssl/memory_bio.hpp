// Python's ssl.MemoryBIO: a buffer an SSLObject reads its input from or writes its output to,
// so that TLS runs over any byte stream (asyncio's TLS transports are built on two of them).
//
//   ssl::MemoryBIO incoming, outgoing;
//   ssl::SSLObject tls = context.wrap_bio(incoming, outgoing, false, "example.com");
//   incoming.write(bytes_from_the_network);
//   send(outgoing.read());
//
// A handle: copies share one buffer (Python passes the object). One thread at a time.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace concurrence::ssl {

namespace detail {
struct BioState;
}

class MemoryBIO {
public:
    MemoryBIO();

    // Bytes waiting to be read.
    std::size_t pending() const;
    // Python's eof: write_eof() was called and everything was read.
    bool eof() const;
    // Up to n bytes (all, without n).
    std::string read(std::optional<std::size_t> n = std::nullopt);
    // Appends data; returns its size. After write_eof(): SSLError("cannot write() after write_eof()").
    std::size_t write(std::string_view data);
    // No more data will come: an SSLObject reading past the end then raises SSLEOFError.
    void write_eof();

    detail::BioState& state() const noexcept { return *state_; }

private:
    std::shared_ptr<detail::BioState> state_;
};

}  // namespace concurrence::ssl
