// loop.sendfile on a transport (CPython's test_sendfile.py SendfileMixin, in part): what was
// written first goes first, reading is paused and write() refused meanwhile, the fallback
// for files sendfile(2) cannot read, the errors Python raises, a peer that leaves, a
// connection that ends, and cancellation, which leaves the transport as it was.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <string>

#include "net_support.hpp"
#include "tp_support.hpp"

namespace {

using namespace net_tests;
using tp_support::TpConn;
using tp_support::TpPipe;
using tp_support::TpTempFile;
using concurrence::ConnectionError;
using concurrence::OSError;
using concurrence::RuntimeError;
using concurrence::ValueError;
using concurrence::asyncio::SendfileNotAvailableError;

// What a sendfile on a fresh connection gave, and what the peer received until the close.
struct TsfOutcome {
    std::size_t sent = 0;
    std::string received;
    std::int64_t position = -1;
    bool reading_after = false;
    std::string error;
};

std::string tsf_error_text(const std::exception_ptr& e) { return e ? tp_support::tp_what(e) : ""; }

// Writes `head` (buffered: the peer reads only later), then sendfile(file, offset, count).
asyncio::Coro<TsfOutcome> tsf_send(TpTempFile* file, std::string head, std::int64_t offset,
                                   std::optional<std::int64_t> count) {
    auto& loop = asyncio::get_running_loop();
    TpConn c = co_await tp_support::tp_connect();
    if (!head.empty()) c.transport->write(head);
    auto reading = asyncio::create_task(tp_support::tp_recv_all(c.peer));
    TsfOutcome out;
    try {
        out.sent = co_await loop.sendfile(*c.transport, file->fd(), offset, count);
    } catch (...) {
        out.error = tsf_error_text(std::current_exception());
    }
    out.position = file->position();
    out.reading_after = c.transport->is_reading();
    c.transport->close();
    out.received = co_await reading;
    co_await tp_support::tp_wait_lost(c.proto);
    co_return out;
}

TEST(TransportSendfile, SendsTheFileAfterWhatWasWrittenFirst) {
    const std::string content = pattern_bytes(2 * 1024 * 1024 + 3);  // far more than the socket buffers
    const std::string head(300 * 1024, 'h');                           // buffered in the transport
    TpTempFile file(content);
    TsfOutcome out;
    tp_support::tp_run_checked([&]() -> asyncio::Coro<> { out = co_await tsf_send(&file, head, 0, std::nullopt); });
    EXPECT_EQ(out.error, "");
    EXPECT_EQ(out.sent, content.size());
    EXPECT_EQ(out.received.size(), head.size() + content.size());
    EXPECT_TRUE(out.received == head + content);
    EXPECT_EQ(out.position, static_cast<std::int64_t>(content.size()));
    EXPECT_TRUE(out.reading_after);
}

TEST(TransportSendfile, OffsetAndCount) {
    const std::string content = pattern_bytes(100000);
    TpTempFile file(content);
    TsfOutcome out;
    tp_support::tp_run_checked([&]() -> asyncio::Coro<> { out = co_await tsf_send(&file, "", 1000, 5000); });
    EXPECT_EQ(out.sent, 5000U);
    EXPECT_TRUE(out.received == content.substr(1000, 5000));
    EXPECT_EQ(out.position, 6000);
}

TEST(TransportSendfile, AnEmptyFileSendsNothing) {
    TpTempFile file("");
    TsfOutcome out;
    tp_support::tp_run_checked([&]() -> asyncio::Coro<> { out = co_await tsf_send(&file, "x", 0, std::nullopt); });
    EXPECT_EQ(out.error, "");
    EXPECT_EQ(out.sent, 0U);
    EXPECT_EQ(out.received, "x");
}

// While the sendfile waits for a peer that does not read yet: reading is paused (what the
// peer sends waits), write() and a second sendfile are refused; afterwards all is as before.
asyncio::Coro<> tsf_while_in_progress(TpTempFile* file, const std::string* content) {
    auto& loop = asyncio::get_running_loop();
    TpConn c = co_await tp_support::tp_connect();
    auto sending = asyncio::create_task(loop.sendfile(*c.transport, file->fd()));
    co_await tp_support::tp_spin();
    EXPECT_FALSE(sending.done());  // waits for the peer to read
    EXPECT_FALSE(c.transport->is_reading());
    co_await loop.sock_sendall(c.peer, "hello");
    std::string refused;
    try {
        c.transport->write("x");
    } catch (const RuntimeError& e) {
        refused = e.what();
    }
    EXPECT_EQ(refused, "unable to write; sendfile is in progress");
    std::string second;
    try {
        co_await loop.sendfile(*c.transport, file->fd());
    } catch (const RuntimeError& e) {
        second = e.what();
    }
    EXPECT_EQ(second, "Empty waiter is already set");
    co_await tp_support::tp_spin();
    EXPECT_EQ(c.proto->received, "");  // reading is paused

    std::string received = co_await tp_support::tp_recv_exactly(c.peer, content->size());
    EXPECT_EQ(co_await sending, content->size());
    EXPECT_TRUE(received == *content);
    EXPECT_TRUE(c.transport->is_reading());
    EXPECT_TRUE(co_await tp_support::tp_wait_received(c.proto, 5));  // delivered once resumed
    EXPECT_EQ(c.proto->received, "hello");
    c.transport->write("after");
    EXPECT_EQ(co_await tp_support::tp_recv_exactly(c.peer, 5), "after");
    c.transport->close();
    co_await tp_support::tp_wait_lost(c.proto);
}

TEST(TransportSendfile, ReadingPausedAndWritesRefusedWhileInProgress) {
    const std::string content = pattern_bytes(4 * 1024 * 1024);
    TpTempFile file(content);
    tp_support::tp_run_checked([&] { return tsf_while_in_progress(&file, &content); });
}

// A file sendfile(2) cannot read (a pipe): the fallback reads and writes, unless refused.
asyncio::Coro<> tsf_fallback(bool fallback, std::string* error, std::string* received, std::size_t* sent) {
    auto& loop = asyncio::get_running_loop();
    TpConn c = co_await tp_support::tp_connect();
    TpPipe pipe;
    const std::string content = pattern_bytes(40000);  // fits in the pipe
    EXPECT_EQ(::write(pipe.write, content.data(), content.size()), static_cast<ssize_t>(content.size()));
    pipe.close_write();
    auto reading = asyncio::create_task(tp_support::tp_recv_all(c.peer));
    try {
        *sent = co_await loop.sendfile(*c.transport, pipe.read, 0, static_cast<std::int64_t>(content.size()), fallback);
    } catch (...) {
        *error = tsf_error_text(std::current_exception());
    }
    c.transport->write("end");  // still usable either way
    c.transport->close();
    *received = co_await reading;
    EXPECT_TRUE(*received == (fallback ? content : std::string()) + "end");
    co_await tp_support::tp_wait_lost(c.proto);
}

TEST(TransportSendfile, AFileSendfileCannotReadGoesThroughTheFallback) {
    std::string error, received;
    std::size_t sent = 0;
    tp_support::tp_run_checked([&] { return tsf_fallback(true, &error, &received, &sent); });
    EXPECT_EQ(error, "");
    EXPECT_EQ(sent, 40000U);
}

TEST(TransportSendfile, WithoutFallbackSendfileNotAvailableError) {
    std::string error, received;
    std::size_t sent = 0;
    tp_support::tp_run_checked([&] { return tsf_fallback(false, &error, &received, &sent); });
    EXPECT_EQ(error, "os.sendfile call failed");
    EXPECT_EQ(received, "end");
}

// The connection ends (abort) while sendfile waits for the buffer to drain.
asyncio::Coro<std::string> tsf_aborted(TpTempFile* file) {
    auto& loop = asyncio::get_running_loop();
    TpConn c = co_await tp_support::tp_connect();
    c.transport->write(std::string(1 << 20, 'h'));  // the peer never reads: stays buffered
    auto sending = asyncio::create_task(loop.sendfile(*c.transport, file->fd()));
    co_await tp_support::tp_spin();
    EXPECT_FALSE(sending.done());
    c.transport->abort();
    std::string error;
    bool connection_error = false;
    try {
        co_await asyncio::wait_for(sending, 20.0);  // (a bound far above need: a hang fails)
    } catch (const ConnectionError& e) {
        connection_error = true;
        error = e.what();
    }
    EXPECT_TRUE(connection_error);
    EXPECT_TRUE(c.proto->lost);
    co_return error;
}

TEST(TransportSendfile, TheConnectionEndingMeanwhileIsConnectionError) {
    TpTempFile file(pattern_bytes(100000));
    std::string error;
    tp_support::tp_run_checked([&]() -> asyncio::Coro<> { error = co_await tsf_aborted(&file); });
    EXPECT_EQ(error, "Connection is closed by peer");
}

// The peer goes away in the middle: the error reaches the caller, and the transport, reading
// again, sees the end.
asyncio::Coro<> tsf_peer_leaves(TpTempFile* file) {
    auto& loop = asyncio::get_running_loop();
    TpConn c = co_await tp_support::tp_connect();
    auto sending = asyncio::create_task(loop.sendfile(*c.transport, file->fd()));
    co_await tp_support::tp_recv_exactly(c.peer, 100000);
    c.peer.close();
    bool failed = false;
    try {
        co_await sending;
    } catch (const OSError&) {
        failed = true;
    }
    EXPECT_TRUE(failed);
    EXPECT_TRUE(co_await tp_support::tp_wait_lost(c.proto));
}

TEST(TransportSendfile, APeerLeavingMidwayIsAnOSErrorAndTheConnectionEnds) {
    TpTempFile file(pattern_bytes(8 * 1024 * 1024));
    tp_support::tp_run_checked([&] { return tsf_peer_leaves(&file); });
}

// Cancelled while waiting: the transport reads and writes again, the file position is after
// what went out, and the peer gets exactly that, then what is written next.
asyncio::Coro<> tsf_cancelled(TpTempFile* file, const std::string* content) {
    auto& loop = asyncio::get_running_loop();
    TpConn c = co_await tp_support::tp_connect();
    auto sending = asyncio::create_task(loop.sendfile(*c.transport, file->fd()));
    co_await tp_support::tp_spin();
    EXPECT_TRUE(co_await tp_support::tp_cancel_and_wait(sending));
    EXPECT_TRUE(c.transport->is_reading());
    const std::int64_t sent = file->position();
    EXPECT_GT(sent, 0);
    EXPECT_LT(sent, static_cast<std::int64_t>(content->size()));
    c.transport->write("tail");
    c.transport->close();
    const std::string received = co_await tp_support::tp_recv_all(c.peer);
    EXPECT_TRUE(received == content->substr(0, static_cast<std::size_t>(sent)) + "tail");
    co_await tp_support::tp_wait_lost(c.proto);
}

TEST(TransportSendfile, CancelledItLeavesTheTransportUsable) {
    const std::string content = pattern_bytes(8 * 1024 * 1024);
    TpTempFile file(content);
    tp_support::tp_run_checked([&] { return tsf_cancelled(&file, &content); });
}

// Python's refusals, before anything is sent.
asyncio::Coro<std::vector<std::string>> tsf_refusals(TpTempFile* file) {
    auto& loop = asyncio::get_running_loop();
    std::vector<std::string> out;
    TpConn c = co_await tp_support::tp_connect();
    try {
        co_await loop.sendfile(*c.transport, file->fd(), -1);
    } catch (const ValueError& e) {
        out.emplace_back(e.what());
    }
    try {
        co_await loop.sendfile(*c.transport, file->fd(), 0, 0);
    } catch (const ValueError& e) {
        out.emplace_back(e.what());
    }
    TpPipe pipe;
    auto [writer, writer_proto] = co_await loop.connect_write_pipe(tp_support::tp_make_recorder, pipe.give_write());
    try {
        co_await loop.sendfile(*writer, file->fd());
    } catch (const RuntimeError& e) {
        out.emplace_back(e.what());
    }
    writer->close();
    c.transport->close();
    try {
        co_await loop.sendfile(*c.transport, file->fd());
    } catch (const RuntimeError& e) {
        out.emplace_back(e.what());
    }
    co_await tp_support::tp_wait_lost(c.proto);
    co_await tp_support::tp_spin();
    co_return out;
}

TEST(TransportSendfile, PythonsRefusals) {
    TpTempFile file("abc");
    std::vector<std::string> out;
    tp_support::tp_run_checked([&]() -> asyncio::Coro<> { out = co_await tsf_refusals(&file); });
    EXPECT_EQ(out, (std::vector<std::string>{"offset must be a non-negative integer (got -1)",
                                             "count must be a positive integer (got 0)",
                                             "sendfile is not supported for transport <pipe transport>",
                                             "Transport is closing"}));
    EXPECT_EQ(file.position(), 0);
}

}  // namespace
