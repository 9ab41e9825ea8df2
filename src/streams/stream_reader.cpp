// Python's StreamReader (Lib/asyncio/streams.py), method by method.
#include "concurrence/streams/stream_reader.hpp"

#include <cstdint>

#include "concurrence/task/task.hpp"
#include "streams/reader_state.hpp"

namespace concurrence::asyncio {

namespace {

// Named apart from the other stream files: the unity build compiles them in one unit.
using ReaderPtr = std::shared_ptr<detail::ReaderState>;

void raise_if_failed(const detail::ReaderState& s) {
    if (s.exception) std::rethrow_exception(s.exception);
}

// Python's _wait_for_data(func_name).
detail::DataWait wait_for_data(detail::ReaderState& s, const char* func_name) {
    if (s.waiter)
        throw RuntimeError(std::string(func_name) +
                           "() called while another coroutine is already waiting for incoming data");
    if (s.paused) {
        s.paused = false;
        if (s.transport) s.transport->resume_reading();
    }
    return detail::DataWait(s);
}

Coro<std::string> read_some(ReaderPtr st, std::ptrdiff_t n) {
    detail::ReaderState& s = *st;
    raise_if_failed(s);
    if (n == 0) co_return std::string();
    if (n < 0) {
        // Python reads blocks of `limit` until EOF, so that a large body does not need one
        // huge buffer while it arrives.
        std::string all;
        for (;;) {
            std::string block = co_await read_some(st, static_cast<std::ptrdiff_t>(s.limit));
            if (block.empty()) break;
            all += block;
        }
        co_return all;
    }
    if (s.size() == 0 && !s.eof) co_await wait_for_data(s, "read");
    std::string data = s.take(std::min(s.size(), static_cast<std::size_t>(n)));
    s.maybe_resume_transport();
    co_return data;
}

Coro<std::string> read_until(ReaderPtr st, std::string separator) {
    detail::ReaderState& s = *st;
    const std::size_t seplen = separator.size();
    if (seplen == 0) throw ValueError("Separator should be at least one-byte string");
    raise_if_failed(s);
    // Python's search: only what arrived since the last look is scanned (offset).
    std::size_t offset = 0;
    std::size_t isep = std::string_view::npos;
    for (;;) {
        const std::size_t buflen = s.size();
        if (buflen >= offset + seplen) {
            isep = s.unread().find(separator, offset);
            if (isep != std::string_view::npos) break;
            offset = buflen + 1 - seplen;
            if (offset > s.limit)
                throw LimitOverrunError("Separator is not found, and chunk exceed the limit", offset);
        }
        if (s.eof) {
            std::string chunk = s.take(s.size());
            throw IncompleteReadError(std::move(chunk), std::nullopt);
        }
        co_await wait_for_data(s, "readuntil");
    }
    if (isep > s.limit) throw LimitOverrunError("Separator is found, but chunk is longer than limit", isep);
    std::string chunk = s.take(isep + seplen);
    s.maybe_resume_transport();
    co_return chunk;
}

Coro<std::string> read_line(ReaderPtr st) {
    detail::ReaderState& s = *st;
    std::exception_ptr overrun;
    std::size_t consumed = 0;
    try {
        co_return co_await read_until(st, "\n");
    } catch (const IncompleteReadError& e) {
        co_return e.partial();
    } catch (const LimitOverrunError& e) {
        overrun = std::current_exception();
        consumed = e.consumed();
    }
    // Python drops the overlong line (up to its separator if it is in the buffer, else all of
    // the buffer) and raises ValueError with the same message.
    if (s.unread().substr(consumed).starts_with("\n"))
        s.take(consumed + 1);
    else
        s.clear();
    s.maybe_resume_transport();
    try {
        std::rethrow_exception(overrun);
    } catch (const LimitOverrunError& e) {
        throw ValueError(e.what());
    }
}

Coro<std::string> read_exactly(ReaderPtr st, std::ptrdiff_t n) {
    detail::ReaderState& s = *st;
    if (n < 0) throw ValueError("readexactly size can not be less than zero");
    raise_if_failed(s);
    if (n == 0) co_return std::string();
    const auto want = static_cast<std::size_t>(n);
    while (s.size() < want) {
        if (s.eof) {
            std::string incomplete = s.take(s.size());
            throw IncompleteReadError(std::move(incomplete), want);
        }
        co_await wait_for_data(s, "readexactly");
    }
    std::string data = s.take(want);
    s.maybe_resume_transport();
    co_return data;
}

Coro<std::optional<std::string>> next_line(ReaderPtr st) {
    std::string line = co_await read_line(st);
    if (line.empty()) co_return std::nullopt;
    co_return line;
}

}  // namespace

StreamReader::StreamReader(std::size_t limit) : s_(std::make_shared<detail::ReaderState>(limit)) {
    // Python's limit <= 0. A limit over PTRDIFF_MAX is a negative number converted
    // (StreamReader(-1)): read() would ask read(limit) for blocks, i.e. read(-1) again, without
    // end, and 2 * limit would wrap.
    if (limit == 0 || limit > static_cast<std::size_t>(PTRDIFF_MAX)) throw ValueError("Limit cannot be <= 0");
}

Coro<std::string> StreamReader::read(std::ptrdiff_t n) { return read_some(s_, n); }
Coro<std::string> StreamReader::readline() { return read_line(s_); }
Coro<std::string> StreamReader::readexactly(std::ptrdiff_t n) { return read_exactly(s_, n); }
Coro<std::string> StreamReader::readuntil(std::string separator) { return read_until(s_, std::move(separator)); }
Coro<std::optional<std::string>> StreamReader::next() { return next_line(s_); }

bool StreamReader::at_eof() const { return s_->eof && s_->size() == 0; }
std::exception_ptr StreamReader::exception() const { return s_->exception; }
std::size_t StreamReader::limit() const { return s_->limit; }

void StreamReader::feed_data(std::string_view data) {
    detail::ReaderState& s = *s_;
    if (s.eof) throw RuntimeError("feed_data after feed_eof");
    if (data.empty()) return;
    s.buffer.append(data);
    s.wakeup_waiter(false);
    if (s.transport && !s.paused && s.size() > 2 * s.limit) {
        s.transport->pause_reading();
        s.paused = true;
    }
}

void StreamReader::feed_eof() {
    s_->eof = true;
    s_->wakeup_waiter(false);
}

void StreamReader::set_exception(std::exception_ptr exc) {
    s_->exception = std::move(exc);
    s_->wakeup_waiter(true);
}

void StreamReader::set_transport(Transport* transport) {
    if (transport && s_->transport) throw RuntimeError("Transport already set");
    s_->transport = transport;
}

}  // namespace concurrence::asyncio
