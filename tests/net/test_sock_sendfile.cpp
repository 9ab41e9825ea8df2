// loop.sock_sendfile (CPython's test_sendfile.py SockSendfileMixin, in part): the system's
// sendfile, the fallback of reading and sending, the arguments Python refuses, and the file
// position left after what was sent, cancelled or not.
#include <gtest/gtest.h>

#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <string>

#include "net_support.hpp"
#include "tp_support.hpp"

namespace {

using namespace net_tests;
using tp_support::tp_cancel_and_wait;
using concurrence::OSError;
using concurrence::ValueError;
using concurrence::asyncio::SendfileNotAvailableError;

using TempFile = tp_support::TpTempFile;

// A connected pair: `sender` non-blocking for sock_sendfile, `receiver` for the test to read.
struct SendfilePair {
    net::Socket sender;
    net::Socket receiver;
};

SendfilePair sendfile_pair() {
    auto [a, b] = net::socketpair();
    a.setblocking(false);
    b.setblocking(false);
    return {std::move(a), std::move(b)};
}

// Reads until the peer closes.
asyncio::Coro<std::string> read_to_eof(net::Socket& sock) {
    auto& loop = asyncio::get_running_loop();
    std::string got;
    for (;;) {
        std::string piece = co_await loop.sock_recv(sock, 65536);
        if (piece.empty()) co_return got;
        got += piece;
    }
}

struct SendfileOutcome {
    std::size_t sent = 0;
    std::string received;
    std::exception_ptr error;
};

// Sends with sock_sendfile(offset, count, fallback), closes the sender, and reads it all.
asyncio::Coro<SendfileOutcome> send_and_read(SendfilePair& pair, int file, std::int64_t offset,
                                             std::optional<std::int64_t> count, bool fallback) {
    auto& loop = asyncio::get_running_loop();
    auto reading = asyncio::create_task(read_to_eof(pair.receiver));
    SendfileOutcome out;
    try {
        out.sent = co_await loop.sock_sendfile(pair.sender, file, offset, count, fallback);
    } catch (...) {
        out.error = std::current_exception();
    }
    pair.sender.close();
    out.received = co_await reading;
    co_return out;
}

// The message of a SendfileNotAvailableError, or "" for anything else.
std::string not_available_text(const std::exception_ptr& error) {
    try {
        if (error) std::rethrow_exception(error);
    } catch (const SendfileNotAvailableError& e) {
        return e.what();
    } catch (...) {
    }
    return "";
}

TEST(SockSendfile, SendsTheWholeFileAndLeavesThePositionAtItsEnd) {
    const std::string content = pattern_bytes(3 * 1024 * 1024 + 17);  // more than a socket buffer
    TempFile file(content);
    SendfilePair pair = sendfile_pair();
    const SendfileOutcome out = asyncio::run(send_and_read(pair, file.fd(), 0, std::nullopt, false));
    EXPECT_EQ(describe_outcome(out.error), "ok");
    EXPECT_EQ(out.sent, content.size());
    EXPECT_TRUE(out.received == content);
    EXPECT_EQ(file.position(), static_cast<std::int64_t>(content.size()));
}

TEST(SockSendfile, OffsetAndCount) {
    const std::string content = pattern_bytes(10000);
    TempFile file(content);
    SendfilePair pair = sendfile_pair();
    const SendfileOutcome out = asyncio::run(send_and_read(pair, file.fd(), 100, 1000, false));
    EXPECT_EQ(out.sent, 1000U);
    EXPECT_TRUE(out.received == content.substr(100, 1000));
    EXPECT_EQ(file.position(), 1100);
}

TEST(SockSendfile, CountPastTheEndSendsWhatThereIs) {
    const std::string content = pattern_bytes(5000);
    TempFile file(content);
    SendfilePair pair = sendfile_pair();
    const SendfileOutcome out = asyncio::run(send_and_read(pair, file.fd(), 4000, 100000, false));
    EXPECT_EQ(out.sent, 1000U);
    EXPECT_TRUE(out.received == content.substr(4000));
    EXPECT_EQ(file.position(), 5000);
}

TEST(SockSendfile, AnEmptyFileSendsNothing) {
    TempFile file("");
    SendfilePair pair = sendfile_pair();
    const SendfileOutcome out = asyncio::run(send_and_read(pair, file.fd(), 0, std::nullopt, false));
    EXPECT_EQ(describe_outcome(out.error), "ok");
    EXPECT_EQ(out.sent, 0U);
    EXPECT_EQ(out.received, "");
    EXPECT_EQ(file.position(), 0);
}

// sendfile(2) cannot read a pipe: the fallback reads it and sends what it read.
TEST(SockSendfile, APipeGoesThroughTheFallback) {
    int ends[2];
    ASSERT_EQ(::pipe(ends), 0);
    const std::string content = pattern_bytes(40000);
    ASSERT_EQ(::write(ends[1], content.data(), content.size()), static_cast<ssize_t>(content.size()));
    ::close(ends[1]);
    SendfilePair pair = sendfile_pair();
    const SendfileOutcome out = asyncio::run(send_and_read(pair, ends[0], 0, 30000, true));
    EXPECT_EQ(describe_outcome(out.error), "ok");
    EXPECT_EQ(out.sent, 30000U);
    EXPECT_TRUE(out.received == content.substr(0, 30000));
    ::close(ends[0]);
}

TEST(SockSendfile, WithoutFallbackAPipeIsSendfileNotAvailableError) {
    int ends[2];
    ASSERT_EQ(::pipe(ends), 0);
    ASSERT_EQ(::write(ends[1], "abc", 3), 3);
    SendfilePair pair = sendfile_pair();
    const SendfileOutcome out = asyncio::run(send_and_read(pair, ends[0], 0, 3, false));
    const std::string what = not_available_text(out.error);
    EXPECT_EQ(what, "os.sendfile call failed");
    EXPECT_EQ(out.received, "");
    ::close(ends[0]);
    ::close(ends[1]);
}

// A descriptor that is not open: not available natively, and the fallback's read fails.
TEST(SockSendfile, AClosedFileIsSendfileNotAvailableOrOSError) {
    const int closed_fd = -1;
    SendfilePair pair = sendfile_pair();
    const SendfileOutcome strict = asyncio::run(send_and_read(pair, closed_fd, 0, std::nullopt, false));
    const std::string what = not_available_text(strict.error);
    EXPECT_EQ(what, "not a regular file");
    SendfilePair again = sendfile_pair();
    const SendfileOutcome lenient = asyncio::run(send_and_read(again, closed_fd, 0, std::nullopt, true));
    EXPECT_EQ(describe_outcome(lenient.error), "OSError 9");
}

// Python's _check_sendfile_params, raised when awaited.
TEST(SockSendfile, BadArgumentsAreValueErrors) {
    TempFile file("data");
    auto outcome = [&](net::Socket& sock, std::int64_t offset, std::optional<std::int64_t> count) {
        return asyncio::run([](net::Socket& s, int f, std::int64_t o, std::optional<std::int64_t> c)
                                -> asyncio::Coro<std::string> {
            try {
                co_await asyncio::get_running_loop().sock_sendfile(s, f, o, c);
            } catch (const ValueError& e) {
                co_return e.what();
            }
            co_return "no error";
        }(sock, file.fd(), offset, count));
    };
    SendfilePair pair = sendfile_pair();
    EXPECT_EQ(outcome(pair.sender, 0, 0), "count must be a positive integer (got 0)");
    EXPECT_EQ(outcome(pair.sender, 0, -5), "count must be a positive integer (got -5)");
    EXPECT_EQ(outcome(pair.sender, -1, std::nullopt), "offset must be a non-negative integer (got -1)");
    net::Socket datagram(AF_INET, SOCK_DGRAM);
    datagram.setblocking(false);
    EXPECT_EQ(outcome(datagram, 0, std::nullopt), "only SOCK_STREAM type sockets are supported");
    net::Socket blocking(AF_INET, SOCK_STREAM);
    EXPECT_EQ(outcome(blocking, 0, std::nullopt), "the socket must be non-blocking");
    EXPECT_EQ(file.position(), 0);
}

// Cancelled while the socket is full: CancelledError, and the file's position is after the
// bytes that went out, so the peer reads exactly up to it.
TEST(SockSendfile, CancelledLeavesThePositionAfterWhatWasSent) {
    const std::string content = pattern_bytes(8 * 1024 * 1024);  // far more than the socket holds
    TempFile file(content);
    SendfilePair pair = sendfile_pair();
    const std::string received = asyncio::run([](SendfilePair& p, int f) -> asyncio::Coro<std::string> {
        auto& loop = asyncio::get_running_loop();
        auto sending = asyncio::create_task(loop.sock_sendfile(p.sender, f));
        // A few iterations: it sends until the socket is full, then waits for it to drain,
        // which never happens (nobody reads), however long this takes.
        for (int i = 0; i < 5; ++i) co_await asyncio::sleep(0.001);
        EXPECT_FALSE(sending.done());
        const bool cancelled = co_await tp_cancel_and_wait(std::move(sending));
        EXPECT_TRUE(cancelled);
        p.sender.close();
        co_return co_await read_to_eof(p.receiver);
    }(pair, file.fd()));
    EXPECT_GT(received.size(), 0U);
    EXPECT_LT(received.size(), content.size());
    EXPECT_EQ(file.position(), static_cast<std::int64_t>(received.size()));
    EXPECT_TRUE(received == content.substr(0, received.size()));
}

}  // namespace
