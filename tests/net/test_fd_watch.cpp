// EventLoop::add_reader / add_writer (CPython's test_selector_events.py and test_events.py
// reader/writer tests): level-triggered callbacks on a descriptor.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "net_support.hpp"

namespace {

using namespace net_tests;
using concurrence::OSError;

// A socketpair with both ends non-blocking.
std::pair<net::Socket, net::Socket> fdw_pair() {
    auto pair = net::socketpair();
    pair.first.setblocking(false);
    pair.second.setblocking(false);
    return pair;
}

TEST(FdWatch, ReaderRunsAtEveryIterationWhileReadable) {
    asyncio::EventLoop loop;
    auto [a, b] = fdw_pair();
    int calls = 0;
    loop.add_reader(b.fileno(), [&calls] { ++calls; });
    run_one_iteration(loop);
    EXPECT_EQ(calls, 0);  // nothing to read yet
    a.sendall("x");
    run_one_iteration(loop);
    EXPECT_EQ(calls, 1);
    run_one_iteration(loop);
    EXPECT_EQ(calls, 2);  // level-triggered: the data is still there
    EXPECT_EQ(b.recv(10), "x");
    run_one_iteration(loop);
    EXPECT_EQ(calls, 2);  // consumed: no longer readable
    EXPECT_TRUE(loop.remove_reader(b.fileno()));
}

TEST(FdWatch, RemoveReaderSaysWhetherOneWasRegistered) {
    asyncio::EventLoop loop;
    auto [a, b] = fdw_pair();
    EXPECT_FALSE(loop.remove_reader(b.fileno()));
    loop.add_reader(b.fileno(), [] {});
    EXPECT_FALSE(loop.remove_writer(b.fileno()));  // a reader only
    EXPECT_TRUE(loop.remove_reader(b.fileno()));
    EXPECT_FALSE(loop.remove_reader(b.fileno()));
    EXPECT_FALSE(loop.remove_reader(54321));  // never watched
    int calls = 0;
    loop.add_reader(b.fileno(), [&calls] { ++calls; });  // added again after the removal
    a.sendall("x");
    run_one_iteration(loop);
    EXPECT_EQ(calls, 1);
    EXPECT_TRUE(loop.remove_reader(b.fileno()));
}

TEST(FdWatch, RemovedReaderDoesNotRun) {
    asyncio::EventLoop loop;
    auto [a, b] = fdw_pair();
    int calls = 0;
    loop.add_reader(b.fileno(), [&calls] { ++calls; });
    a.sendall("x");
    EXPECT_TRUE(loop.remove_reader(b.fileno()));
    run_one_iteration(loop);
    run_one_iteration(loop);
    EXPECT_EQ(calls, 0);
}

TEST(FdWatch, AddingAgainReplacesTheCallbackAndDropsTheOldOne) {
    asyncio::EventLoop loop;
    auto [a, b] = fdw_pair();
    auto token = std::make_shared<int>(0);
    std::vector<std::string> log;
    loop.add_reader(b.fileno(), [token, &log] { log.push_back("first"); });
    EXPECT_EQ(token.use_count(), 2);
    loop.add_reader(b.fileno(), [&log] { log.push_back("second"); });
    EXPECT_EQ(token.use_count(), 1);  // the replaced callback is gone
    a.sendall("x");
    run_one_iteration(loop);
    EXPECT_EQ(log, std::vector<std::string>{"second"});
    EXPECT_TRUE(loop.remove_reader(b.fileno()));
    EXPECT_FALSE(loop.remove_reader(b.fileno()));  // one registration, not two
}

TEST(FdWatch, WriterOnAConnectedSocketFires) {
    asyncio::EventLoop loop;
    auto [a, b] = fdw_pair();
    int calls = 0;
    loop.add_writer(a.fileno(), [&calls] { ++calls; });
    run_one_iteration(loop);
    EXPECT_EQ(calls, 1);
    run_one_iteration(loop);
    EXPECT_EQ(calls, 2);  // still writable
    EXPECT_TRUE(loop.remove_writer(a.fileno()));
    EXPECT_FALSE(loop.remove_writer(a.fileno()));
    run_one_iteration(loop);
    EXPECT_EQ(calls, 2);
}

TEST(FdWatch, WriterWaitsWhileTheBufferIsFull) {
    asyncio::EventLoop loop;
    auto [a, b] = fdw_pair();
    const std::string chunk(1 << 16, 'f');
    try {
        for (;;) a.send(chunk);
    } catch (const concurrence::BlockingIOError&) {
    }
    int calls = 0;
    loop.add_writer(a.fileno(), [&calls] { ++calls; });
    run_one_iteration(loop);
    EXPECT_EQ(calls, 0);  // full
    const std::string drained = drain_now(b);
    EXPECT_FALSE(drained.empty());
    run_one_iteration(loop);
    EXPECT_EQ(calls, 1);
    EXPECT_TRUE(loop.remove_writer(a.fileno()));
}

TEST(FdWatch, ReaderAndWriterOnOneDescriptor) {
    asyncio::EventLoop loop;
    auto [a, b] = fdw_pair();
    int reads = 0;
    int writes = 0;
    loop.add_reader(a.fileno(), [&reads] { ++reads; });
    loop.add_writer(a.fileno(), [&writes] { ++writes; });
    run_one_iteration(loop);
    EXPECT_EQ(reads, 0);
    EXPECT_EQ(writes, 1);
    EXPECT_TRUE(loop.remove_writer(a.fileno()));  // the reader stays
    b.sendall("x");
    run_one_iteration(loop);
    EXPECT_EQ(reads, 1);
    EXPECT_EQ(writes, 1);
    loop.add_writer(a.fileno(), [&writes] { ++writes; });
    EXPECT_TRUE(loop.remove_reader(a.fileno()));  // the writer stays
    run_one_iteration(loop);
    EXPECT_EQ(reads, 1);
    EXPECT_EQ(writes, 2);
    EXPECT_TRUE(loop.remove_writer(a.fileno()));
    EXPECT_FALSE(loop.remove_reader(a.fileno()));
}

TEST(FdWatch, CallbackMayRemoveItself) {
    asyncio::EventLoop loop;
    auto [a, b] = fdw_pair();
    int calls = 0;
    bool removed = false;
    const int fd = b.fileno();
    loop.add_reader(fd, [&loop, &calls, &removed, fd] {
        ++calls;
        removed = loop.remove_reader(fd);
    });
    a.sendall("unread");
    run_one_iteration(loop);
    run_one_iteration(loop);
    run_one_iteration(loop);
    EXPECT_EQ(calls, 1);
    EXPECT_TRUE(removed);
    EXPECT_FALSE(loop.remove_reader(fd));
}

TEST(FdWatch, CallbackMayReplaceItself) {
    asyncio::EventLoop loop;
    auto [a, b] = fdw_pair();
    std::vector<std::string> log;
    const int fd = b.fileno();
    loop.add_reader(fd, [&loop, &log, fd] {
        log.push_back("first");
        loop.add_reader(fd, [&log] { log.push_back("second"); });
    });
    a.sendall("unread");
    run_one_iteration(loop);
    run_one_iteration(loop);
    EXPECT_EQ(log, (std::vector<std::string>{"first", "second"}));
    EXPECT_TRUE(loop.remove_reader(fd));
}

TEST(FdWatch, ReaderRemovedAfterItWasScheduledDoesNotRun) {
    // Python: remove_reader cancels the handle, even one already in the ready queue.
    asyncio::EventLoop loop;
    auto [a, b] = fdw_pair();
    int calls = 0;
    const int fd = b.fileno();
    loop.add_reader(fd, [&calls] { ++calls; });
    a.sendall("x");
    bool removed = false;
    // Queued before the iteration polls: it runs after the poll scheduled the reader.
    loop.call_soon([&loop, &removed, fd] { removed = loop.remove_reader(fd); });
    run_one_iteration(loop);
    EXPECT_TRUE(removed);
    EXPECT_EQ(calls, 0);
}

TEST(FdWatch, HangupWakesTheReader) {
    asyncio::EventLoop loop;
    auto pair = fdw_pair();  // not a structured binding: clang 14 cannot capture one
    net::Socket& a = pair.first;
    net::Socket& b = pair.second;
    int calls = 0;
    std::string seen = "unset";
    loop.add_reader(b.fileno(), [&calls, &seen, &b] {
        ++calls;
        seen = b.recv(10);
    });
    run_one_iteration(loop);
    EXPECT_EQ(calls, 0);
    a.close();
    run_one_iteration(loop);
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(seen, "");  // EOF
    EXPECT_TRUE(loop.remove_reader(b.fileno()));
}

TEST(FdWatch, BadDescriptorIsEBADF) {
    asyncio::EventLoop loop;
    try {
        loop.add_reader(12345, [] {});
        ADD_FAILURE() << "added";
    } catch (const OSError& e) {
        EXPECT_EQ(e.errno_code(), EBADF);
        EXPECT_STREQ(e.what(), "[Errno 9] Bad file descriptor");
    }
    EXPECT_THROW(loop.add_writer(12345, [] {}), OSError);
    EXPECT_FALSE(loop.remove_reader(12345));  // nothing was left registered
    EXPECT_FALSE(loop.remove_writer(12345));
    // The loop still works.
    int calls = 0;
    loop.call_soon([&calls] { ++calls; });
    run_one_iteration(loop);
    EXPECT_EQ(calls, 1);
}

TEST(FdWatch, NegativeDescriptorIsValueError) {
    asyncio::EventLoop loop;
    EXPECT_THROW(loop.add_reader(-1, [] {}), concurrence::ValueError);
    EXPECT_THROW(loop.add_writer(-5, [] {}), concurrence::ValueError);
}

TEST(FdWatch, RegularFileIsPermissionError) {
    // epoll cannot watch a regular file: EPERM, Python's PermissionError (the selector loop
    // raises it too).
    asyncio::EventLoop loop;
    int fd = ::open("/etc/hostname", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {  // any regular file will do
        char templ[] = "/tmp/concurrence-regular-XXXXXX";
        fd = ::mkstemp(templ);
        ::unlink(templ);
    }
    ASSERT_GE(fd, 0);
    auto token = std::make_shared<int>(0);
    try {
        loop.add_reader(fd, [token] {});
        ADD_FAILURE() << "added";
    } catch (const concurrence::PermissionError& e) {
        EXPECT_EQ(e.errno_code(), EPERM);
    }
    EXPECT_EQ(token.use_count(), 1);  // the refused callback was not kept
    EXPECT_FALSE(loop.remove_reader(fd));
    ::close(fd);
}

TEST(FdWatch, AddReaderOnAClosedLoopIsRuntimeError) {
    asyncio::EventLoop loop;
    auto [a, b] = fdw_pair();
    loop.close();
    EXPECT_THROW(loop.add_reader(b.fileno(), [] {}), concurrence::RuntimeError);
    EXPECT_THROW(loop.add_writer(b.fileno(), [] {}), concurrence::RuntimeError);
}

TEST(FdWatch, CallbacksAreDroppedWhenTheLoopCloses) {
    auto token = std::make_shared<int>(0);
    auto [a, b] = fdw_pair();
    {
        asyncio::EventLoop loop;
        loop.add_reader(b.fileno(), [token] {});
        loop.add_writer(a.fileno(), [token] {});
        loop.add_reader(a.fileno(), [token] {});
        EXPECT_EQ(token.use_count(), 4);
        loop.close();
        EXPECT_EQ(token.use_count(), 1);
    }
    {
        asyncio::EventLoop loop;  // destroyed without close(): the destructor closes
        loop.add_reader(b.fileno(), [token] {});
        a.sendall("x");
        EXPECT_EQ(token.use_count(), 2);
    }
    EXPECT_EQ(token.use_count(), 1);
    // The descriptors were left alone.
    EXPECT_EQ(b.recv(10), "x");
}

// Unregisters a callback of the loop when destroyed (an object a callback owns, whose
// destructor cleans up after itself).
struct FdwUnwatchOnDestroy {
    // (A constructor: clang 14 has no parenthesised aggregate initialisation for make_shared.)
    FdwUnwatchOnDestroy(asyncio::EventLoop* loop_, int fd_, bool writer_, bool* result_)
        : loop(loop_), fd(fd_), writer(writer_), result(result_) {}
    FdwUnwatchOnDestroy(const FdwUnwatchOnDestroy&) = delete;
    FdwUnwatchOnDestroy& operator=(const FdwUnwatchOnDestroy&) = delete;
    asyncio::EventLoop* loop;
    int fd;
    bool writer;
    bool* result;
    ~FdwUnwatchOnDestroy() {
        const bool removed = writer ? loop->remove_writer(fd) : loop->remove_reader(fd);
        if (result) *result = removed;
    }
};

TEST(FdWatch, RemovingACallbackWhoseCaptureRemovesTheOtherDirection) {
    asyncio::EventLoop loop;
    auto [a, b] = fdw_pair();
    const int fd = a.fileno();
    bool inner_removed = false;
    loop.add_writer(fd, [] {});
    loop.add_reader(fd, [guard = std::make_shared<FdwUnwatchOnDestroy>(&loop, fd, true, &inner_removed)] {});
    EXPECT_TRUE(loop.remove_reader(fd));  // destroys the guard, which removes the writer
    EXPECT_TRUE(inner_removed);
    EXPECT_FALSE(loop.remove_writer(fd));
    EXPECT_FALSE(loop.remove_reader(fd));
    int calls = 0;
    loop.add_writer(fd, [&calls] { ++calls; });  // the descriptor can be watched afresh
    run_one_iteration(loop);
    EXPECT_EQ(calls, 1);
    EXPECT_TRUE(loop.remove_writer(fd));
}

TEST(FdWatch, ClosingTheLoopWithACallbackWhoseCaptureRemovesItself) {
    auto [a, b] = fdw_pair();
    bool inner_removed = true;
    {
        asyncio::EventLoop loop;
        const int fd = b.fileno();
        loop.add_writer(fd, [] {});
        loop.add_reader(fd, [guard = std::make_shared<FdwUnwatchOnDestroy>(&loop, fd, false, &inner_removed)] {});
        loop.close();  // drops the callbacks: the guard finds nothing registered any more
    }
    EXPECT_FALSE(inner_removed);
}

TEST(FdWatch, ExceptionInAReaderGoesToTheHandlerAndTheLoopContinues) {
    asyncio::EventLoop loop;
    std::vector<std::string> messages;
    std::vector<std::string> whats;
    loop.set_exception_handler([&](asyncio::EventLoop&, const asyncio::ExceptionContext& context) {
        messages.push_back(context.message);
        try {
            std::rethrow_exception(context.exception);
        } catch (const std::exception& e) {
            whats.push_back(e.what());
        }
    });
    auto [a, b] = fdw_pair();
    const int fd = b.fileno();
    int reader_calls = 0;
    loop.add_reader(fd, [&loop, &reader_calls, fd] {
        ++reader_calls;
        loop.remove_reader(fd);
        throw std::runtime_error("reader failed");
    });
    int writer_calls = 0;
    loop.add_writer(a.fileno(), [&writer_calls] {
        ++writer_calls;
        throw std::runtime_error("writer failed");
    });
    a.sendall("x");
    run_one_iteration(loop);
    run_one_iteration(loop);
    EXPECT_EQ(reader_calls, 1);
    EXPECT_EQ(writer_calls, 2);  // still registered: level-triggered, it fails again
    ASSERT_EQ(messages.size(), 3u);
    EXPECT_EQ(messages[0], "Exception in callback");
    EXPECT_EQ(whats.size(), 3u);
    int reader_reports = 0;
    for (const std::string& w : whats) reader_reports += w == "reader failed";
    EXPECT_EQ(reader_reports, 1);
    EXPECT_TRUE(loop.remove_writer(a.fileno()));
    bool later = false;
    loop.call_soon([&later] { later = true; });
    run_one_iteration(loop);
    EXPECT_TRUE(later);
}

TEST(FdWatch, ReaderWakesATaskInRunUntilComplete) {
    auto [a, b] = fdw_pair();
    asyncio::EventLoop loop;
    auto got = loop.run_until_complete([](net::Socket& x, net::Socket& y) -> asyncio::Coro<std::string> {
        auto& l = asyncio::get_running_loop();
        auto fut = l.create_future<std::string>();
        l.add_reader(y.fileno(), [&l, &y, fut]() mutable {
            l.remove_reader(y.fileno());
            fut.set_result(y.recv(100));
        });
        l.call_soon([&x] { x.sendall("woken"); });
        co_return co_await fut;
    }(a, b));
    EXPECT_EQ(got, "woken");
    EXPECT_FALSE(loop.remove_reader(b.fileno()));
    loop.close();
}

}  // namespace
