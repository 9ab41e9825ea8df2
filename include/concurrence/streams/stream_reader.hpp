// Python's asyncio.StreamReader.
//
//   auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", 8888);
//   std::string line = co_await reader.readline();        // b'' at EOF: ""
//   std::string header = co_await reader.readexactly(4);  // IncompleteReadError at EOF
//   while (auto line = co_await reader.next())            // async for line in reader:
//       handle(*line);
//
// A StreamReader is a handle: copies share one stream (Python passes the object around).
// Bytes are std::string. The buffer holds at most about 2 x limit before the transport stops
// reading (back-pressure); readline/readuntil give up with LimitOverrunError (readline: a
// ValueError, as Python's) past `limit` bytes without a separator. Only one read may wait at
// a time (RuntimeError otherwise, as Python). Loop thread only. A reader made by the program
// (StreamReader(limit)) is fed with feed_data/feed_eof, as in Python's tests.
#pragma once

#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "concurrence/streams/errors.hpp"
#include "concurrence/task/coro.hpp"

namespace concurrence::asyncio {

class Transport;

namespace detail {
struct ReaderState;
}

inline constexpr std::size_t default_stream_limit = 64 * 1024;  // Python's _DEFAULT_LIMIT

class StreamReader {
public:
    explicit StreamReader(std::size_t limit = default_stream_limit);
    explicit StreamReader(std::shared_ptr<detail::ReaderState> state) : s_(std::move(state)) {}

    // Up to n bytes (n < 0: everything up to EOF); "" at EOF.
    Coro<std::string> read(std::ptrdiff_t n = -1);
    // Up to and including "\n"; at EOF, what is left (maybe ""). ValueError past the limit.
    Coro<std::string> readline();
    // Exactly n bytes, or IncompleteReadError with what there was. ValueError if n < 0.
    Coro<std::string> readexactly(std::ptrdiff_t n);
    // Up to and including separator. IncompleteReadError at EOF, LimitOverrunError past the
    // limit, ValueError for an empty separator.
    Coro<std::string> readuntil(std::string separator = "\n");
    // async for: the next line, nullopt at EOF.
    Coro<std::optional<std::string>> next();

    bool at_eof() const;
    std::exception_ptr exception() const;
    std::size_t limit() const;

    // ---- the protocol's side (Python's public feed_* methods)
    void feed_data(std::string_view data);
    void feed_eof();
    void set_exception(std::exception_ptr exc);
    void set_transport(Transport* transport);

    detail::ReaderState& state() const { return *s_; }

private:
    std::shared_ptr<detail::ReaderState> s_;
};

}  // namespace concurrence::asyncio
