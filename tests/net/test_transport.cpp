// The stream transport of a connected socket and loop.create_connection (CPython's
// test_selector_events.py SelectorSocketTransportTests, test_events.py's create_connection
// tests), against a raw peer socket the test drives.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>

#include <string>
#include <vector>

#include "tp_support.hpp"

namespace {

using namespace tp_support;
using concurrence::OSError;
using concurrence::RuntimeError;
using concurrence::ValueError;

// ---- order of the callbacks

asyncio::Coro<> tp_order_clean_close() {
    auto& loop = asyncio::get_running_loop();
    TpConn c = co_await tp_connect();
    co_await loop.sock_sendall(c.peer, "hello");
    c.peer.shutdown(SHUT_WR);
    const bool lost = co_await tp_wait_lost(c.proto);
    EXPECT_TRUE(lost);
    EXPECT_EQ(c.proto->events, (std::vector<std::string>{"made", "data", "eof", "lost"}));
    EXPECT_EQ(c.proto->received, "hello");
    EXPECT_FALSE(c.proto->data_before_made);
    EXPECT_FALSE(c.proto->lost_exc);
    EXPECT_TRUE(c.transport->is_closing());
    // The transport closed its socket: the peer reads EOF.
    std::string rest = co_await tp_recv_all(c.peer);
    EXPECT_EQ(rest, "");
}

TEST(TpTransport, CallbackOrderOnCleanPeerClose) { tp_run_checked(tp_order_clean_close); }

asyncio::Coro<> tp_order_data_sent_before_connect_completes() {
    auto& loop = asyncio::get_running_loop();
    // The peer writes before the transport exists: still connection_made first.
    net::Socket lst = tp_small_listener();
    net::Socket raw(AF_INET, SOCK_STREAM);
    raw.setblocking(false);
    co_await loop.sock_connect(raw, lst.getsockname());
    auto [peer, addr] = co_await loop.sock_accept(lst);
    co_await loop.sock_sendall(peer, "early bytes");
    peer.close();
    net::ConnectionOptions options;
    options.sock = std::move(raw);
    auto [transport, proto] = co_await loop.create_connection(tp_make_recorder, "", 0, std::move(options));
    const bool lost = co_await tp_wait_lost(proto);
    EXPECT_TRUE(lost);
    EXPECT_FALSE(proto->data_before_made);
    EXPECT_EQ(proto->events, (std::vector<std::string>{"made", "data", "eof", "lost"}));
    EXPECT_EQ(proto->received, "early bytes");
}

TEST(TpTransport, ConnectionMadeComesBeforeDataAlreadyWaiting) {
    tp_run_checked(tp_order_data_sent_before_connect_completes);
}

asyncio::Coro<> tp_returns_after_made() {
    auto& loop = asyncio::get_running_loop();
    net::Socket lst = tp_small_listener();
    auto [transport, proto] = co_await loop.create_connection(tp_make_recorder, "127.0.0.1", lst.getsockname().port);
    EXPECT_EQ(proto->events, (std::vector<std::string>{"made"}));
    EXPECT_EQ(proto->transport, transport.get());
    EXPECT_EQ(&transport->get_protocol(), proto.get());
    EXPECT_FALSE(transport->is_closing());
    EXPECT_TRUE(transport->is_reading());
    transport->close();
    const bool lost = co_await tp_wait_lost(proto);
    EXPECT_TRUE(lost);
}

TEST(TpTransport, CreateConnectionReturnsAfterConnectionMade) { tp_run_checked(tp_returns_after_made); }

asyncio::Coro<> tp_peer_reset() {
    TpConn c = co_await tp_connect();
    const linger lg{1, 0};
    ::setsockopt(c.peer.fileno(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    c.peer.close();  // RST
    const bool lost = co_await tp_wait_lost(c.proto);
    EXPECT_TRUE(lost);
    EXPECT_EQ(c.proto->events, (std::vector<std::string>{"made", "lost:error"}));
    bool is_reset = false;
    try {
        std::rethrow_exception(c.proto->lost_exc);
    } catch (const concurrence::ConnectionResetError& e) {
        is_reset = e.errno_code() == ECONNRESET;
    } catch (...) {
    }
    EXPECT_TRUE(is_reset) << tp_what(c.proto->lost_exc);
}

TEST(TpTransport, PeerResetGivesConnectionResetError) { tp_run_checked(tp_peer_reset); }

asyncio::Coro<> tp_connection_made_throws() {
    auto& loop = asyncio::get_running_loop();
    auto log = tp_capture_handler(loop);
    struct Thrower : TpRecorder {
        void connection_made(asyncio::Transport& t) override {
            TpRecorder::connection_made(t);
            throw std::runtime_error("made failed");
        }
    };
    net::Socket lst = tp_small_listener();
    auto [transport, proto] = co_await loop.create_connection([] { return std::make_shared<Thrower>(); }, "127.0.0.1",
                                                              lst.getsockname().port);
    EXPECT_EQ(log->messages, (std::vector<std::string>{"Exception in callback Protocol.connection_made()"}));
    // Reading started all the same.
    auto [peer, addr] = co_await loop.sock_accept(lst);
    co_await loop.sock_sendall(peer, "x");
    const bool got = co_await tp_wait_received(proto, 1);
    EXPECT_TRUE(got);
    transport->close();
    const bool lost = co_await tp_wait_lost(proto);
    EXPECT_TRUE(lost);
}

TEST(TpTransport, ConnectionMadeExceptionIsReportedAndReadingStarts) { tp_run_checked(tp_connection_made_throws); }

// ---- write

asyncio::Coro<> tp_write_immediately() {
    TpConn c = co_await tp_connect();
    c.transport->write("abc");
    EXPECT_EQ(c.transport->get_write_buffer_size(), 0u);  // sent at once, nothing buffered
    std::string got = co_await tp_recv_exactly(c.peer, 3);
    EXPECT_EQ(got, "abc");
    std::vector<std::string> lines{"one ", "two ", "three"};
    c.transport->writelines(lines);
    got = co_await tp_recv_exactly(c.peer, 13);
    EXPECT_EQ(got, "one two three");
    c.transport->close();
    co_await tp_wait_lost(c.proto);
}

TEST(TpTransport, WriteSendsAtOnceWhenNothingIsBuffered) { tp_run_checked(tp_write_immediately); }

asyncio::Coro<> tp_partial_write_buffered() {
    TpConn c = co_await tp_connect();
    const std::string data = pattern_bytes(8 << 20);
    c.transport->write(data);
    const std::size_t buffered = c.transport->get_write_buffer_size();
    EXPECT_GT(buffered, 0u);
    EXPECT_LT(buffered, data.size());  // the kernel took the start at once
    co_await tp_spin();
    EXPECT_GT(c.transport->get_write_buffer_size(), 0u);  // the peer reads nothing: still there
    auto reader = asyncio::create_task(tp_recv_exactly(c.peer, data.size()));
    std::string got = co_await reader;
    EXPECT_EQ(got.size(), data.size());
    EXPECT_TRUE(got == data);
    std::function<bool()> empty = [t = c.transport] { return t->get_write_buffer_size() == 0; };
    const bool drained = co_await tp_wait_until(empty);
    EXPECT_TRUE(drained);
    c.transport->close();
    co_await tp_wait_lost(c.proto);
}

TEST(TpTransport, PartialWriteIsBufferedAndSentLater) { tp_run_checked(tp_partial_write_buffered); }

asyncio::Coro<> tp_many_small_writes_in_order() {
    TpConn c = co_await tp_connect();
    std::string expected;
    for (int i = 0; i < 20000; ++i) {
        std::string piece = std::to_string(i) + ",";
        expected += piece;
        c.transport->write(piece);
    }
    c.transport->close();
    std::string got = co_await tp_recv_all(c.peer);
    EXPECT_EQ(got.size(), expected.size());
    EXPECT_TRUE(got == expected);
    const bool lost = co_await tp_wait_lost(c.proto);
    EXPECT_TRUE(lost);
    EXPECT_FALSE(c.proto->lost_exc);
}

TEST(TpTransport, ManySmallWritesArriveInOrder) { tp_run_checked(tp_many_small_writes_in_order); }

TEST(TpTransport, DefaultWriteBufferLimitsAndValidation) {
    tp_run_checked([]() -> asyncio::Coro<> {
        TpConn c = co_await tp_connect();
        auto& t = *c.transport;
        EXPECT_EQ(t.get_write_buffer_limits(), (std::pair<std::size_t, std::size_t>{16384, 65536}));
        t.set_write_buffer_limits(1000);
        EXPECT_EQ(t.get_write_buffer_limits(), (std::pair<std::size_t, std::size_t>{250, 1000}));
        t.set_write_buffer_limits(std::nullopt, 100);
        EXPECT_EQ(t.get_write_buffer_limits(), (std::pair<std::size_t, std::size_t>{100, 400}));
        t.set_write_buffer_limits(500, 20);
        EXPECT_EQ(t.get_write_buffer_limits(), (std::pair<std::size_t, std::size_t>{20, 500}));
        t.set_write_buffer_limits(0, 0);
        EXPECT_EQ(t.get_write_buffer_limits(), (std::pair<std::size_t, std::size_t>{0, 0}));
        t.set_write_buffer_limits();
        EXPECT_EQ(t.get_write_buffer_limits(), (std::pair<std::size_t, std::size_t>{16384, 65536}));
        std::string message;
        try {
            t.set_write_buffer_limits(1, 2);
        } catch (const ValueError& e) {
            message = e.what();
        }
        EXPECT_EQ(message, "high (1) must be >= low (2) must be >= 0");
        // Unchanged by the failed call.
        EXPECT_EQ(t.get_write_buffer_limits(), (std::pair<std::size_t, std::size_t>{16384, 65536}));
        t.close();
        co_await tp_wait_lost(c.proto);
    });
}

asyncio::Coro<> tp_water_marks() {
    TpConn c = co_await tp_connect();
    c.transport->set_write_buffer_limits(256 * 1024, 64 * 1024);
    const std::string data = pattern_bytes(4 << 20);
    // In pieces: pause_writing comes once, when the buffer goes over the high-water mark.
    std::size_t written = 0;
    while (written < data.size() && c.proto->pauses == 0) {
        c.transport->write(std::string_view(data).substr(written, 16 * 1024));
        written += 16 * 1024;
    }
    EXPECT_EQ(c.proto->pauses, 1);
    EXPECT_GT(c.proto->size_at_pause, 256u * 1024);
    EXPECT_EQ(c.proto->resumes, 0);
    c.transport->write(std::string_view(data).substr(written));  // over the mark: no second pause
    EXPECT_EQ(c.proto->pauses, 1);
    co_await tp_spin();
    EXPECT_EQ(c.proto->resumes, 0);  // the peer reads nothing
    std::string got = co_await tp_recv_exactly(c.peer, data.size());
    EXPECT_TRUE(got == data);
    std::function<bool()> resumed = [p = c.proto] { return p->resumes > 0; };
    const bool ok = co_await tp_wait_until(resumed);
    EXPECT_TRUE(ok);
    EXPECT_EQ(c.proto->resumes, 1);
    EXPECT_LE(c.proto->size_at_resume, 64u * 1024);
    EXPECT_EQ(c.proto->events, (std::vector<std::string>{"made", "pause", "resume"}));
    c.transport->close();
    co_await tp_wait_lost(c.proto);
}

TEST(TpTransport, PauseAndResumeWritingAtTheWaterMarks) { tp_run_checked(tp_water_marks); }

asyncio::Coro<> tp_limits_pause_at_once() {
    TpConn c = co_await tp_connect();
    c.transport->write(pattern_bytes(2 << 20));
    const std::size_t buffered = c.transport->get_write_buffer_size();
    EXPECT_GT(buffered, 0u);
    EXPECT_EQ(c.proto->pauses, 1);  // 2 MiB is over the default 64 KiB
    c.transport->abort();
    co_await tp_wait_lost(c.proto);

    TpConn d = co_await tp_connect();
    d.transport->set_write_buffer_limits(8 << 20);
    d.transport->write(pattern_bytes(2 << 20));
    EXPECT_EQ(d.proto->pauses, 0);
    EXPECT_GT(d.transport->get_write_buffer_size(), 1000u);
    d.transport->set_write_buffer_limits(1000);  // now over the new mark: paused at once
    EXPECT_EQ(d.proto->pauses, 1);
    d.transport->abort();
    co_await tp_wait_lost(d.proto);
}

TEST(TpTransport, LoweringTheHighWaterMarkPausesAtOnce) { tp_run_checked(tp_limits_pause_at_once); }

asyncio::Coro<> tp_pause_writing_throws() {
    auto& loop = asyncio::get_running_loop();
    auto log = tp_capture_handler(loop);
    struct BadPause : TpRecorder {
        void pause_writing() override { throw std::runtime_error("no pause"); }
    };
    std::function<std::shared_ptr<TpRecorder>()> factory = [] { return std::make_shared<BadPause>(); };
    TpConn c = co_await tp_connect(factory);
    c.transport->write(pattern_bytes(4 << 20));
    EXPECT_EQ(log->messages, (std::vector<std::string>{"protocol.pause_writing() failed"}));
    EXPECT_FALSE(c.transport->is_closing());
    c.transport->abort();
    co_await tp_wait_lost(c.proto);
}

TEST(TpTransport, PauseWritingExceptionGoesToTheHandler) { tp_run_checked(tp_pause_writing_throws); }

asyncio::Coro<> tp_write_after_write_eof() {
    TpConn c = co_await tp_connect();
    EXPECT_TRUE(c.transport->can_write_eof());
    c.transport->write_eof();
    std::string message;
    try {
        c.transport->write("late");
    } catch (const RuntimeError& e) {
        message = e.what();
    }
    EXPECT_EQ(message, "Cannot call write() after write_eof()");
    message.clear();
    try {
        c.transport->write("");  // Python checks the EOF first, even for no data
    } catch (const RuntimeError& e) {
        message = e.what();
    }
    EXPECT_EQ(message, "Cannot call write() after write_eof()");
    c.transport->write_eof();  // twice: nothing
    std::string got = co_await tp_recv_all(c.peer);
    EXPECT_EQ(got, "");
    c.transport->close();
    co_await tp_wait_lost(c.proto);
}

TEST(TpTransport, WriteAfterWriteEofThrows) { tp_run_checked(tp_write_after_write_eof); }

asyncio::Coro<> tp_empty_write() {
    TpConn c = co_await tp_connect();
    c.transport->write("");
    c.transport->write(std::string_view());
    EXPECT_EQ(c.transport->get_write_buffer_size(), 0u);
    EXPECT_FALSE(c.transport->is_closing());
    c.transport->close();
    c.transport->write("");  // closed: still nothing, no error
    std::string got = co_await tp_recv_all(c.peer);
    EXPECT_EQ(got, "");
    const bool lost = co_await tp_wait_lost(c.proto);
    EXPECT_TRUE(lost);
    EXPECT_EQ(c.proto->events, (std::vector<std::string>{"made", "lost"}));
}

TEST(TpTransport, EmptyWriteIsANoOp) { tp_run_checked(tp_empty_write); }

asyncio::Coro<> tp_writes_after_abort() {
    TpConn c = co_await tp_connect();
    c.transport->abort();
    EXPECT_TRUE(c.transport->is_closing());
    c.transport->write("dropped 1");
    c.transport->write("dropped 2");
    c.transport->write("dropped 3");
    EXPECT_EQ(c.transport->get_write_buffer_size(), 0u);
    const bool lost = co_await tp_wait_lost(c.proto);
    EXPECT_TRUE(lost);
    c.transport->write("dropped 4");  // after connection_lost too
    EXPECT_EQ(c.proto->events, (std::vector<std::string>{"made", "lost"}));
    EXPECT_FALSE(c.proto->lost_exc);
    std::string got = co_await tp_recv_all(c.peer);
    EXPECT_EQ(got, "");
}

TEST(TpTransport, WritesAfterAbortAreDropped) { tp_run_checked(tp_writes_after_abort); }

asyncio::Coro<> tp_write_after_close_is_dropped() {
    TpConn c = co_await tp_connect();
    c.transport->write("kept");
    c.transport->close();  // nothing buffered: the connection is lost at the next iteration
    c.transport->write("dropped");
    std::string got = co_await tp_recv_all(c.peer);
    EXPECT_EQ(got, "kept");
    const bool lost = co_await tp_wait_lost(c.proto);
    EXPECT_TRUE(lost);
}

TEST(TpTransport, WriteAfterCloseIsDropped) { tp_run_checked(tp_write_after_close_is_dropped); }

// ---- close and abort

asyncio::Coro<> tp_close_flushes() {
    TpConn c = co_await tp_connect();
    const std::string data = pattern_bytes(4 << 20);
    c.transport->write(data);
    EXPECT_GT(c.transport->get_write_buffer_size(), 0u);
    c.transport->close();
    EXPECT_TRUE(c.transport->is_closing());
    EXPECT_FALSE(c.transport->is_reading());
    co_await tp_spin();
    EXPECT_FALSE(c.proto->lost);  // not before the buffer is sent
    std::string got = co_await tp_recv_all(c.peer);  // every byte, then EOF
    EXPECT_EQ(got.size(), data.size());
    EXPECT_TRUE(got == data);
    const bool lost = co_await tp_wait_lost(c.proto);
    EXPECT_TRUE(lost);
    EXPECT_FALSE(c.proto->lost_exc);
    EXPECT_EQ(c.proto->lost_calls, 1);
}

TEST(TpTransport, CloseSendsEveryBufferedByteBeforeTheFin) { tp_run_checked(tp_close_flushes); }

asyncio::Coro<> tp_close_then_write_more() {
    // Python: close() with data buffered still accepts writes until the buffer is flushed.
    TpConn c = co_await tp_connect();
    const std::string data = pattern_bytes(2 << 20);
    c.transport->write(data);
    c.transport->close();
    c.transport->write("tail");
    std::string got = co_await tp_recv_all(c.peer);
    EXPECT_EQ(got.size(), data.size() + 4);
    EXPECT_TRUE(got == data + "tail");
    co_await tp_wait_lost(c.proto);
}

TEST(TpTransport, WriteWhileClosingWithBufferedDataIsSent) { tp_run_checked(tp_close_then_write_more); }

asyncio::Coro<> tp_abort_drops() {
    TpConn c = co_await tp_connect();
    const std::string data = pattern_bytes(8 << 20);
    c.transport->write(data);
    EXPECT_GT(c.transport->get_write_buffer_size(), 0u);
    c.transport->abort();
    EXPECT_EQ(c.transport->get_write_buffer_size(), 0u);
    EXPECT_TRUE(c.transport->is_closing());
    // connection_lost without the peer reading anything.
    const bool lost = co_await tp_wait_lost(c.proto);
    EXPECT_TRUE(lost);
    EXPECT_FALSE(c.proto->lost_exc);
    std::string got = co_await tp_recv_all(c.peer);
    EXPECT_LT(got.size(), data.size());
    EXPECT_EQ(c.proto->events, (std::vector<std::string>{"made", "pause", "lost"}));
}

TEST(TpTransport, AbortDropsTheBuffer) { tp_run_checked(tp_abort_drops); }

asyncio::Coro<> tp_close_twice() {
    TpConn c = co_await tp_connect();
    EXPECT_FALSE(c.transport->is_closing());
    c.transport->close();
    c.transport->close();
    c.transport->abort();
    EXPECT_TRUE(c.transport->is_closing());
    const bool lost = co_await tp_wait_lost(c.proto);
    EXPECT_TRUE(lost);
    co_await tp_spin();
    c.transport->close();
    c.transport->abort();
    co_await tp_spin();
    EXPECT_EQ(c.proto->lost_calls, 1);
    EXPECT_EQ(c.proto->events, (std::vector<std::string>{"made", "lost"}));
    EXPECT_FALSE(c.transport->get_extra_info<int>("socket"));  // the socket is closed
}

TEST(TpTransport, CloseTwiceAndAbortAfterCloseAreHarmless) { tp_run_checked(tp_close_twice); }

asyncio::Coro<> tp_abort_after_close_with_buffer() {
    TpConn c = co_await tp_connect();
    c.transport->write(pattern_bytes(8 << 20));
    c.transport->close();  // buffered: waits for the peer
    co_await tp_spin();
    EXPECT_FALSE(c.proto->lost);
    c.transport->abort();  // gives up on the buffer
    const bool lost = co_await tp_wait_lost(c.proto);
    EXPECT_TRUE(lost);
    EXPECT_EQ(c.proto->lost_calls, 1);
}

TEST(TpTransport, AbortAfterCloseDropsWhatCloseWaitedFor) { tp_run_checked(tp_abort_after_close_with_buffer); }

asyncio::Coro<> tp_connection_lost_is_deferred() {
    TpConn c = co_await tp_connect();
    c.transport->close();
    EXPECT_FALSE(c.proto->lost);  // Python: call_soon, never inside close()
    c.transport->abort();
    EXPECT_FALSE(c.proto->lost);
    const bool lost = co_await tp_wait_lost(c.proto);
    EXPECT_TRUE(lost);

    TpConn d = co_await tp_connect();
    d.transport->abort();
    EXPECT_FALSE(d.proto->lost);
    co_await tp_wait_lost(d.proto);
}

TEST(TpTransport, ConnectionLostIsCalledLaterNotInsideCloseOrAbort) { tp_run_checked(tp_connection_lost_is_deferred); }

// ---- write_eof and half-close

asyncio::Coro<> tp_write_eof_half_close() {
    auto& loop = asyncio::get_running_loop();
    TpConn c = co_await tp_connect();
    c.transport->write("request");
    c.transport->write_eof();
    EXPECT_FALSE(c.transport->is_closing());
    std::string got = co_await tp_recv_all(c.peer);  // the data then EOF
    EXPECT_EQ(got, "request");
    co_await loop.sock_sendall(c.peer, "response");  // this side still reads
    const bool received = co_await tp_wait_received(c.proto, 8);
    EXPECT_TRUE(received);
    EXPECT_EQ(c.proto->received, "response");
    c.peer.shutdown(SHUT_WR);
    const bool lost = co_await tp_wait_lost(c.proto);  // eof_received -> false: closed
    EXPECT_TRUE(lost);
    EXPECT_EQ(c.proto->events, (std::vector<std::string>{"made", "data", "eof", "lost"}));
}

TEST(TpTransport, WriteEofLetsThePeerSeeEofWhileThisSideReads) { tp_run_checked(tp_write_eof_half_close); }

asyncio::Coro<> tp_write_eof_after_buffer() {
    TpConn c = co_await tp_connect();
    const std::string data = pattern_bytes(4 << 20);
    c.transport->write(data);
    EXPECT_GT(c.transport->get_write_buffer_size(), 0u);
    c.transport->write_eof();  // the FIN goes after the buffer
    std::string got = co_await tp_recv_all(c.peer);
    EXPECT_EQ(got.size(), data.size());
    EXPECT_TRUE(got == data);
    EXPECT_FALSE(c.transport->is_closing());
    EXPECT_FALSE(c.proto->lost);
    c.transport->close();
    const bool lost = co_await tp_wait_lost(c.proto);
    EXPECT_TRUE(lost);
}

TEST(TpTransport, WriteEofWithBufferedDataShutsDownAfterTheFlush) { tp_run_checked(tp_write_eof_after_buffer); }

asyncio::Coro<> tp_eof_keep_open() {
    auto& loop = asyncio::get_running_loop();
    std::function<std::shared_ptr<TpRecorder>()> factory = [] {
        auto p = std::make_shared<TpRecorder>();
        p->keep_open_on_eof = true;
        return p;
    };
    TpConn c = co_await tp_connect(factory);
    co_await loop.sock_sendall(c.peer, "question");
    c.peer.shutdown(SHUT_WR);
    std::function<bool()> got_eof = [p = c.proto] { return !p->events.empty() && p->events.back() == "eof"; };
    const bool eof = co_await tp_wait_until(got_eof);
    EXPECT_TRUE(eof);
    co_await tp_spin();
    EXPECT_FALSE(c.proto->lost);
    EXPECT_FALSE(c.transport->is_closing());
    c.transport->write("answer");  // half-closed: this side still writes
    c.transport->close();
    std::string got = co_await tp_recv_all(c.peer);
    EXPECT_EQ(got, "answer");
    const bool lost = co_await tp_wait_lost(c.proto);
    EXPECT_TRUE(lost);
    EXPECT_EQ(c.proto->events, (std::vector<std::string>{"made", "data", "eof", "lost"}));
}

TEST(TpTransport, EofReceivedTrueKeepsTheTransportOpenForWriting) { tp_run_checked(tp_eof_keep_open); }

asyncio::Coro<> tp_eof_closes() {
    TpConn c = co_await tp_connect();
    c.peer.shutdown(SHUT_WR);
    const bool lost = co_await tp_wait_lost(c.proto);
    EXPECT_TRUE(lost);
    EXPECT_TRUE(c.transport->is_closing());
    EXPECT_EQ(c.proto->events, (std::vector<std::string>{"made", "eof", "lost"}));
    c.transport->write("dropped");  // closed: dropped silently
    std::string got = co_await tp_recv_all(c.peer);
    EXPECT_EQ(got, "");
}

TEST(TpTransport, EofReceivedFalseClosesTheTransport) { tp_run_checked(tp_eof_closes); }

// ---- pause_reading / resume_reading

asyncio::Coro<> tp_pause_reading() {
    auto& loop = asyncio::get_running_loop();
    TpConn c = co_await tp_connect();
    EXPECT_TRUE(c.transport->is_reading());
    c.transport->pause_reading();
    c.transport->pause_reading();  // twice: nothing more
    EXPECT_FALSE(c.transport->is_reading());
    co_await loop.sock_sendall(c.peer, "while paused");
    co_await tp_spin();
    EXPECT_EQ(c.proto->data_calls, 0);
    EXPECT_EQ(c.proto->received, "");
    c.transport->resume_reading();
    EXPECT_TRUE(c.transport->is_reading());
    c.transport->resume_reading();
    const bool received = co_await tp_wait_received(c.proto, 12);
    EXPECT_TRUE(received);
    EXPECT_EQ(c.proto->received, "while paused");
    // EOF while paused is not seen either.
    const bool lost = co_await tp_end_while_paused(c, "");
    EXPECT_TRUE(lost);
    EXPECT_FALSE(c.transport->is_reading());  // closed
    EXPECT_EQ(c.proto->events, (std::vector<std::string>{"made", "data", "eof", "lost"}));
}

TEST(TpTransport, NoDataReceivedWhilePaused) { tp_run_checked(tp_pause_reading); }

// Pauses in every data_received: the test resumes, one chunk at a time, until all arrived.
struct TpPausingReader : TpRecorder {
    void data_received(std::string_view data) override {
        TpRecorder::data_received(data);
        transport->pause_reading();
    }
};

asyncio::Coro<> tp_pause_inside_data_received() {
    auto& loop = asyncio::get_running_loop();
    std::function<std::shared_ptr<TpRecorder>()> factory = [] { return std::make_shared<TpPausingReader>(); };
    TpConn c = co_await tp_connect(factory);
    const std::string data = pattern_bytes(1 << 20);
    auto sender = asyncio::create_task(loop.sock_sendall(c.peer, data));
    std::function<bool()> first = [p = c.proto] { return p->data_calls > 0; };
    const bool started = co_await tp_wait_until(first);
    EXPECT_TRUE(started);
    int rounds = 0;
    while (c.proto->received.size() < data.size() && rounds < 100000) {
        const int calls = c.proto->data_calls;
        for (int k = 0; k < 3; ++k) co_await asyncio::sleep(0);
        EXPECT_EQ(c.proto->data_calls, calls);  // paused: no more
        EXPECT_FALSE(c.transport->is_reading());
        c.transport->resume_reading();
        std::function<bool()> more = [p = c.proto, calls] { return p->data_calls > calls; };
        const bool ok = co_await tp_wait_until(more);
        EXPECT_TRUE(ok);
        if (!ok) break;
        ++rounds;
    }
    co_await sender;
    EXPECT_EQ(c.proto->received.size(), data.size());
    EXPECT_TRUE(c.proto->received == data);
    c.transport->close();
    co_await tp_wait_lost(c.proto);
}

TEST(TpTransport, PausingInsideDataReceivedLosesNothing) { tp_run_checked(tp_pause_inside_data_received); }

asyncio::Coro<> tp_big_incoming() {
    auto& loop = asyncio::get_running_loop();
    TpConn c = co_await tp_connect();
    const std::string data = pattern_bytes(16 << 20);
    auto sender = asyncio::create_task(loop.sock_sendall(c.peer, data));
    co_await sender;
    c.peer.shutdown(SHUT_WR);
    const bool lost = co_await tp_wait_lost(c.proto);
    EXPECT_TRUE(lost);
    EXPECT_EQ(c.proto->received.size(), data.size());
    EXPECT_TRUE(c.proto->received == data);
    EXPECT_EQ(c.proto->events, (std::vector<std::string>{"made", "data", "eof", "lost"}));
}

TEST(TpTransport, BigIncomingTransferThenEof) { tp_run_checked(tp_big_incoming); }

// ---- errors in the protocol

struct TpThrowingReader : TpRecorder {
    void data_received(std::string_view data) override {
        TpRecorder::data_received(data);
        throw std::runtime_error("protocol bug");
    }
};

asyncio::Coro<> tp_data_received_throws() {
    auto& loop = asyncio::get_running_loop();
    auto log = tp_capture_handler(loop);
    std::function<std::shared_ptr<TpRecorder>()> factory = [] { return std::make_shared<TpThrowingReader>(); };
    TpConn c = co_await tp_connect(factory);
    co_await loop.sock_sendall(c.peer, "boom");
    const bool lost = co_await tp_wait_lost(c.proto);
    EXPECT_TRUE(lost);
    EXPECT_EQ(log->messages, (std::vector<std::string>{"Fatal error: protocol.data_received() call failed."}));
    EXPECT_EQ(tp_what(log->exceptions.empty() ? nullptr : log->exceptions[0]), "protocol bug");
    EXPECT_EQ(tp_what(c.proto->lost_exc), "protocol bug");  // connection_lost(exc)
    EXPECT_EQ(c.proto->events, (std::vector<std::string>{"made", "data", "lost:error"}));
    EXPECT_TRUE(c.transport->is_closing());
    std::string rest = co_await tp_recv_all(c.peer);
    EXPECT_EQ(rest, "");
}

TEST(TpTransport, DataReceivedExceptionIsFatalAndReported) { tp_run_checked(tp_data_received_throws); }

struct TpThrowingEof : TpRecorder {
    bool eof_received() override {
        TpRecorder::eof_received();
        throw std::runtime_error("eof bug");
    }
};

asyncio::Coro<> tp_eof_received_throws() {
    auto& loop = asyncio::get_running_loop();
    auto log = tp_capture_handler(loop);
    std::function<std::shared_ptr<TpRecorder>()> factory = [] { return std::make_shared<TpThrowingEof>(); };
    TpConn c = co_await tp_connect(factory);
    c.peer.shutdown(SHUT_WR);
    const bool lost = co_await tp_wait_lost(c.proto);
    EXPECT_TRUE(lost);
    EXPECT_EQ(log->messages, (std::vector<std::string>{"Fatal error: protocol.eof_received() call failed."}));
    EXPECT_EQ(tp_what(c.proto->lost_exc), "eof bug");
}

TEST(TpTransport, EofReceivedExceptionIsFatalAndReported) { tp_run_checked(tp_eof_received_throws); }

asyncio::Coro<> tp_connection_lost_throws() {
    auto& loop = asyncio::get_running_loop();
    auto log = tp_capture_handler(loop);
    struct BadLost : TpRecorder {
        void connection_lost(std::exception_ptr exc) override {
            TpRecorder::connection_lost(exc);
            throw std::runtime_error("lost bug");
        }
    };
    std::function<std::shared_ptr<TpRecorder>()> factory = [] { return std::make_shared<BadLost>(); };
    TpConn c = co_await tp_connect(factory);
    c.transport->close();
    const bool lost = co_await tp_wait_lost(c.proto);
    EXPECT_TRUE(lost);
    co_await tp_spin();
    EXPECT_EQ(log->messages.size(), 1u);  // reported as a callback's error, and the socket is closed
    EXPECT_FALSE(c.transport->get_extra_info<int>("socket"));
    std::string rest = co_await tp_recv_all(c.peer);
    EXPECT_EQ(rest, "");
}

TEST(TpTransport, ConnectionLostExceptionStillClosesTheSocket) { tp_run_checked(tp_connection_lost_throws); }

// ---- get_extra_info

asyncio::Coro<> tp_extra_info() {
    TpConn c = co_await tp_connect();
    auto peername = c.transport->get_extra_info<net::Address>("peername");
    auto sockname = c.transport->get_extra_info<net::Address>("sockname");
    EXPECT_TRUE(peername && sockname);
    if (peername && sockname) {
        EXPECT_EQ(*peername, c.peer.getsockname());
        EXPECT_EQ(*sockname, c.peer.getpeername());
        EXPECT_EQ(sockname->host, "127.0.0.1");
        EXPECT_EQ(peername->family, AF_INET);
    }
    auto fd = c.transport->get_extra_info<int>("socket");
    EXPECT_TRUE(fd.has_value());
    if (fd) {
        EXPECT_TRUE(fd_is_open(*fd));
        EXPECT_TRUE(fd_is_nonblocking(*fd));
        EXPECT_EQ(net::Socket::adopt(::dup(*fd)).getpeername(), *peername);
        int nodelay = 0;
        socklen_t len = sizeof nodelay;
        ::getsockopt(*fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &len);
        EXPECT_NE(nodelay, 0);  // Python's _set_nodelay
    }
    EXPECT_FALSE(c.transport->get_extra_info("no such thing").has_value());
    EXPECT_FALSE(c.transport->get_extra_info<net::Address>("nope"));
    EXPECT_FALSE(c.transport->get_extra_info<std::string>("peername"));  // another type
    EXPECT_FALSE(c.transport->get_extra_info<net::Address>("socket"));
    c.transport->close();
    co_await tp_wait_lost(c.proto);
    // The addresses stay known after the close.
    EXPECT_EQ(c.transport->get_extra_info<net::Address>("peername"), peername);
}

TEST(TpTransport, GetExtraInfo) { tp_run_checked(tp_extra_info); }

// ---- SIGPIPE

struct TpSigpipeDefault {
    struct sigaction old {};
    TpSigpipeDefault() {
        struct sigaction dfl {};
        dfl.sa_handler = SIG_DFL;
        ::sigaction(SIGPIPE, &dfl, &old);
    }
    ~TpSigpipeDefault() { ::sigaction(SIGPIPE, &old, nullptr); }
};

asyncio::Coro<> tp_write_to_closed_peer(bool unix_socket) {
    auto& loop = asyncio::get_running_loop();
    std::function<std::shared_ptr<TpRecorder>()> factory = [] {
        auto p = std::make_shared<TpRecorder>();
        p->keep_open_on_eof = true;  // keep writing after the peer's FIN
        return p;
    };
    std::shared_ptr<asyncio::Transport> transport;
    std::shared_ptr<TpRecorder> proto;
    if (unix_socket) {
        auto [a, b] = net::socketpair();
        net::ConnectionOptions options;
        options.sock = std::move(a);
        auto [t, p] = co_await loop.create_unix_connection(factory, "", std::move(options));
        transport = t;
        proto = p;
        b.close();
    } else {
        TpConn c = co_await tp_connect(factory);
        transport = c.transport;
        proto = c.proto;
        c.peer.close();
    }
    for (int i = 0; i < 2000 && !proto->lost; ++i) {
        if (!transport->is_closing()) transport->write("data after the peer left\n");
        co_await asyncio::sleep(0.001);
    }
    const bool lost = co_await tp_wait_lost(proto);
    EXPECT_TRUE(lost);
    EXPECT_TRUE(proto->lost_exc);
    const int err = tp_errno_of(proto->lost_exc);
    EXPECT_TRUE(err == EPIPE || err == ECONNRESET) << tp_what(proto->lost_exc);
}

TEST(TpTransport, WriteToAClosedTcpPeerIsNoSigpipe) {
    TpSigpipeDefault dfl;
    tp_run_checked([] { return tp_write_to_closed_peer(false); });
}

TEST(TpTransport, WriteToAClosedUnixPeerIsNoSigpipe) {
    TpSigpipeDefault dfl;
    tp_run_checked([] { return tp_write_to_closed_peer(true); });
}

asyncio::Coro<> tp_write_eof_after_reset() {
    std::function<std::shared_ptr<TpRecorder>()> factory = [] {
        auto p = std::make_shared<TpRecorder>();
        p->keep_open_on_eof = true;
        return p;
    };
    TpConn c = co_await tp_connect(factory);
    c.transport->write(pattern_bytes(4 << 20));  // buffered, then the peer resets
    const linger lg{1, 0};
    ::setsockopt(c.peer.fileno(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    c.peer.close();
    const bool lost = co_await tp_wait_lost(c.proto);
    EXPECT_TRUE(lost);
    EXPECT_TRUE(c.proto->lost_exc);
    EXPECT_EQ(c.transport->get_write_buffer_size(), 0u);
}

TEST(TpTransport, PeerResetWithBufferedDataEndsTheConnection) {
    TpSigpipeDefault dfl;
    tp_run_checked(tp_write_eof_after_reset);
}

// ---- create_connection's errors and options

asyncio::Coro<> tp_connection_refused() {
    auto& loop = asyncio::get_running_loop();
    net::Socket bound(AF_INET, SOCK_STREAM);  // bound, not listening: the port refuses
    bound.bind({"127.0.0.1", 0});
    const net::Address where = bound.getsockname();
    std::string what;
    int err = 0;
    bool refused = false;
    try {
        co_await loop.create_connection(tp_make_recorder, "127.0.0.1", where.port);
    } catch (const concurrence::ConnectionRefusedError& e) {
        refused = true;
        what = e.what();
        err = e.errno_code();
    }
    EXPECT_TRUE(refused);
    EXPECT_EQ(err, ECONNREFUSED);
    EXPECT_NE(what.find("Connect call failed"), std::string::npos) << what;
    EXPECT_NE(what.find(where.repr()), std::string::npos) << what;
}

TEST(TpConnect, ConnectionRefused) { tp_run_checked(tp_connection_refused); }

asyncio::Coro<> tp_unknown_host() {
    auto& loop = asyncio::get_running_loop();
    std::string outcome = co_await outcome_of(loop.create_connection(tp_make_recorder, "no-such-host.invalid", 80));
    EXPECT_EQ(outcome.rfind("gaierror", 0), 0u) << outcome;
}

TEST(TpConnect, UnknownHostIsGaierror) { tp_run_checked(tp_unknown_host); }

asyncio::Coro<> tp_local_addr() {
    auto& loop = asyncio::get_running_loop();
    net::Socket lst = tp_small_listener();
    net::ConnectionOptions options;
    options.local_addr = net::Address{"127.0.0.2", 0};
    auto [transport, proto] =
        co_await loop.create_connection(tp_make_recorder, "127.0.0.1", lst.getsockname().port, std::move(options));
    auto [peer, addr] = co_await loop.sock_accept(lst);
    EXPECT_EQ(addr.host, "127.0.0.2");
    EXPECT_EQ(transport->get_extra_info<net::Address>("sockname"), addr);
    transport->close();
    co_await tp_wait_lost(proto);
}

TEST(TpConnect, LocalAddrIsBound) { tp_run_checked(tp_local_addr); }

asyncio::Coro<> tp_local_addr_in_use() {
    auto& loop = asyncio::get_running_loop();
    net::Socket lst = tp_small_listener();
    const int port = lst.getsockname().port;
    net::ConnectionOptions options;
    options.local_addr = net::Address{"127.0.0.1", port};  // the listener has it
    std::string what;
    int err = 0;
    try {
        co_await loop.create_connection(tp_make_recorder, "127.0.0.1", port, std::move(options));
    } catch (const OSError& e) {
        what = e.what();
        err = e.errno_code();
    }
    EXPECT_EQ(err, EADDRINUSE);
    const std::string expected =
        "error while attempting to bind on address ('127.0.0.1', " + std::to_string(port) + "): ";
    EXPECT_NE(what.find(expected), std::string::npos) << what;
    EXPECT_NE(what.find("address already in use"), std::string::npos) << what;
}

TEST(TpConnect, LocalAddrInUse) { tp_run_checked(tp_local_addr_in_use); }

asyncio::Coro<> tp_sock_with_host() {
    auto& loop = asyncio::get_running_loop();
    net::ConnectionOptions options;
    options.sock = net::Socket(AF_INET, SOCK_STREAM);
    std::string outcome = co_await outcome_of(loop.create_connection(tp_make_recorder, "127.0.0.1", 0, std::move(options)));
    EXPECT_EQ(outcome, "ValueError");
    net::ConnectionOptions options2;
    options2.sock = net::Socket(AF_INET, SOCK_STREAM);
    outcome = co_await outcome_of(loop.create_connection(tp_make_recorder, "", 80, std::move(options2)));
    EXPECT_EQ(outcome, "ValueError");
    outcome = co_await outcome_of(loop.create_unix_connection(tp_make_recorder, ""));
    EXPECT_EQ(outcome, "ValueError");
}

TEST(TpConnect, SockTogetherWithHostOrPortIsValueError) { tp_run_checked(tp_sock_with_host); }

asyncio::Coro<> tp_sock_option() {
    auto& loop = asyncio::get_running_loop();
    net::Socket lst = tp_small_listener();
    net::Socket raw(AF_INET, SOCK_STREAM);
    raw.connect(lst.getsockname());  // blocking and connected: the transport makes it non-blocking
    const int fd = raw.fileno();
    net::ConnectionOptions options;
    options.sock = std::move(raw);
    auto [transport, proto] = co_await loop.create_connection(tp_make_recorder, "", 0, std::move(options));
    EXPECT_EQ(transport->get_extra_info<int>("socket"), fd);
    EXPECT_TRUE(fd_is_nonblocking(fd));
    auto [peer, addr] = co_await loop.sock_accept(lst);
    transport->write("via sock=");
    std::string got = co_await tp_recv_exactly(peer, 9);
    EXPECT_EQ(got, "via sock=");
    transport->close();
    co_await tp_wait_lost(proto);
    EXPECT_FALSE(transport->get_extra_info<int>("socket"));
}

TEST(TpConnect, SockOptionUsesTheConnectedSocket) { tp_run_checked(tp_sock_option); }

asyncio::Coro<> tp_connect_by_name() {
    auto& loop = asyncio::get_running_loop();
    net::Socket lst = tp_small_listener();
    net::ConnectionOptions options;
    options.family = AF_INET;
    auto [transport, proto] =
        co_await loop.create_connection(tp_make_recorder, "localhost", lst.getsockname().port, std::move(options));
    EXPECT_EQ(transport->get_extra_info<net::Address>("peername"), lst.getsockname());
    transport->close();
    co_await tp_wait_lost(proto);
}

TEST(TpConnect, HostNameIsResolved) { tp_run_checked(tp_connect_by_name); }

asyncio::Coro<> tp_factory_throws_on_connect() {
    auto& loop = asyncio::get_running_loop();
    net::Socket lst = tp_small_listener();
    auto factory = []() -> std::shared_ptr<TpRecorder> { throw std::runtime_error("no protocol"); };
    std::string outcome = co_await outcome_of(loop.create_connection(factory, "127.0.0.1", lst.getsockname().port));
    EXPECT_EQ(outcome, "other: no protocol");
}

TEST(TpConnect, FactoryExceptionPropagatesAndLeaksNothing) { tp_run_checked(tp_factory_throws_on_connect); }

// ---- the loop closes with transports open

asyncio::Coro<> tp_leave_open(std::shared_ptr<std::weak_ptr<TpRecorder>> out) {
    TpConn c = co_await tp_connect();
    c.transport->write(pattern_bytes(4 << 20));  // something buffered too
    TpConn d = co_await tp_connect();
    *out = c.proto;
    // Neither closed: asyncio::run closes the loop with them open.
}

TEST(TpTransport, ClosingTheLoopWithOpenTransportsLeaksNothing) {
    const int fds_before = open_fd_count();
    auto out = std::make_shared<std::weak_ptr<TpRecorder>>();
    asyncio::run(tp_leave_open(out));
    EXPECT_EQ(open_fd_count(), fds_before);
    EXPECT_TRUE(out->expired());  // the loop let go of the protocols
}

// A protocol that keeps its transport (as Python code does, self.transport = transport).
struct TpHoldsTransport : TpRecorder {
    std::shared_ptr<asyncio::BaseTransport> held;
    void connection_made(asyncio::Transport& t) override {
        TpRecorder::connection_made(t);
        held = t.shared_from_this();
    }
};

asyncio::Coro<> tp_protocol_holds_transport(std::shared_ptr<std::weak_ptr<asyncio::BaseTransport>> out) {
    std::function<std::shared_ptr<TpRecorder>()> factory = [] { return std::make_shared<TpHoldsTransport>(); };
    TpConn c = co_await tp_connect(factory);
    *out = c.transport;
    c.transport->close();
    co_await tp_wait_lost(c.proto);
}

TEST(TpTransport, ProtocolHoldingItsTransportIsNoLeakAfterTheClose) {
    // The transport lets go of the protocol after connection_lost (Python's _protocol = None):
    // a protocol that kept its transport makes no cycle once the protocol itself is dropped.
    const int fds_before = open_fd_count();
    auto out = std::make_shared<std::weak_ptr<asyncio::BaseTransport>>();
    asyncio::run(tp_protocol_holds_transport(out));
    EXPECT_EQ(open_fd_count(), fds_before);
    EXPECT_TRUE(out->expired());
}

}  // namespace
