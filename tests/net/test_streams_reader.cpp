// StreamReader fed by hand (CPython's test_streams.py: the StreamTests that need no network).
#include <gtest/gtest.h>

#include "net_support.hpp"
#include "streams/reader_state.hpp"

namespace {

using namespace net_tests;

const std::string stm_DATA = "line1\nline2\nline3\n";

// What the reader holds and has not handed out yet (Python's stream._buffer).
std::string stm_buffer(const asyncio::StreamReader& reader) { return std::string(reader.state().unread()); }

std::exception_ptr stm_value_error(const std::string& what = "boom") {
    return std::make_exception_ptr(concurrence::ValueError(what));
}

// Runs op on the loop and returns the message of the exception it throws ("" if none).
template <class Op>
std::string stm_error_message(asyncio::EventLoop& loop, Op op) {
    try {
        loop.run_until_complete(std::move(op));
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}

TEST(StreamReaderTest, FeedEmptyData) {
    asyncio::StreamReader stream;
    stream.feed_data("");
    EXPECT_EQ(stm_buffer(stream), "");
}

TEST(StreamReaderTest, FeedNonemptyData) {
    asyncio::StreamReader stream;
    stream.feed_data(stm_DATA);
    EXPECT_EQ(stm_buffer(stream), stm_DATA);
}

TEST(StreamReaderTest, ReadZero) {
    asyncio::EventLoop loop;
    asyncio::StreamReader stream;
    stream.feed_data(stm_DATA);
    EXPECT_EQ(loop.run_until_complete(stream.read(0)), "");
    EXPECT_EQ(stm_buffer(stream), stm_DATA);
}

TEST(StreamReaderTest, Read) {
    asyncio::EventLoop loop;
    asyncio::StreamReader stream;
    auto read_task = loop.create_task(stream.read(30));
    loop.call_soon([stream]() mutable { stream.feed_data(stm_DATA); });
    EXPECT_EQ(loop.run_until_complete(read_task), stm_DATA);
    EXPECT_EQ(stm_buffer(stream), "");
}

TEST(StreamReaderTest, ReadLineBreaks) {
    asyncio::EventLoop loop;
    asyncio::StreamReader stream;
    stream.feed_data("line1");
    stream.feed_data("line2");
    EXPECT_EQ(loop.run_until_complete(stream.read(5)), "line1");
    EXPECT_EQ(stm_buffer(stream), "line2");
}

TEST(StreamReaderTest, ReadEof) {
    asyncio::EventLoop loop;
    asyncio::StreamReader stream;
    auto read_task = loop.create_task(stream.read(1024));
    loop.call_soon([stream]() mutable { stream.feed_eof(); });
    EXPECT_EQ(loop.run_until_complete(read_task), "");
    EXPECT_EQ(stm_buffer(stream), "");
}

TEST(StreamReaderTest, ReadUntilEof) {
    asyncio::EventLoop loop;
    asyncio::StreamReader stream;
    auto read_task = loop.create_task(stream.read(-1));
    loop.call_soon([stream]() mutable {
        stream.feed_data("chunk1\n");
        stream.feed_data("chunk2");
        stream.feed_eof();
    });
    EXPECT_EQ(loop.run_until_complete(read_task), "chunk1\nchunk2");
    EXPECT_EQ(stm_buffer(stream), "");
}

TEST(StreamReaderTest, ReadAllInBlocksOfTheLimit) {
    // read(-1) reads blocks of `limit` (Python's loop): more than the limit still arrives whole.
    asyncio::EventLoop loop;
    asyncio::StreamReader stream(3);
    const std::string body = pattern_bytes(1000);
    stream.feed_data(body);
    stream.feed_eof();
    EXPECT_EQ(loop.run_until_complete(stream.read()), body);
    EXPECT_TRUE(stream.at_eof());
}

TEST(StreamReaderTest, ReadException) {
    asyncio::EventLoop loop;
    asyncio::StreamReader stream;
    stream.feed_data("line\n");
    EXPECT_EQ(loop.run_until_complete(stream.read(2)), "li");
    stream.set_exception(stm_value_error());
    EXPECT_THROW(loop.run_until_complete(stream.read(2)), concurrence::ValueError);
}

TEST(StreamReaderTest, InvalidLimit) {
    // Python: ValueError matching 'imit' for limit=0 and limit=-1 (a size_t cannot be negative).
    try {
        asyncio::StreamReader stream(0);
        ADD_FAILURE() << "no exception";
    } catch (const concurrence::ValueError& e) {
        EXPECT_STREQ(e.what(), "Limit cannot be <= 0");
    }
    // Python's limit=-1: a negative number converted to size_t is refused too (read() would
    // otherwise read blocks of "-1" bytes forever).
    EXPECT_THROW(asyncio::StreamReader(static_cast<std::size_t>(-1)), concurrence::ValueError);
    EXPECT_THROW(asyncio::StreamReader(static_cast<std::size_t>(PTRDIFF_MAX) + 1), concurrence::ValueError);
    EXPECT_EQ(asyncio::StreamReader(static_cast<std::size_t>(PTRDIFF_MAX)).limit(), static_cast<std::size_t>(PTRDIFF_MAX));
}

TEST(StreamReaderTest, HugeLimitReadsToEof) {
    asyncio::EventLoop loop;
    asyncio::StreamReader stream(static_cast<std::size_t>(PTRDIFF_MAX));
    stream.feed_data("all of it");
    stream.feed_eof();
    EXPECT_EQ(loop.run_until_complete(stream.read()), "all of it");
}

TEST(StreamReaderTest, ReadLimit) {
    asyncio::EventLoop loop;
    asyncio::StreamReader stream(3);
    stream.feed_data("chunk");
    EXPECT_EQ(loop.run_until_complete(stream.read(5)), "chunk");
    EXPECT_EQ(stm_buffer(stream), "");
}

TEST(StreamReaderTest, Readline) {
    asyncio::EventLoop loop;
    asyncio::StreamReader stream;
    stream.feed_data("chunk1 ");
    auto read_task = loop.create_task(stream.readline());
    loop.call_soon([stream]() mutable {
        stream.feed_data("chunk2 ");
        stream.feed_data("chunk3 ");
        stream.feed_data("\n chunk4");
    });
    EXPECT_EQ(loop.run_until_complete(read_task), "chunk1 chunk2 chunk3 \n");
    EXPECT_EQ(stm_buffer(stream), " chunk4");
}

TEST(StreamReaderTest, ReadlineLimitWithExistingData) {
    asyncio::EventLoop loop;
    {
        asyncio::StreamReader stream(3);
        stream.feed_data("li");
        stream.feed_data("ne1\nline2\n");
        EXPECT_THROW(loop.run_until_complete(stream.readline()), concurrence::ValueError);
        // The rest of the buffer is kept after the overlong line.
        EXPECT_EQ(stm_buffer(stream), "line2\n");
    }
    {
        asyncio::StreamReader stream(3);
        stream.feed_data("li");
        stream.feed_data("ne1");
        stream.feed_data("li");
        EXPECT_THROW(loop.run_until_complete(stream.readline()), concurrence::ValueError);
        // No separator: the whole buffer was dropped.
        EXPECT_EQ(stm_buffer(stream), "");
    }
}

TEST(StreamReaderTest, AtEof) {
    asyncio::EventLoop loop;
    asyncio::StreamReader stream;
    EXPECT_FALSE(stream.at_eof());
    stream.feed_data("some data\n");
    EXPECT_FALSE(stream.at_eof());
    loop.run_until_complete(stream.readline());
    EXPECT_FALSE(stream.at_eof());
    stream.feed_data("some data\n");
    stream.feed_eof();
    loop.run_until_complete(stream.readline());
    EXPECT_TRUE(stream.at_eof());
}

TEST(StreamReaderTest, ReadlineLimit) {
    asyncio::EventLoop loop;
    {
        asyncio::StreamReader stream(7);
        loop.call_soon([stream]() mutable {
            stream.feed_data("chunk1");
            stream.feed_data("chunk2");
            stream.feed_data("chunk3\n");
            stream.feed_eof();
        });
        EXPECT_THROW(loop.run_until_complete(stream.readline()), concurrence::ValueError);
        EXPECT_EQ(stm_buffer(stream), "");
    }
    {
        asyncio::StreamReader stream(7);
        loop.call_soon([stream]() mutable {
            stream.feed_data("chunk1");
            stream.feed_data("chunk2\n");
            stream.feed_data("chunk3\n");
            stream.feed_eof();
        });
        EXPECT_THROW(loop.run_until_complete(stream.readline()), concurrence::ValueError);
        EXPECT_EQ(stm_buffer(stream), "chunk3\n");
    }
    {
        // The limit is strict: 7 bytes and the separator pass, 8 do not.
        asyncio::StreamReader stream(7);
        stream.feed_data("1234567\n");
        EXPECT_EQ(loop.run_until_complete(stream.readline()), "1234567\n");
        EXPECT_EQ(stm_buffer(stream), "");

        stream.feed_data("12345678\n");
        EXPECT_EQ(stm_error_message(loop, stream.readline()), "Separator is found, but chunk is longer than limit");
        EXPECT_EQ(stm_buffer(stream), "");

        stream.feed_data("12345678");
        EXPECT_EQ(stm_error_message(loop, stream.readline()), "Separator is not found, and chunk exceed the limit");
        EXPECT_EQ(stm_buffer(stream), "");
    }
}

TEST(StreamReaderTest, ReadlineNolimitNowait) {
    asyncio::EventLoop loop;
    asyncio::StreamReader stream;
    stream.feed_data(stm_DATA.substr(0, 6));
    stream.feed_data(stm_DATA.substr(6));
    EXPECT_EQ(loop.run_until_complete(stream.readline()), "line1\n");
    EXPECT_EQ(stm_buffer(stream), "line2\nline3\n");
}

TEST(StreamReaderTest, ReadlineEof) {
    asyncio::EventLoop loop;
    asyncio::StreamReader stream;
    stream.feed_data("some data");
    stream.feed_eof();
    EXPECT_EQ(loop.run_until_complete(stream.readline()), "some data");
}

TEST(StreamReaderTest, ReadlineEmptyEof) {
    asyncio::EventLoop loop;
    asyncio::StreamReader stream;
    stream.feed_eof();
    EXPECT_EQ(loop.run_until_complete(stream.readline()), "");
}

TEST(StreamReaderTest, ReadlineReadByteCount) {
    asyncio::EventLoop loop;
    asyncio::StreamReader stream;
    stream.feed_data(stm_DATA);
    loop.run_until_complete(stream.readline());
    EXPECT_EQ(loop.run_until_complete(stream.read(7)), "line2\nl");
    EXPECT_EQ(stm_buffer(stream), "ine3\n");
}

TEST(StreamReaderTest, ReadlineException) {
    asyncio::EventLoop loop;
    asyncio::StreamReader stream;
    stream.feed_data("line\n");
    EXPECT_EQ(loop.run_until_complete(stream.readline()), "line\n");
    stream.set_exception(stm_value_error());
    EXPECT_THROW(loop.run_until_complete(stream.readline()), concurrence::ValueError);
    EXPECT_EQ(stm_buffer(stream), "");
}

TEST(StreamReaderTest, ReaduntilSeparator) {
    asyncio::EventLoop loop;
    asyncio::StreamReader stream;
    EXPECT_EQ(stm_error_message(loop, stream.readuntil("")), "Separator should be at least one-byte string");
    EXPECT_THROW(loop.run_until_complete(stream.readuntil("")), concurrence::ValueError);
}

TEST(StreamReaderTest, ReaduntilMultiChunks) {
    asyncio::EventLoop loop;
    asyncio::StreamReader stream;

    stream.feed_data("lineAAA");
    EXPECT_EQ(loop.run_until_complete(stream.readuntil("AAA")), "lineAAA");
    EXPECT_EQ(stm_buffer(stream), "");

    stream.feed_data("lineAAA");
    EXPECT_EQ(loop.run_until_complete(stream.readuntil("AAA")), "lineAAA");
    EXPECT_EQ(stm_buffer(stream), "");

    stream.feed_data("lineAAAxxx");
    EXPECT_EQ(loop.run_until_complete(stream.readuntil("AAA")), "lineAAA");
    EXPECT_EQ(stm_buffer(stream), "xxx");
}

TEST(StreamReaderTest, ReaduntilMultiChunks1) {
    asyncio::EventLoop loop;
    asyncio::StreamReader stream;

    stream.feed_data("QWEaa");
    stream.feed_data("XYaa");
    stream.feed_data("a");
    EXPECT_EQ(loop.run_until_complete(stream.readuntil("aaa")), "QWEaaXYaaa");
    EXPECT_EQ(stm_buffer(stream), "");

    stream.feed_data("QWEaa");
    stream.feed_data("XYa");
    stream.feed_data("aa");
    EXPECT_EQ(loop.run_until_complete(stream.readuntil("aaa")), "QWEaaXYaaa");
    EXPECT_EQ(stm_buffer(stream), "");

    stream.feed_data("aaa");
    EXPECT_EQ(loop.run_until_complete(stream.readuntil("aaa")), "aaa");
    EXPECT_EQ(stm_buffer(stream), "");

    stream.feed_data("Xaaa");
    EXPECT_EQ(loop.run_until_complete(stream.readuntil("aaa")), "Xaaa");
    EXPECT_EQ(stm_buffer(stream), "");

    stream.feed_data("XXX");
    stream.feed_data("a");
    stream.feed_data("a");
    stream.feed_data("a");
    EXPECT_EQ(loop.run_until_complete(stream.readuntil("aaa")), "XXXaaa");
    EXPECT_EQ(stm_buffer(stream), "");
}

TEST(StreamReaderTest, ReaduntilSeparatorArrivingByteByByte) {
    // The separator split across feeds while readuntil waits (the offset bookkeeping).
    asyncio::EventLoop loop;
    asyncio::StreamReader stream;
    auto task = loop.create_task(stream.readuntil("\r\n\r\n"));
    loop.call_soon([stream]() mutable {
        for (char c : std::string("GET / HTTP/1.0\r\n\r\nrest")) stream.feed_data(std::string(1, c));
    });
    EXPECT_EQ(loop.run_until_complete(task), "GET / HTTP/1.0\r\n\r\n");
    EXPECT_EQ(stm_buffer(stream), "rest");
}

TEST(StreamReaderTest, ReaduntilEof) {
    asyncio::EventLoop loop;
    asyncio::StreamReader stream;
    const std::string data = "some dataAA";
    stream.feed_data(data);
    stream.feed_eof();
    try {
        loop.run_until_complete(stream.readuntil("AAA"));
        ADD_FAILURE() << "no exception";
    } catch (const asyncio::IncompleteReadError& e) {
        EXPECT_EQ(e.partial(), data);
        EXPECT_FALSE(e.expected().has_value());
        EXPECT_STREQ(e.what(), "11 bytes read on a total of undefined expected bytes");
    }
    EXPECT_EQ(stm_buffer(stream), "");
}

TEST(StreamReaderTest, ReaduntilLimitFoundSep) {
    asyncio::EventLoop loop;
    asyncio::StreamReader stream(3);
    stream.feed_data("some dataAA");
    try {
        loop.run_until_complete(stream.readuntil("AAA"));
        ADD_FAILURE() << "no exception";
    } catch (const asyncio::LimitOverrunError& e) {
        EXPECT_STREQ(e.what(), "Separator is not found, and chunk exceed the limit");
        EXPECT_EQ(e.consumed(), 9u);  // buflen + 1 - seplen
    }
    EXPECT_EQ(stm_buffer(stream), "some dataAA");

    stream.feed_data("A");
    try {
        loop.run_until_complete(stream.readuntil("AAA"));
        ADD_FAILURE() << "no exception";
    } catch (const asyncio::LimitOverrunError& e) {
        EXPECT_STREQ(e.what(), "Separator is found, but chunk is longer than limit");
        EXPECT_EQ(e.consumed(), 9u);  // where the separator starts
    }
    EXPECT_EQ(stm_buffer(stream), "some dataAAA");
}

TEST(StreamReaderTest, ReadexactlyZeroOrLess) {
    asyncio::EventLoop loop;
    asyncio::StreamReader stream;
    stream.feed_data(stm_DATA);
    EXPECT_EQ(loop.run_until_complete(stream.readexactly(0)), "");
    EXPECT_EQ(stm_buffer(stream), stm_DATA);
    EXPECT_EQ(stm_error_message(loop, stream.readexactly(-1)), "readexactly size can not be less than zero");
    EXPECT_THROW(loop.run_until_complete(stream.readexactly(-1)), concurrence::ValueError);
    EXPECT_EQ(stm_buffer(stream), stm_DATA);
}

TEST(StreamReaderTest, Readexactly) {
    asyncio::EventLoop loop;
    asyncio::StreamReader stream;
    const auto n = static_cast<std::ptrdiff_t>(2 * stm_DATA.size());
    auto read_task = loop.create_task(stream.readexactly(n));
    loop.call_soon([stream]() mutable {
        stream.feed_data(stm_DATA);
        stream.feed_data(stm_DATA);
        stream.feed_data(stm_DATA);
    });
    EXPECT_EQ(loop.run_until_complete(read_task), stm_DATA + stm_DATA);
    EXPECT_EQ(stm_buffer(stream), stm_DATA);
}

TEST(StreamReaderTest, ReadexactlyLimit) {
    asyncio::EventLoop loop;
    asyncio::StreamReader stream(3);
    stream.feed_data("chunk");
    EXPECT_EQ(loop.run_until_complete(stream.readexactly(5)), "chunk");
    EXPECT_EQ(stm_buffer(stream), "");
}

TEST(StreamReaderTest, ReadexactlyEof) {
    asyncio::EventLoop loop;
    asyncio::StreamReader stream;
    const auto n = static_cast<std::ptrdiff_t>(2 * stm_DATA.size());
    auto read_task = loop.create_task(stream.readexactly(n));
    loop.call_soon([stream]() mutable {
        stream.feed_data(stm_DATA);
        stream.feed_eof();
    });
    try {
        loop.run_until_complete(read_task);
        ADD_FAILURE() << "no exception";
    } catch (const asyncio::IncompleteReadError& e) {
        EXPECT_EQ(e.partial(), stm_DATA);
        EXPECT_EQ(e.expected(), std::optional<std::size_t>(36));
        EXPECT_STREQ(e.what(), "18 bytes read on a total of 36 expected bytes");
    }
    EXPECT_EQ(stm_buffer(stream), "");
}

TEST(StreamReaderTest, ReadexactlyException) {
    asyncio::EventLoop loop;
    asyncio::StreamReader stream;
    stream.feed_data("line\n");
    EXPECT_EQ(loop.run_until_complete(stream.readexactly(2)), "li");
    stream.set_exception(stm_value_error());
    EXPECT_THROW(loop.run_until_complete(stream.readexactly(2)), concurrence::ValueError);
}

TEST(StreamReaderTest, Exception) {
    asyncio::StreamReader stream;
    EXPECT_FALSE(stream.exception());
    std::exception_ptr exc = stm_value_error();
    stream.set_exception(exc);
    EXPECT_EQ(stream.exception(), exc);
}

asyncio::Coro<> stm_set_err(asyncio::StreamReader stream) {
    stream.set_exception(stm_value_error());
    co_return;
}

TEST(StreamReaderTest, ExceptionWaiter) {
    asyncio::EventLoop loop;
    asyncio::StreamReader stream;
    auto t1 = loop.create_task(stream.readline());
    auto t2 = loop.create_task(stm_set_err(stream));
    loop.run_until_complete(t2);
    EXPECT_THROW(loop.run_until_complete(t1), concurrence::ValueError);
}

TEST(StreamReaderTest, ExceptionCancel) {
    asyncio::EventLoop loop;
    asyncio::StreamReader stream;
    auto t = loop.create_task(stream.readline());
    run_one_iteration(loop);
    EXPECT_NE(stream.state().waiter, nullptr);
    t.cancel();
    run_one_iteration(loop);
    // Fails if set_exception() is not careful with a cancelled waiter.
    stream.set_exception(std::make_exception_ptr(concurrence::RuntimeError("message")));
    run_one_iteration(loop);
    EXPECT_EQ(stream.state().waiter, nullptr);
    EXPECT_TRUE(t.cancelled());
}

TEST(StreamReaderTest, CancelWhileWokenLeavesTheData) {
    // The waiter was woken with data, then the task was cancelled before it ran: the data is
    // still there for the next read.
    asyncio::EventLoop loop;
    asyncio::StreamReader stream;
    auto t = loop.create_task(stream.readexactly(4));
    run_one_iteration(loop);
    stream.feed_data("abcd");
    t.cancel();
    run_one_iteration(loop);
    EXPECT_TRUE(t.cancelled());
    EXPECT_EQ(loop.run_until_complete(stream.readexactly(4)), "abcd");
}

TEST(StreamReaderTest, CancelledReadlineLeavesTheStreamUsable) {
    asyncio::EventLoop loop;
    asyncio::StreamReader stream;
    stream.feed_data("partial ");
    auto t = loop.create_task(stream.readline());
    run_one_iteration(loop);
    t.cancel();
    run_one_iteration(loop);
    EXPECT_TRUE(t.cancelled());
    EXPECT_EQ(stream.state().waiter, nullptr);
    stream.feed_data("line\nnext");
    EXPECT_EQ(loop.run_until_complete(stream.readline()), "partial line\n");
    EXPECT_EQ(stm_buffer(stream), "next");
}

TEST(StreamReaderTest, OnlyOneReadMayWait) {
    asyncio::EventLoop loop;
    asyncio::StreamReader stream;
    auto first = loop.create_task(stream.readline());
    run_one_iteration(loop);
    EXPECT_EQ(stm_error_message(loop, stream.read(10)),
              "read() called while another coroutine is already waiting for incoming data");
    EXPECT_EQ(stm_error_message(loop, stream.readexactly(10)),
              "readexactly() called while another coroutine is already waiting for incoming data");
    EXPECT_EQ(stm_error_message(loop, stream.readuntil("x")),
              "readuntil() called while another coroutine is already waiting for incoming data");
    // readline() waits through readuntil(), so Python names readuntil there too.
    EXPECT_EQ(stm_error_message(loop, stream.readline()),
              "readuntil() called while another coroutine is already waiting for incoming data");
    EXPECT_THROW(loop.run_until_complete(stream.read(1)), concurrence::RuntimeError);
    // The first read is untouched and gets its line.
    stream.feed_data("hello\n");
    EXPECT_EQ(loop.run_until_complete(first), "hello\n");
}

TEST(StreamReaderTest, ReadWhenDataIsBufferedDoesNotWait) {
    // A read that finds its data does not count as waiting, even while another one waits.
    asyncio::EventLoop loop;
    asyncio::StreamReader stream;
    stream.feed_data("abc");
    auto waiting = loop.create_task(stream.readexactly(10));
    run_one_iteration(loop);
    // readexactly(10) waits with "abc" buffered: read(2) takes from the same buffer.
    EXPECT_EQ(loop.run_until_complete(stream.read(2)), "ab");
    stream.feed_data("0123456789");
    EXPECT_EQ(loop.run_until_complete(waiting), "c012345678");
}

TEST(StreamReaderTest, EmptiedBufferGivesItsMemoryBack) {
    // A connection idle after a burst keeps a small state.
    asyncio::EventLoop loop;
    asyncio::StreamReader stream;
    for (int i = 0; i < 16; ++i) stream.feed_data(pattern_bytes(64 * 1024));
    EXPECT_EQ(loop.run_until_complete(stream.readexactly(16 * 64 * 1024)).size(), 16u * 64u * 1024u);
    EXPECT_LE(stream.state().buffer.capacity(), 64u * 1024u);
    stream.feed_data("small");
    EXPECT_EQ(loop.run_until_complete(stream.read(100)), "small");
}

TEST(StreamReaderTest, NullExceptionWakesTheWaiterHarmlessly) {
    asyncio::EventLoop loop;
    asyncio::StreamReader stream;
    auto task = loop.create_task(stream.readexactly(3));
    run_one_iteration(loop);
    stream.set_exception(nullptr);
    run_one_iteration(loop);
    EXPECT_FALSE(task.done());  // readexactly looks again and waits
    stream.feed_data("abc");
    EXPECT_EQ(loop.run_until_complete(task), "abc");
}

TEST(StreamReaderTest, FeedDataAfterEofIsAnError) {
    asyncio::StreamReader stream;
    stream.feed_eof();
    EXPECT_THROW(stream.feed_data("late"), concurrence::RuntimeError);
    EXPECT_TRUE(stream.at_eof());
}

asyncio::Coro<std::vector<std::string>> stm_collect_lines(asyncio::StreamReader stream) {
    std::vector<std::string> lines;
    while (auto line = co_await stream.next()) lines.push_back(*line);
    co_return lines;
}

TEST(StreamReaderTest, AsyncIterationEndsWithTheException) {
    asyncio::EventLoop loop;
    asyncio::StreamReader stream;
    stream.feed_data("one\ntwo\n");
    auto task = loop.create_task(stm_collect_lines(stream));
    run_one_iteration(loop);
    stream.set_exception(stm_value_error("broken"));
    EXPECT_EQ(stm_error_message(loop, task), "broken");
}

TEST(StreamReaderTest, AsyncIterationStopsAtEof) {
    asyncio::EventLoop loop;
    asyncio::StreamReader stream;
    auto task = loop.create_task(stm_collect_lines(stream));
    loop.call_soon([stream]() mutable {
        stream.feed_data("a\nb");
        stream.feed_data("\nc");
        stream.feed_eof();
    });
    EXPECT_EQ(loop.run_until_complete(task), (std::vector<std::string>{"a\n", "b\n", "c"}));
}

TEST(StreamReaderTest, ConstructorDefaults) {
    // Python's test_streamreader_constructor_*: a reader needs no loop to be made; its limit
    // is 64 KiB unless given.
    asyncio::StreamReader stream;
    EXPECT_EQ(stream.limit(), 64u * 1024u);
    EXPECT_EQ(asyncio::StreamReader(123).limit(), 123u);
    EXPECT_FALSE(stream.at_eof());
    EXPECT_FALSE(stream.exception());
    // Handles share one stream.
    asyncio::StreamReader copy = stream;
    copy.feed_data("shared");
    EXPECT_EQ(stm_buffer(stream), "shared");
}

TEST(StreamReaderTest, ErrorsKeepTheirFields) {
    // Python's test_IncompleteReadError_pickleable, as copies.
    asyncio::IncompleteReadError e("abc", 10);
    asyncio::IncompleteReadError e2 = e;
    EXPECT_STREQ(e2.what(), "3 bytes read on a total of 10 expected bytes");
    EXPECT_EQ(e2.partial(), "abc");
    EXPECT_EQ(e2.expected(), std::optional<std::size_t>(10));
    asyncio::LimitOverrunError l("message", 10);
    asyncio::LimitOverrunError l2 = l;
    EXPECT_STREQ(l2.what(), "message");
    EXPECT_EQ(l2.consumed(), 10u);
    // IncompleteReadError is an EOFError, as in Python.
    EXPECT_THROW(throw asyncio::IncompleteReadError("", 1), asyncio::EOFError);
}

// A transport that only records what the reader asks of it.
class stm_FakeTransport final : public asyncio::Transport {
public:
    std::vector<std::string> calls;
    bool reading = true;
    void close() override { calls.push_back("close"); }
    bool is_closing() const override { return false; }
    std::any get_extra_info(std::string_view) const override { return {}; }
    asyncio::BaseProtocol& get_protocol() const override { throw concurrence::RuntimeError("no protocol"); }
    void write(std::string_view) override {}
    void write_eof() override {}
    bool can_write_eof() const override { return false; }
    void abort() override {}
    void pause_reading() override {
        calls.push_back("pause");
        reading = false;
    }
    void resume_reading() override {
        calls.push_back("resume");
        reading = true;
    }
    bool is_reading() const override { return reading; }
    void set_write_buffer_limits(std::optional<std::size_t>, std::optional<std::size_t>) override {}
    std::pair<std::size_t, std::size_t> get_write_buffer_limits() const override { return {0, 0}; }
    std::size_t get_write_buffer_size() const override { return 0; }
};

TEST(StreamReaderTest, SetTransportTwiceIsAnError) {
    stm_FakeTransport t1, t2;
    asyncio::StreamReader stream;
    stream.set_transport(&t1);
    EXPECT_THROW(stream.set_transport(&t2), concurrence::RuntimeError);
    stream.set_transport(nullptr);  // the protocol's connection_lost
    EXPECT_NO_THROW(stream.set_transport(&t2));
}

TEST(StreamReaderTest, PausesOverTwiceTheLimitAndResumesUnderIt) {
    asyncio::EventLoop loop;
    stm_FakeTransport transport;
    asyncio::StreamReader stream(10);
    stream.set_transport(&transport);
    stream.feed_data(std::string(20, 'a'));  // 2 x limit: not over
    EXPECT_TRUE(transport.calls.empty());
    stream.feed_data("b");  // 21 > 20
    EXPECT_EQ(transport.calls, (std::vector<std::string>{"pause"}));
    stream.feed_data("c");  // already paused: no second call
    EXPECT_EQ(transport.calls.size(), 1u);
    EXPECT_EQ(loop.run_until_complete(stream.read(11)), std::string(11, 'a'));  // 11 left > limit
    EXPECT_EQ(transport.calls.size(), 1u);
    EXPECT_EQ(loop.run_until_complete(stream.read(1)), "a");  // 10 left: resumes
    EXPECT_EQ(transport.calls, (std::vector<std::string>{"pause", "resume"}));
    stream.set_transport(nullptr);
}

TEST(StreamReaderTest, WaitingForMoreThanTheLimitResumesReading) {
    // Python's _wait_for_data: waiting while paused would deadlock, so the wait resumes the
    // transport (readexactly(n) with n > 2 x limit).
    asyncio::EventLoop loop;
    stm_FakeTransport transport;
    asyncio::StreamReader stream(4);
    stream.set_transport(&transport);
    stream.feed_data(std::string(9, 'x'));
    EXPECT_EQ(transport.calls, (std::vector<std::string>{"pause"}));
    auto task = loop.create_task(stream.readexactly(30));
    run_one_iteration(loop);
    EXPECT_EQ(transport.calls, (std::vector<std::string>{"pause", "resume"}));
    for (int i = 0; i < 21 && !task.done(); ++i) {
        stream.feed_data("y");
        run_one_iteration(loop);
    }
    EXPECT_EQ(loop.run_until_complete(task), std::string(9, 'x') + std::string(21, 'y'));
    stream.set_transport(nullptr);
}

TEST(StreamReaderTest, ReadlineOverrunResumesReading) {
    // The overlong line is dropped: the buffer is back under the limit and reading resumes.
    asyncio::EventLoop loop;
    stm_FakeTransport transport;
    asyncio::StreamReader stream(4);
    stream.set_transport(&transport);
    stream.feed_data("0123456789\nok\n");
    EXPECT_EQ(transport.calls, (std::vector<std::string>{"pause"}));
    EXPECT_THROW(loop.run_until_complete(stream.readline()), concurrence::ValueError);
    EXPECT_EQ(transport.calls, (std::vector<std::string>{"pause", "resume"}));
    EXPECT_EQ(loop.run_until_complete(stream.readline()), "ok\n");
    stream.set_transport(nullptr);
}

TEST(StreamReaderTest, WaitingReaderDestroyedWithItsLoop) {
    // A read left waiting when its loop goes: the reader must not keep a dangling waiter.
    asyncio::StreamReader stream;
    {
        asyncio::EventLoop loop;
        loop.set_exception_handler([](asyncio::EventLoop&, const asyncio::ExceptionContext&) {});
        {
            auto t = loop.create_task(stream.readline());
            run_one_iteration(loop);
            EXPECT_NE(stream.state().waiter, nullptr);
        }
        loop.close();
    }
    stream.feed_data("late\n");  // wakes no one
    stream.feed_eof();
    EXPECT_EQ(stream.state().waiter, nullptr);
    asyncio::EventLoop loop2;
    EXPECT_EQ(loop2.run_until_complete(stream.readline()), "late\n");
}

}  // namespace
