// loop.connect_read_pipe / connect_write_pipe (CPython's test_unix_events.py
// UnixReadPipeTransportTests and UnixWritePipeTransportTests, and test_events.py's
// test_read_pipe, test_write_pipe, test_write_pipe_disconnect_on_close, test_read_pty_output).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

#include "tp_support.hpp"

namespace {

using namespace tp_support;
using concurrence::NotImplementedError;
using concurrence::ValueError;

bool pipe_fd_is_open(int fd) { return ::fcntl(fd, F_GETFD) >= 0; }

// Python's test_read_pipe: data, then the writer's close is eof_received and connection_lost.
asyncio::Coro<> pipe_reads_until_the_writer_closes() {
    auto& loop = asyncio::get_running_loop();
    TpPipe p;
    const int fd = p.read;
    auto [transport, proto] = co_await loop.connect_read_pipe(tp_make_recorder, p.give_read());
    EXPECT_EQ(proto->events, (std::vector<std::string>{"made"}));
    EXPECT_EQ(proto->transport, transport.get());
    EXPECT_TRUE(transport->is_reading());
    EXPECT_FALSE(transport->can_write_eof());
    EXPECT_EQ(transport->get_extra_info<int>("pipe"), fd);
    EXPECT_FALSE(transport->get_extra_info<int>("socket"));
    EXPECT_EQ(::fcntl(fd, F_GETFL) & O_NONBLOCK, O_NONBLOCK);

    EXPECT_EQ(::write(p.write, "1", 1), 1);
    const bool one = co_await tp_wait_received(proto, 1);
    EXPECT_TRUE(one);
    EXPECT_EQ(::write(p.write, "2345", 4), 4);
    const bool five = co_await tp_wait_received(proto, 5);
    EXPECT_TRUE(five);
    EXPECT_EQ(proto->received, "12345");
    EXPECT_FALSE(proto->lost);

    p.close_write();
    const bool lost = co_await tp_wait_lost(proto);
    EXPECT_TRUE(lost);
    EXPECT_EQ(proto->events, (std::vector<std::string>{"made", "data", "eof", "lost"}));
    EXPECT_FALSE(proto->lost_exc);
    EXPECT_TRUE(transport->is_closing());
    EXPECT_FALSE(pipe_fd_is_open(fd));  // the transport closed its descriptor
    EXPECT_FALSE(transport->get_extra_info<int>("pipe"));
}

TEST(PipeTransport, ReadsUntilTheWriterCloses) { tp_run_checked(pipe_reads_until_the_writer_closes); }

// Python's test_write_pipe, with more than a pipe holds: the transport buffers what the pipe
// refuses, pauses the protocol over the high-water mark, and close() delivers every byte
// before the end. The other end is a read pipe transport on the same loop.
asyncio::Coro<> pipe_writes_everything_then_closes() {
    auto& loop = asyncio::get_running_loop();
    TpPipe p;
    auto [reader, reader_proto] = co_await loop.connect_read_pipe(tp_make_recorder, p.give_read());
    auto [writer, writer_proto] = co_await loop.connect_write_pipe(tp_make_recorder, p.give_write());
    EXPECT_EQ(writer_proto->events, (std::vector<std::string>{"made"}));
    EXPECT_TRUE(writer->can_write_eof());
    EXPECT_FALSE(writer->is_reading());

    std::string sent;
    for (int i = 0; i < 1024; ++i) sent += std::string(1024, static_cast<char>('a' + i % 26));
    writer->write(sent);  // 1 MiB: far more than the pipe's 64 KiB
    EXPECT_GT(writer->get_write_buffer_size(), 0u);
    EXPECT_EQ(writer_proto->pauses, 1);
    writer->close();
    EXPECT_TRUE(writer->is_closing());
    writer->write("dropped: written after close()");

    const bool got = co_await tp_wait_lost(reader_proto);
    EXPECT_TRUE(got);
    EXPECT_EQ(reader_proto->received.size(), sent.size());
    EXPECT_TRUE(reader_proto->received == sent);
    EXPECT_EQ(writer_proto->resumes, 1);
    const bool writer_lost = co_await tp_wait_lost(writer_proto);
    EXPECT_TRUE(writer_lost);
    EXPECT_FALSE(writer_proto->lost_exc);
    EXPECT_EQ(writer->get_write_buffer_size(), 0u);
}

TEST(PipeTransport, WritesEverythingBeforeClosing) { tp_run_checked(pipe_writes_everything_then_closes); }

// Python's test_write_pipe_disconnect_on_close: the reader closing its end ends the write
// transport, cleanly when nothing was buffered, ...
asyncio::Coro<> pipe_reader_gone_with_nothing_buffered() {
    auto& loop = asyncio::get_running_loop();
    TpPipe p;
    auto [writer, proto] = co_await loop.connect_write_pipe(tp_make_recorder, p.give_write());
    writer->write("some");
    EXPECT_EQ(writer->get_write_buffer_size(), 0u);
    p.close_read();
    const bool lost = co_await tp_wait_lost(proto);
    EXPECT_TRUE(lost);
    EXPECT_FALSE(proto->lost_exc);
    writer->write("after the end");  // dropped, no error
}

TEST(PipeTransport, ReaderGoneWithNothingBufferedIsACleanEnd) { tp_run_checked(pipe_reader_gone_with_nothing_buffered); }

// ... and with BrokenPipeError when data was still waiting (the pipe full).
asyncio::Coro<> pipe_reader_gone_with_data_buffered() {
    auto& loop = asyncio::get_running_loop();
    auto log = tp_capture_handler(loop);
    TpPipe p;
    auto [writer, proto] = co_await loop.connect_write_pipe(tp_make_recorder, p.give_write());
    writer->write(std::string(256 * 1024, 'x'));
    EXPECT_GT(writer->get_write_buffer_size(), 0u);
    p.close_read();
    const bool lost = co_await tp_wait_lost(proto);
    EXPECT_TRUE(lost);
    EXPECT_TRUE(concurrence::exception_is<concurrence::BrokenPipeError>(proto->lost_exc));
    EXPECT_EQ(writer->get_write_buffer_size(), 0u);
    EXPECT_TRUE(log->messages.empty());  // an OSError: not the program's error
}

TEST(PipeTransport, ReaderGoneWithDataBufferedIsABrokenPipe) { tp_run_checked(pipe_reader_gone_with_data_buffered); }

// write_eof() on a write pipe is close(): the buffer is flushed, then the end.
asyncio::Coro<> pipe_write_eof_is_close() {
    auto& loop = asyncio::get_running_loop();
    TpPipe p;
    auto [reader, reader_proto] = co_await loop.connect_read_pipe(tp_make_recorder, p.give_read());
    auto [writer, writer_proto] = co_await loop.connect_write_pipe(tp_make_recorder, p.give_write());
    writer->write("last words");
    writer->write_eof();
    EXPECT_TRUE(writer->is_closing());
    const bool lost = co_await tp_wait_lost(reader_proto);
    EXPECT_TRUE(lost);
    EXPECT_EQ(reader_proto->received, "last words");
    EXPECT_TRUE(writer_proto->lost);
}

TEST(PipeTransport, WriteEofOnAWritePipeIsClose) { tp_run_checked(pipe_write_eof_is_close); }

// abort() drops what is buffered: the reader gets only what the pipe took.
asyncio::Coro<> pipe_abort_drops_the_buffer() {
    auto& loop = asyncio::get_running_loop();
    TpPipe p;
    auto [writer, proto] = co_await loop.connect_write_pipe(tp_make_recorder, p.give_write());
    writer->write(std::string(256 * 1024, 'y'));
    const std::size_t buffered = writer->get_write_buffer_size();
    EXPECT_GT(buffered, 0u);
    writer->abort();
    EXPECT_EQ(writer->get_write_buffer_size(), 0u);
    const bool lost = co_await tp_wait_lost(proto);
    EXPECT_TRUE(lost);
    EXPECT_FALSE(proto->lost_exc);
    std::string got;
    char chunk[65536];
    for (ssize_t n; (n = ::read(p.read, chunk, sizeof chunk)) > 0;) got.append(chunk, static_cast<std::size_t>(n));
    EXPECT_EQ(got.size(), 256 * 1024 - buffered);
}

TEST(PipeTransport, AbortDropsTheBuffer) { tp_run_checked(pipe_abort_drops_the_buffer); }

// Paused, a read pipe reads nothing (the data waits in the pipe); resumed, it gets it all.
asyncio::Coro<> pipe_pause_and_resume_reading() {
    auto& loop = asyncio::get_running_loop();
    TpPipe p;
    auto [transport, proto] = co_await loop.connect_read_pipe(tp_make_recorder, p.give_read());
    transport->pause_reading();
    EXPECT_FALSE(transport->is_reading());
    EXPECT_EQ(::write(p.write, "held", 4), 4);
    p.close_write();
    co_await tp_spin();
    EXPECT_EQ(proto->received, "");
    EXPECT_FALSE(proto->lost);
    transport->resume_reading();
    EXPECT_TRUE(transport->is_reading());
    const bool lost = co_await tp_wait_lost(proto);
    EXPECT_TRUE(lost);
    EXPECT_EQ(proto->received, "held");
    EXPECT_EQ(proto->events, (std::vector<std::string>{"made", "data", "eof", "lost"}));
}

TEST(PipeTransport, PauseAndResumeReading) { tp_run_checked(pipe_pause_and_resume_reading); }

// Python's checks, and the half an end does not have.
asyncio::Coro<> pipe_bad_arguments() {
    auto& loop = asyncio::get_running_loop();
    char path[] = "/tmp/concurrence-pipe-XXXXXX";
    const int file = ::mkstemp(path);
    EXPECT_GE(file, 0);
    ::unlink(path);
    std::string read_error, write_error;
    try {
        co_await loop.connect_read_pipe(tp_make_recorder, file);
    } catch (const ValueError& e) {
        read_error = e.what();
    }
    try {
        co_await loop.connect_write_pipe(tp_make_recorder, file);
    } catch (const ValueError& e) {
        write_error = e.what();
    }
    EXPECT_EQ(read_error, "Pipe transport is for pipes/sockets only.");
    EXPECT_EQ(write_error, "Pipe transport is only for pipes, sockets and character devices");
    EXPECT_TRUE(pipe_fd_is_open(file));  // still the caller's
    ::close(file);

    bool bad_fd = false;
    try {
        co_await loop.connect_read_pipe(tp_make_recorder, file);  // closed now
    } catch (const concurrence::OSError& e) {
        bad_fd = e.errno_code() == EBADF;
    }
    EXPECT_TRUE(bad_fd);

    TpPipe p;
    auto [reader, reader_proto] = co_await loop.connect_read_pipe(tp_make_recorder, p.give_read());
    auto [writer, writer_proto] = co_await loop.connect_write_pipe(tp_make_recorder, p.give_write());
    EXPECT_THROW(reader->write("x"), NotImplementedError);
    EXPECT_THROW(reader->write_eof(), NotImplementedError);
    EXPECT_THROW(writer->pause_reading(), NotImplementedError);
    EXPECT_THROW(writer->resume_reading(), NotImplementedError);
    EXPECT_EQ(reader->get_write_buffer_size(), 0u);
    reader->close();
    writer->close();
    const bool lost = co_await tp_wait_lost(reader_proto);
    EXPECT_TRUE(lost);
    const bool writer_lost = co_await tp_wait_lost(writer_proto);
    EXPECT_TRUE(writer_lost);
}

TEST(PipeTransport, BadArgumentsAndTheMissingHalf) { tp_run_checked(pipe_bad_arguments); }

// Cancelled before connection_made has run: the transport is closed with its descriptor
// (the writer sees the reader gone).
asyncio::Coro<> pipe_cancelled_before_made() {
    auto& loop = asyncio::get_running_loop();
    TpPipe p;
    const int fd = p.read;
    auto task = asyncio::create_task(loop.connect_read_pipe(tp_make_recorder, p.give_read()));
    co_await asyncio::sleep(0);
    EXPECT_FALSE(task.done());
    const bool cancelled = co_await tp_cancel_and_wait(std::move(task));
    EXPECT_TRUE(cancelled);
    co_await tp_spin();
    EXPECT_FALSE(pipe_fd_is_open(fd));
}

TEST(PipeTransport, CancelledBeforeConnectionMadeClosesTheDescriptor) { tp_run_checked(pipe_cancelled_before_made); }

// A protocol whose data_received throws: the loop's exception handler hears of it and the
// transport goes on reading (Python's pipe transport does not catch it either).
class PipeThrowingOnce : public TpRecorder {
public:
    bool thrown = false;
    void data_received(std::string_view data) override {
        TpRecorder::data_received(data);
        if (!std::exchange(thrown, true)) throw std::runtime_error("protocol bug");
    }
};

asyncio::Coro<> pipe_data_received_throws() {
    auto& loop = asyncio::get_running_loop();
    auto log = tp_capture_handler(loop);
    TpPipe p;
    auto [transport, proto] =
        co_await loop.connect_read_pipe([] { return std::make_shared<PipeThrowingOnce>(); }, p.give_read());
    EXPECT_EQ(::write(p.write, "a", 1), 1);
    const bool first = co_await tp_wait_received(proto, 1);
    EXPECT_TRUE(first);
    EXPECT_EQ(log->messages, (std::vector<std::string>{"Exception in callback Protocol.data_received()"}));
    EXPECT_FALSE(transport->is_closing());
    EXPECT_EQ(::write(p.write, "b", 1), 1);
    p.close_write();
    const bool lost = co_await tp_wait_lost(proto);
    EXPECT_TRUE(lost);
    EXPECT_EQ(proto->received, "ab");
}

TEST(PipeTransport, DataReceivedThrowingIsReportedAndReadingGoesOn) { tp_run_checked(pipe_data_received_throws); }

// A socket is a pipe too (Python accepts them).
asyncio::Coro<> pipe_over_a_socket() {
    auto& loop = asyncio::get_running_loop();
    auto [ours, theirs] = net::socketpair();
    auto [transport, proto] = co_await loop.connect_read_pipe(tp_make_recorder, ours.detach());
    theirs.sendall("over a socket");
    theirs.close();
    const bool lost = co_await tp_wait_lost(proto);
    EXPECT_TRUE(lost);
    EXPECT_EQ(proto->received, "over a socket");
}

TEST(PipeTransport, ASocketServesAsAPipe) { tp_run_checked(pipe_over_a_socket); }

// A terminal: in canonical mode each read() hands out one line, so three lines typed at once
// are three reads, the last two with no new readiness from the kernel.
struct PipePty {
    int master = -1;
    int slave = -1;
    PipePty() {
        master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        EXPECT_GE(master, 0);
        EXPECT_EQ(::grantpt(master), 0);
        EXPECT_EQ(::unlockpt(master), 0);
        slave = ::open(::ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
        EXPECT_GE(slave, 0);
    }
    PipePty(const PipePty&) = delete;
    PipePty& operator=(const PipePty&) = delete;
    ~PipePty() {
        if (master >= 0) ::close(master);
        if (slave >= 0) ::close(slave);
    }
};

asyncio::Coro<> pipe_terminal_lines() {
    auto& loop = asyncio::get_running_loop();
    PipePty pty;
    auto [transport, proto] = co_await loop.connect_read_pipe(tp_make_recorder, std::exchange(pty.slave, -1));
    EXPECT_EQ(::write(pty.master, "one\ntwo\nthree\n", 14), 14);
    const bool got = co_await tp_wait_received(proto, 14);
    EXPECT_TRUE(got);
    EXPECT_EQ(proto->received, "one\ntwo\nthree\n");
    EXPECT_EQ(proto->data_calls, 3);
    transport->close();
    const bool lost = co_await tp_wait_lost(proto);
    EXPECT_TRUE(lost);
}

TEST(PipeTransport, TerminalLinesTypedAtOnceAreAllRead) { tp_run_checked(pipe_terminal_lines); }

// Python's test_read_pty_output: the terminal's master side read as a pipe; when the slave
// closes, read() fails with EIO, which ends the transport without a report to the handler.
asyncio::Coro<> pipe_terminal_output_then_eio() {
    auto& loop = asyncio::get_running_loop();
    auto log = tp_capture_handler(loop);
    PipePty pty;
    auto [transport, proto] = co_await loop.connect_read_pipe(tp_make_recorder, std::exchange(pty.master, -1));
    EXPECT_EQ(::write(pty.slave, "out", 3), 3);
    const bool got = co_await tp_wait_received(proto, 3);
    EXPECT_TRUE(got);
    EXPECT_EQ(proto->received, "out");
    ::close(std::exchange(pty.slave, -1));
    const bool lost = co_await tp_wait_lost(proto);
    EXPECT_TRUE(lost);
    bool eio = false;
    try {
        if (proto->lost_exc) std::rethrow_exception(proto->lost_exc);
    } catch (const concurrence::OSError& e) {
        eio = e.errno_code() == EIO;
    }
    EXPECT_TRUE(eio);
    EXPECT_TRUE(log->messages.empty());
}

TEST(PipeTransport, TerminalMasterEndsWithEioUnreported) { tp_run_checked(pipe_terminal_output_then_eio); }

// The loop closing with pipe transports open: their descriptors are closed, nothing leaks.
asyncio::Coro<> pipe_left_open_at_loop_close() {
    auto& loop = asyncio::get_running_loop();
    TpPipe p;
    auto [reader, reader_proto] = co_await loop.connect_read_pipe(tp_make_recorder, p.give_read());
    auto [writer, writer_proto] = co_await loop.connect_write_pipe(tp_make_recorder, p.give_write());
    writer->write(std::string(128 * 1024, 'z'));  // some of it buffered
    co_await asyncio::sleep(0);
}

TEST(PipeTransport, LeftOpenWhenTheLoopClosesLeaksNothing) { tp_run_checked(pipe_left_open_at_loop_close); }

}  // namespace
