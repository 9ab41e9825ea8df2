// Streams beyond CPython's tests: back-pressure end to end, overlong lines from the network,
// slow and idle clients, cancellation in the middle of a read or a drain, and what happens
// when client_connected_cb fails.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <memory>
#include <optional>

#include "net_support.hpp"
#include "streams/reader_state.hpp"

namespace {

using namespace net_tests;

// A loop whose exception handler records what it was given.
using stm_LoadLoop = RecordingLoop;

// ---- back-pressure end to end

constexpr std::size_t stm_total = 8 * 1024 * 1024;
constexpr std::size_t stm_chunk = 64 * 1024;
constexpr std::size_t stm_read_max = 256 * 1024;  // the transport's one recv (Python's max_size)

struct stm_PressureStats {
    std::size_t max_write_buffer = 0;  // the server transport's buffer right after a write
    int drains_that_waited = 0;        // drain() called over the high-water mark
    std::size_t max_after_drain = 0;   // the buffer when such a drain returned
    std::size_t max_reader_buffer = 0; // the client reader's buffer, seen between reads
    bool done = false;
};

asyncio::Coro<> stm_pressure_server(asyncio::StreamReader reader, asyncio::StreamWriter writer,
                                    std::shared_ptr<stm_PressureStats> stats) {
    const std::string body = pattern_bytes(stm_total);
    auto [low, high] = writer.transport().get_write_buffer_limits();
    for (std::size_t at = 0; at < stm_total; at += stm_chunk) {
        writer.write(std::string_view(body).substr(at, stm_chunk));
        const std::size_t buffered = writer.transport().get_write_buffer_size();
        stats->max_write_buffer = std::max(stats->max_write_buffer, buffered);
        const bool over = buffered > high;
        co_await writer.drain();
        if (over) {
            ++stats->drains_that_waited;
            stats->max_after_drain = std::max(stats->max_after_drain, writer.transport().get_write_buffer_size());
        }
    }
    (void)low;
    writer.close();
    co_await writer.wait_closed();
    co_await reader.read();
    stats->done = true;
}

asyncio::Coro<bool> stm_pressure_session(std::size_t limit, std::shared_ptr<stm_PressureStats> stats) {
    auto callback = [stats](asyncio::StreamReader r, asyncio::StreamWriter w) {
        return stm_pressure_server(std::move(r), std::move(w), stats);
    };
    asyncio::Server server = co_await asyncio::start_server(callback, "127.0.0.1", 0);
    const int port = server.sockets().at(0).getsockname().port;
    auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port, limit);
    std::string got;
    got.reserve(stm_total);
    for (;;) {
        stats->max_reader_buffer = std::max(stats->max_reader_buffer, reader.state().size());
        std::string piece = co_await reader.read(4096);  // slowly: 4 KiB a turn
        if (piece.empty()) break;
        got += piece;
        co_await asyncio::sleep(0);
    }
    writer.close();
    co_await writer.wait_closed();
    server.close();
    co_await server.wait_closed();
    co_return got == pattern_bytes(stm_total);
}

TEST(StreamLoadTest, BackPressureEndToEnd) {
    const int fds_before = open_fd_count();
    {
        stm_LoadLoop l;
        auto stats = std::make_shared<stm_PressureStats>();
        const std::size_t limit = 16 * 1024;
        EXPECT_TRUE(l.loop.run_until_complete(stm_pressure_session(limit, stats)));  // every byte, in order
        EXPECT_TRUE(stats->done);
        // drain() really waited: the writer's buffer went over the high-water mark, and each
        // such drain returned only once it was back under the low one.
        EXPECT_GT(stats->drains_that_waited, 0);
        EXPECT_LE(stats->max_after_drain, 16u * 1024u);
        // So the buffer never held more than the high-water mark and one more write.
        EXPECT_LE(stats->max_write_buffer, 64u * 1024u + stm_chunk);
        // The reader paused its transport: its buffer stayed under 2 x limit and one recv.
        EXPECT_LE(stats->max_reader_buffer, 2 * limit + stm_read_max);
        EXPECT_EQ(l.messages, std::vector<std::string>{});
    }
    EXPECT_EQ(open_fd_count(), fds_before);
}

// ---- a line longer than the limit, from the network

struct stm_LineLog {
    std::vector<std::string> outcomes;
    std::unique_ptr<asyncio::Event> overrun_seen;
};

asyncio::Coro<> stm_line_server(asyncio::StreamReader reader, asyncio::StreamWriter writer,
                                std::shared_ptr<stm_LineLog> log) {
    for (;;) {
        std::string line;
        bool overrun = false;
        try {
            line = co_await reader.readline();
        } catch (const concurrence::ValueError& e) {
            overrun = true;
            log->outcomes.push_back(std::string("ValueError: ") + e.what());
        }
        if (overrun) {
            log->overrun_seen->set();
            writer.write("too long\n");
            continue;
        }
        if (line.empty()) break;
        log->outcomes.push_back(line.size() > 20 ? "long tail " + std::to_string(line.size()) : line);
        writer.write("ok " + std::to_string(line.size()) + "\n");
    }
    writer.close();
    co_await writer.wait_closed();
}

asyncio::Coro<std::vector<std::string>> stm_long_line_session(bool split, std::shared_ptr<stm_LineLog> log) {
    auto callback = [log](asyncio::StreamReader r, asyncio::StreamWriter w) {
        return stm_line_server(std::move(r), std::move(w), log);
    };
    asyncio::Server server = co_await asyncio::start_server(callback, "127.0.0.1", 0, 1024);
    const int port = server.sockets().at(0).getsockname().port;
    auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port);
    std::vector<std::string> replies;
    if (split) {
        // The first 1500 bytes of the line, then the rest once the server gave up on it.
        writer.write(std::string(1500, 'x'));
        co_await log->overrun_seen->wait();
        writer.write(std::string(500, 'x') + "\nshort\n");
    } else {
        writer.write(std::string(2000, 'x') + "\nshort\n");
    }
    writer.write_eof();
    while (auto line = co_await reader.next()) replies.push_back(*line);
    writer.close();
    co_await writer.wait_closed();
    server.close();
    co_await server.wait_closed();
    co_return replies;
}

TEST(StreamLoadTest, LineLongerThanTheLimitFromTheNetwork) {
    // The whole line is in the buffer when readline looks: Python drops it up to its "\n" and
    // the next line reads normally.
    const int fds_before = open_fd_count();
    {
        stm_LoadLoop l;
        auto log = std::make_shared<stm_LineLog>();
        log->overrun_seen = std::make_unique<asyncio::Event>();
        auto replies = l.loop.run_until_complete(stm_long_line_session(false, log));
        ASSERT_GE(log->outcomes.size(), 2u);
        EXPECT_EQ(log->outcomes.front().rfind("ValueError: Separator is", 0), 0u) << log->outcomes.front();
        EXPECT_EQ(log->outcomes.back(), "short\n");
        EXPECT_EQ(replies.front(), "too long\n");
        EXPECT_EQ(replies.back(), "ok 6\n");
        EXPECT_EQ(l.messages, std::vector<std::string>{});
    }
    EXPECT_EQ(open_fd_count(), fds_before);
}

TEST(StreamLoadTest, LineLongerThanTheLimitArrivingInParts) {
    // Python's rule when the separator has not arrived yet: the buffer is dropped, and what
    // comes later of that line reads as a line of its own (here shorter than the limit).
    const int fds_before = open_fd_count();
    {
        stm_LoadLoop l;
        auto log = std::make_shared<stm_LineLog>();
        log->overrun_seen = std::make_unique<asyncio::Event>();
        auto replies = l.loop.run_until_complete(stm_long_line_session(true, log));
        EXPECT_EQ(log->outcomes, (std::vector<std::string>{
                                     "ValueError: Separator is not found, and chunk exceed the limit",
                                     "long tail 501", "short\n"}));
        EXPECT_EQ(replies, (std::vector<std::string>{"too long\n", "ok 501\n", "ok 6\n"}));
        EXPECT_EQ(l.messages, std::vector<std::string>{});
    }
    EXPECT_EQ(open_fd_count(), fds_before);
}

// ---- slow and idle clients

asyncio::Coro<> stm_echo_lines(asyncio::StreamReader reader, asyncio::StreamWriter writer) {
    while (auto line = co_await reader.next()) {
        writer.write(*line);
        co_await writer.drain();
    }
    writer.close();
    co_await writer.wait_closed();
}

asyncio::Coro<std::string> stm_ask(int port, std::string line) {
    auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port);
    writer.write(line);
    std::string back = co_await reader.readline();
    writer.close();
    co_await writer.wait_closed();
    co_return back;
}

asyncio::Coro<std::string> stm_slowloris_session() {
    asyncio::Server server = co_await asyncio::start_server(stm_echo_lines, "127.0.0.1", 0);
    const int port = server.sockets().at(0).getsockname().port;
    // The slow client: one byte, then nothing.
    auto [slow_reader, slow_writer] = co_await asyncio::open_connection("127.0.0.1", port);
    slow_writer.write("G");
    for (int i = 0; i < 5; ++i) co_await asyncio::sleep(0);
    std::string answer = co_await stm_ask(port, "hello\n");
    // The slow client goes: the server sees its byte and EOF, and its handler ends.
    slow_writer.write_eof();
    std::string slow_answer = co_await slow_reader.read();
    EXPECT_EQ(slow_answer, "G");
    slow_writer.close();
    co_await slow_writer.wait_closed();
    server.close();
    co_await server.wait_closed();
    co_return answer;
}

TEST(StreamLoadTest, SlowlorisDoesNotStopTheServer) {
    const int fds_before = open_fd_count();
    {
        stm_LoadLoop l;
        EXPECT_EQ(l.loop.run_until_complete(stm_slowloris_session()), "hello\n");
        EXPECT_EQ(l.messages, std::vector<std::string>{});
    }
    EXPECT_EQ(open_fd_count(), fds_before);
}

struct stm_IdleCount {
    int connected = 0;
};

asyncio::Coro<> stm_counting_echo(asyncio::StreamReader reader, asyncio::StreamWriter writer,
                                  std::shared_ptr<stm_IdleCount> count) {
    ++count->connected;
    co_await stm_echo_lines(std::move(reader), std::move(writer));
}

asyncio::Coro<std::string> stm_idle_session(int idle, std::shared_ptr<stm_IdleCount> count) {
    auto callback = [count](asyncio::StreamReader r, asyncio::StreamWriter w) {
        return stm_counting_echo(std::move(r), std::move(w), count);
    };
    net::ServerOptions options;  // not a temporary in the co_await's full-expression (g++ 12)
    options.backlog = 2048;
    asyncio::Server server =
        co_await asyncio::start_server(callback, "127.0.0.1", 0, asyncio::default_stream_limit, std::move(options));
    const int port = server.sockets().at(0).getsockname().port;
    std::vector<asyncio::StreamWriter> writers;
    std::vector<asyncio::StreamReader> readers;
    for (int i = 0; i < idle; ++i) {
        auto [r, w] = co_await asyncio::open_connection("127.0.0.1", port);
        readers.push_back(r);
        writers.push_back(w);
    }
    while (count->connected < idle) co_await asyncio::sleep(0.001);
    // Every idle connection's server-side state is a handler waiting in readline with an
    // empty buffer; another client is answered.
    std::string answer = co_await stm_ask(port, "still here\n");
    for (auto& w : writers) w.close();
    for (auto& w : writers) co_await w.wait_closed();
    server.close();
    co_await server.wait_closed();
    co_return answer;
}

TEST(StreamLoadTest, ThousandIdleConnectionsDoNotStopTheServer) {
    constexpr int idle = 1000;
    rlimit lim{};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    if (lim.rlim_cur < static_cast<rlim_t>(2 * idle + 200)) GTEST_SKIP() << "fd limit too low: " << lim.rlim_cur;
    const int fds_before = open_fd_count();
    {
        stm_LoadLoop l;
        auto count = std::make_shared<stm_IdleCount>();
        EXPECT_EQ(l.loop.run_until_complete(stm_idle_session(idle, count)), "still here\n");
        EXPECT_EQ(count->connected, idle + 1);
        EXPECT_EQ(l.messages, std::vector<std::string>{});
    }
    EXPECT_EQ(open_fd_count(), fds_before);
}

// ---- cancellation in the middle of a read or a drain

struct stm_Feeder {
    std::unique_ptr<asyncio::Event> go;
    std::string first;
    std::string second;
};

// Sends `first`, waits for go, sends `second`, then closes.
asyncio::Coro<> stm_feeder_handler(asyncio::StreamReader reader, asyncio::StreamWriter writer,
                                   std::shared_ptr<stm_Feeder> feeder) {
    writer.write(feeder->first);
    co_await writer.drain();
    co_await feeder->go->wait();
    writer.write(feeder->second);
    writer.close();
    co_await writer.wait_closed();
    (void)reader;
}

template <class T>
asyncio::Coro<T> stm_await_task(asyncio::Task<T> task) {
    co_return co_await task;
}

enum class stm_ReadKind { readline, readexactly, readuntil, read };

asyncio::Coro<std::string> stm_read_as(asyncio::StreamReader reader, stm_ReadKind kind) {
    switch (kind) {
        case stm_ReadKind::readline:
            co_return co_await reader.readline();
        case stm_ReadKind::readexactly:
            co_return co_await reader.readexactly(12);
        case stm_ReadKind::readuntil:
            co_return co_await reader.readuntil("END");
        case stm_ReadKind::read:
            break;
    }
    co_return co_await reader.read(100);
}

asyncio::Coro<std::vector<std::string>> stm_cancel_read_session(stm_ReadKind kind) {
    auto feeder = std::make_shared<stm_Feeder>();
    feeder->go = std::make_unique<asyncio::Event>();
    feeder->first = "partial ";
    feeder->second = "line\nEND";
    auto callback = [feeder](asyncio::StreamReader r, asyncio::StreamWriter w) {
        return stm_feeder_handler(std::move(r), std::move(w), feeder);
    };
    asyncio::Server server = co_await asyncio::start_server(callback, "127.0.0.1", 0);
    const int port = server.sockets().at(0).getsockname().port;
    auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port);
    while (reader.state().size() < feeder->first.size()) co_await asyncio::sleep(0.001);
    // The read waits for the rest; cancel it.
    auto blocked = asyncio::create_task(stm_read_as(reader, kind));
    for (int i = 0; i < 3; ++i) co_await asyncio::sleep(0);
    const bool was_waiting = reader.state().waiter != nullptr;
    blocked.cancel();
    std::string outcome = co_await outcome_of(stm_await_task(blocked));
    feeder->go->set();
    // Another read gets every byte.
    std::string line = co_await reader.readline();
    std::string rest = co_await reader.read();
    writer.close();
    co_await writer.wait_closed();
    server.close();
    co_await server.wait_closed();
    co_return std::vector<std::string>{was_waiting ? "waiting" : "not waiting", outcome, line, rest};
}

TEST(StreamLoadTest, CancelledReadsLeaveTheStreamUsable) {
    const int fds_before = open_fd_count();
    {
        stm_LoadLoop l;
        for (stm_ReadKind kind : {stm_ReadKind::readline, stm_ReadKind::readexactly, stm_ReadKind::readuntil}) {
            EXPECT_EQ(l.loop.run_until_complete(stm_cancel_read_session(kind)),
                      (std::vector<std::string>{"waiting", "CancelledError", "partial line\n", "END"}))
                << static_cast<int>(kind);
        }
        EXPECT_EQ(l.messages, std::vector<std::string>{});
    }
    EXPECT_EQ(open_fd_count(), fds_before);
}

struct stm_Sink {
    std::unique_ptr<asyncio::Event> go;
    std::string received;
    bool finished = false;
};

asyncio::Coro<> stm_sink_handler(asyncio::StreamReader reader, asyncio::StreamWriter writer,
                                 std::shared_ptr<stm_Sink> sink) {
    co_await sink->go->wait();
    sink->received = co_await reader.read();
    sink->finished = true;
    writer.close();
    co_await writer.wait_closed();
}

asyncio::Coro<std::string> stm_cancel_drain_session(std::shared_ptr<stm_Sink> sink) {
    auto callback = [sink](asyncio::StreamReader r, asyncio::StreamWriter w) {
        return stm_sink_handler(std::move(r), std::move(w), sink);
    };
    asyncio::Server server = co_await asyncio::start_server(callback, "127.0.0.1", 0);
    const int port = server.sockets().at(0).getsockname().port;
    auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port);
    const std::string chunk = pattern_bytes(64 * 1024);
    std::string sent;
    for (int i = 0; i < 4096 && writer.transport().get_write_buffer_size() <= 64 * 1024; ++i) {
        writer.write(chunk);
        sent += chunk;
        co_await asyncio::sleep(0);
    }
    auto drain = asyncio::create_task(writer.drain());
    for (int i = 0; i < 3; ++i) co_await asyncio::sleep(0);
    const bool drain_waiting = !drain.done();
    drain.cancel();
    std::string outcome = co_await outcome_of(stm_await_task(drain));
    // The writer is still usable: more data, a drain that now completes, then EOF.
    writer.write("tail");
    sent += "tail";
    sink->go->set();
    co_await writer.drain();
    writer.write_eof();
    while (!sink->finished) co_await asyncio::sleep(0.001);
    writer.close();
    co_await writer.wait_closed();
    server.close();
    co_await server.wait_closed();
    EXPECT_TRUE(drain_waiting);
    EXPECT_EQ(sink->received.size(), sent.size());
    EXPECT_TRUE(sink->received == sent);
    co_return outcome;
}

TEST(StreamLoadTest, CancelledDrainLeavesTheWriterUsable) {
    const int fds_before = open_fd_count();
    {
        stm_LoadLoop l;
        auto sink = std::make_shared<stm_Sink>();
        sink->go = std::make_unique<asyncio::Event>();
        EXPECT_EQ(l.loop.run_until_complete(stm_cancel_drain_session(sink)), "CancelledError");
        EXPECT_EQ(l.messages, std::vector<std::string>{});
    }
    EXPECT_EQ(open_fd_count(), fds_before);
}

// ---- client_connected_cb failing, returning nothing, being cancelled

asyncio::Coro<> stm_throwing_handler(asyncio::StreamReader reader, asyncio::StreamWriter writer) {
    std::string line = co_await reader.readline();
    writer.write("before the error\n");
    throw concurrence::ValueError("handler failed on " + line);
}

void stm_throwing_callback(asyncio::StreamReader, asyncio::StreamWriter) {
    throw concurrence::ValueError("callback failed at once");
}

void stm_void_callback(asyncio::StreamReader, asyncio::StreamWriter writer) {
    writer.write("hello from a plain callback\n");
    // The writer is dropped here: the transport closes once its buffer is sent.
}

// send_line: only to a server that reads it (closing a socket with unread data resets it).
template <class Callback>
asyncio::Coro<std::string> stm_client_of(Callback callback, bool send_line) {
    asyncio::Server server = co_await asyncio::start_server(callback, "127.0.0.1", 0);
    const int port = server.sockets().at(0).getsockname().port;
    auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port);
    if (send_line) writer.write("hi\n");
    std::string all = co_await reader.read();  // up to EOF: the server closed the connection
    const bool eof = reader.at_eof();
    EXPECT_TRUE(eof);
    writer.close();
    co_await writer.wait_closed();
    server.close();
    co_await server.wait_closed();
    co_return all;
}

TEST(StreamLoadTest, ClientConnectedCbThatThrowsIsReportedAndClosed) {
    const int fds_before = open_fd_count();
    {
        stm_LoadLoop l;
        EXPECT_EQ(l.loop.run_until_complete(stm_client_of(stm_throwing_handler, true)), "before the error\n");
        EXPECT_EQ(l.messages, std::vector<std::string>{"Unhandled exception in client_connected_cb"});
        EXPECT_EQ(l.exceptions, std::vector<std::string>{"ValueError"});
    }
    EXPECT_EQ(open_fd_count(), fds_before);
}

TEST(StreamLoadTest, PlainClientConnectedCbThatThrowsIsReportedAndClosed) {
    const int fds_before = open_fd_count();
    {
        stm_LoadLoop l;
        EXPECT_EQ(l.loop.run_until_complete(stm_client_of(stm_throwing_callback, false)), "");
        EXPECT_EQ(l.messages, std::vector<std::string>{"Unhandled exception in client_connected_cb"});
        EXPECT_EQ(l.exceptions, std::vector<std::string>{"ValueError"});
    }
    EXPECT_EQ(open_fd_count(), fds_before);
}

TEST(StreamLoadTest, ClientConnectedCbReturningVoid) {
    const int fds_before = open_fd_count();
    {
        stm_LoadLoop l;
        EXPECT_EQ(l.loop.run_until_complete(stm_client_of(stm_void_callback, false)), "hello from a plain callback\n");
        EXPECT_EQ(l.messages, std::vector<std::string>{});
    }
    EXPECT_EQ(open_fd_count(), fds_before);
}

asyncio::Coro<> stm_cancelling_handler(asyncio::StreamReader reader, asyncio::StreamWriter writer) {
    writer.write("cancelled next\n");
    co_await writer.drain();
    asyncio::current_task().cancel();
    co_await reader.read();  // CancelledError here: the task ends cancelled
}

TEST(StreamLoadTest, CancelledClientConnectedCbClosesTheConnection) {
    const int fds_before = open_fd_count();
    {
        stm_LoadLoop l;
        EXPECT_EQ(l.loop.run_until_complete(stm_client_of(stm_cancelling_handler, false)), "cancelled next\n");
        EXPECT_EQ(l.messages, std::vector<std::string>{});
    }
    EXPECT_EQ(open_fd_count(), fds_before);
}

// ---- a reset connection

struct stm_ResetSeen {
    std::string read_outcome;
    std::string drain_outcome;
    std::string wait_closed_outcome;
    bool done = false;
};

asyncio::Coro<> stm_reset_handler(asyncio::StreamReader reader, asyncio::StreamWriter writer,
                                  std::shared_ptr<stm_ResetSeen> seen) {
    seen->read_outcome = co_await outcome_of(reader.read());
    writer.write("x");
    seen->drain_outcome = co_await outcome_of(writer.drain());
    seen->wait_closed_outcome = co_await outcome_of(writer.wait_closed());
    seen->done = true;
}

asyncio::Coro<> stm_reset_session(std::shared_ptr<stm_ResetSeen> seen) {
    auto callback = [seen](asyncio::StreamReader r, asyncio::StreamWriter w) {
        return stm_reset_handler(std::move(r), std::move(w), seen);
    };
    asyncio::Server server = co_await asyncio::start_server(callback, "127.0.0.1", 0);
    const int port = server.sockets().at(0).getsockname().port;
    auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port);
    writer.write("some");
    co_await writer.drain();
    for (int i = 0; i < 5; ++i) co_await asyncio::sleep(0);
    // SO_LINGER 0: close() sends a reset.
    const linger no_linger{1, 0};
    ::setsockopt(*writer.get_extra_info<int>("socket"), SOL_SOCKET, SO_LINGER, &no_linger, sizeof no_linger);
    writer.transport().abort();
    while (!seen->done) co_await asyncio::sleep(0.001);
    server.close();
    co_await server.wait_closed();
}

TEST(StreamLoadTest, ResetByThePeer) {
    const int fds_before = open_fd_count();
    {
        stm_LoadLoop l;
        auto seen = std::make_shared<stm_ResetSeen>();
        l.loop.run_until_complete(stm_reset_session(seen));
        // read() gave the bytes that came before the reset... or the reset itself if it came
        // first; then drain() and wait_closed() report the reset.
        EXPECT_EQ(seen->read_outcome, "OSError 104");
        EXPECT_EQ(seen->drain_outcome, "OSError 104");
        EXPECT_EQ(seen->wait_closed_outcome, "OSError 104");
        EXPECT_EQ(l.messages, std::vector<std::string>{});
    }
    EXPECT_EQ(open_fd_count(), fds_before);
}

}  // namespace

// ---- a reader that outlives its loop

asyncio::Coro<> stm_flood_handler(asyncio::StreamReader reader, asyncio::StreamWriter writer) {
    writer.write(pattern_bytes(600 * 1024));
    co_await writer.drain();
    co_await reader.read();
}

// Leaves `kept` paused (its buffer over 2 x limit), its writer with `kept_writer`.
asyncio::Coro<> stm_pause_a_reader(asyncio::StreamReader* kept, std::optional<asyncio::StreamWriter>* kept_writer) {
    asyncio::Server server = co_await asyncio::start_server(stm_flood_handler, "127.0.0.1", 0);
    const int port = server.sockets().at(0).getsockname().port;
    auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port, 1024);
    while (!reader.state().paused) co_await asyncio::sleep(0.001);
    *kept = reader;
    kept_writer->emplace(writer);
}

TEST(StreamLoadTest, ReaderOutlivesItsLoop) {
    const int fds_before = open_fd_count();
    asyncio::StreamReader kept;
    {
        std::optional<asyncio::StreamWriter> kept_writer;
        {
            asyncio::EventLoop loop;
            loop.set_exception_handler([](asyncio::EventLoop&, const asyncio::ExceptionContext&) {});
            loop.run_until_complete(stm_pause_a_reader(&kept, &kept_writer));
            loop.close();  // the transports let go of their sockets and protocols, without connection_lost
        }
        EXPECT_TRUE(kept_writer->is_closing());
    }  // the last writer handle goes, and the transport with it
    EXPECT_EQ(open_fd_count(), fds_before);
    // The reader is still usable as a plain reader: its transport is gone, not dangling.
    EXPECT_TRUE(kept.state().paused);
    const std::size_t buffered = kept.state().size();
    EXPECT_GT(buffered, 2u * 1024u);
    asyncio::EventLoop loop2;
    auto task = loop2.create_task(kept.readexactly(static_cast<std::ptrdiff_t>(buffered + 1)));
    run_one_iteration(loop2);  // waits: a paused reader resumes its transport first
    kept.feed_eof();
    EXPECT_THROW(loop2.run_until_complete(task), asyncio::IncompleteReadError);
}
