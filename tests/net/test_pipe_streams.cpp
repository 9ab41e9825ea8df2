// Streams over pipes: a StreamReaderProtocol made by the program (Python's recipe for reading
// stdin) and StreamWriter(transport, protocol) on a write pipe.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <utility>

#include "tp_support.hpp"

namespace {

using namespace tp_support;

// Python: reader = StreamReader(); protocol = StreamReaderProtocol(reader);
// await loop.connect_read_pipe(lambda: protocol, pipe), then the reader's lines.
asyncio::Coro<> pstream_reader_lines() {
    auto& loop = asyncio::get_running_loop();
    TpPipe p;
    asyncio::StreamReader reader;
    auto protocol = std::make_shared<asyncio::StreamReaderProtocol>(reader);
    auto factory = [protocol] { return protocol; };
    auto [transport, made] = co_await loop.connect_read_pipe(factory, p.give_read());
    EXPECT_EQ(made, protocol);
    const std::string text = "first\nsecond\nno newline";
    EXPECT_EQ(::write(p.write, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    p.close_write();
    std::vector<std::string> lines;
    while (auto line = co_await reader.next()) lines.push_back(*line);
    EXPECT_EQ(lines, (std::vector<std::string>{"first\n", "second\n", "no newline"}));
    EXPECT_TRUE(reader.at_eof());
}

TEST(PipeStreams, ReaderOverAReadPipe) { tp_run_checked(pstream_reader_lines); }

// Reads everything, 4 KiB per loop iteration: slower than the writer, so the pipe fills.
asyncio::Coro<std::string> pstream_slow_reader(asyncio::StreamReader reader) {
    std::string got;
    while (true) {
        std::string chunk = co_await reader.read(4096);
        if (chunk.empty()) break;
        got += chunk;
        co_await asyncio::sleep(0);
    }
    co_return got;
}

// A StreamWriter on a write pipe: drain() holds the writer while the transport's buffer is
// over its high-water mark (the reader is slow), every byte arrives, close() then
// wait_closed() end it.
asyncio::Coro<> pstream_writer_with_back_pressure() {
    auto& loop = asyncio::get_running_loop();
    TpPipe p;
    asyncio::StreamReader reader;
    auto reading = std::make_shared<asyncio::StreamReaderProtocol>(reader);
    auto read_factory = [reading] { return reading; };
    co_await loop.connect_read_pipe(read_factory, p.give_read());
    auto write_factory = [] { return std::make_shared<asyncio::StreamReaderProtocol>(asyncio::StreamReader()); };
    auto [transport, protocol] = co_await loop.connect_write_pipe(write_factory, p.give_write());
    asyncio::StreamWriter writer(transport, protocol);
    EXPECT_TRUE(writer.can_write_eof());
    auto reading_task = asyncio::create_task(pstream_slow_reader(reader));

    std::string sent;
    for (int i = 0; i < 64; ++i) sent += std::string(16 * 1024, static_cast<char>('A' + i % 26));
    int waits = 0;
    for (std::size_t at = 0; at < sent.size(); at += 64 * 1024) {
        writer.write(std::string_view(sent).substr(at, 64 * 1024));
        if (transport->get_write_buffer_size() > 64 * 1024) ++waits;
        co_await writer.drain();
        EXPECT_LE(transport->get_write_buffer_size(), 64u * 1024);
    }
    writer.close();
    co_await writer.wait_closed();
    EXPECT_TRUE(writer.is_closing());
    const std::string got = co_await reading_task;
    EXPECT_EQ(got.size(), sent.size());
    EXPECT_TRUE(got == sent);
    EXPECT_GT(waits, 0);
}

TEST(PipeStreams, WriterOverAWritePipeWithBackPressure) { tp_run_checked(pstream_writer_with_back_pressure); }

// Python's StreamReaderProtocol(reader) takes the running loop: outside one, RuntimeError.
TEST(PipeStreams, ProtocolOutsideALoopIsARuntimeError) {
    std::string what;
    try {
        asyncio::StreamReaderProtocol protocol{asyncio::StreamReader()};
    } catch (const concurrence::RuntimeError& e) {
        what = e.what();
    }
    EXPECT_EQ(what, "no running event loop");
}

asyncio::Coro<> pstream_writer_needs_both() {
    auto protocol = std::make_shared<asyncio::StreamReaderProtocol>(asyncio::StreamReader());
    EXPECT_THROW(asyncio::StreamWriter(nullptr, protocol), concurrence::ValueError);
    co_return;
}

TEST(PipeStreams, WriterWithoutATransportIsAValueError) { tp_run_checked(pstream_writer_needs_both); }

}  // namespace
