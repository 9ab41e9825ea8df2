// Python's OSError and its subclasses (Objects/exceptions.c: the errno table; str(OSError)).
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeinfo>

#include "net_support.hpp"

namespace {

using concurrence::OSError;

// The exception os_error(code) holds, rethrown and caught as OSError: its dynamic type.
const std::type_info& os_error_type_of(int code) {
    try {
        std::rethrow_exception(concurrence::os_error(code));
    } catch (const OSError& e) {
        return typeid(e);
    }
    return typeid(void);
}

std::string os_error_what_of(int code) {
    try {
        std::rethrow_exception(concurrence::os_error(code));
    } catch (const OSError& e) {
        return e.what();
    }
    return {};
}

TEST(OSErrorBasics, WhatIsPythonsStr) {
    const OSError e(ECONNREFUSED);
    EXPECT_STREQ(e.what(), "[Errno 111] Connection refused");
    EXPECT_EQ(e.errno_code(), ECONNREFUSED);
    EXPECT_EQ(e.strerror(), "Connection refused");
}

TEST(OSErrorBasics, FilenameIsQuotedAfterTheMessage) {
    const OSError e(ENOENT, "missing.txt");
    EXPECT_STREQ(e.what(), "[Errno 2] No such file or directory: 'missing.txt'");
    EXPECT_EQ(e.errno_code(), ENOENT);
}

TEST(OSErrorBasics, MessageOnlyHasNoErrno) {
    const OSError e("AF_UNIX path too long");
    EXPECT_STREQ(e.what(), "AF_UNIX path too long");
    EXPECT_EQ(e.errno_code(), 0);
    EXPECT_EQ(e.strerror(), "");
}

TEST(OSErrorBasics, WholeMessageKeepsTheErrno) {
    const auto e = concurrence::os_error_with_message(ECONNREFUSED, "[Errno 111] Connect call failed ('127.0.0.1', 1)");
    try {
        std::rethrow_exception(e);
    } catch (const concurrence::ConnectionRefusedError& ex) {
        EXPECT_STREQ(ex.what(), "[Errno 111] Connect call failed ('127.0.0.1', 1)");
        EXPECT_EQ(ex.errno_code(), ECONNREFUSED);
        EXPECT_EQ(ex.strerror(), "Connection refused");
        return;
    } catch (...) {
    }
    ADD_FAILURE() << "not a ConnectionRefusedError";
}

TEST(OSErrorTable, ConnectionResetErrorForECONNRESET) {
    EXPECT_EQ(os_error_type_of(ECONNRESET), typeid(concurrence::ConnectionResetError));
    EXPECT_EQ(os_error_what_of(ECONNRESET), "[Errno 104] Connection reset by peer");
}

TEST(OSErrorTable, BrokenPipeErrorForEPIPEAndESHUTDOWN) {
    EXPECT_EQ(os_error_type_of(EPIPE), typeid(concurrence::BrokenPipeError));
    EXPECT_EQ(os_error_type_of(ESHUTDOWN), typeid(concurrence::BrokenPipeError));
    EXPECT_EQ(os_error_what_of(EPIPE), "[Errno 32] Broken pipe");
}

TEST(OSErrorTable, FileNotFoundErrorForENOENT) {
    EXPECT_EQ(os_error_type_of(ENOENT), typeid(concurrence::FileNotFoundError));
}

TEST(OSErrorTable, TimeoutErrorForETIMEDOUT) {
    EXPECT_EQ(os_error_type_of(ETIMEDOUT), typeid(concurrence::TimeoutError));
    EXPECT_EQ(os_error_what_of(ETIMEDOUT), "[Errno 110] Connection timed out");
}

TEST(OSErrorTable, BlockingIOErrorForEAGAINAndEINPROGRESS) {
    EXPECT_EQ(os_error_type_of(EAGAIN), typeid(concurrence::BlockingIOError));
    EXPECT_EQ(os_error_type_of(EWOULDBLOCK), typeid(concurrence::BlockingIOError));
    EXPECT_EQ(os_error_type_of(EINPROGRESS), typeid(concurrence::BlockingIOError));
    EXPECT_EQ(os_error_type_of(EALREADY), typeid(concurrence::BlockingIOError));
    EXPECT_EQ(os_error_what_of(EAGAIN), "[Errno 11] Resource temporarily unavailable");
}

TEST(OSErrorTable, TheRestOfPythonsErrnoMap) {
    EXPECT_EQ(os_error_type_of(ECONNREFUSED), typeid(concurrence::ConnectionRefusedError));
    EXPECT_EQ(os_error_type_of(ECONNABORTED), typeid(concurrence::ConnectionAbortedError));
    EXPECT_EQ(os_error_type_of(EEXIST), typeid(concurrence::FileExistsError));
    EXPECT_EQ(os_error_type_of(EINTR), typeid(concurrence::InterruptedError));
    EXPECT_EQ(os_error_type_of(EISDIR), typeid(concurrence::IsADirectoryError));
    EXPECT_EQ(os_error_type_of(ENOTDIR), typeid(concurrence::NotADirectoryError));
    EXPECT_EQ(os_error_type_of(EACCES), typeid(concurrence::PermissionError));
    EXPECT_EQ(os_error_type_of(EPERM), typeid(concurrence::PermissionError));
    EXPECT_EQ(os_error_type_of(ESRCH), typeid(concurrence::ProcessLookupError));
    EXPECT_EQ(os_error_type_of(ECHILD), typeid(concurrence::ChildProcessError));
}

TEST(OSErrorTable, OtherErrnosArePlainOSError) {
    EXPECT_EQ(os_error_type_of(EADDRINUSE), typeid(OSError));
    EXPECT_EQ(os_error_type_of(EBADF), typeid(OSError));
    EXPECT_EQ(os_error_type_of(ENOTSOCK), typeid(OSError));
    EXPECT_EQ(os_error_type_of(4242), typeid(OSError));
    EXPECT_EQ(os_error_what_of(4242), "[Errno 4242] Unknown error 4242");
}

TEST(OSErrorTable, OsErrorKeepsTheFilename) {
    try {
        concurrence::throw_os_error(ENOENT, "/no/such/file");
    } catch (const concurrence::FileNotFoundError& e) {
        EXPECT_STREQ(e.what(), "[Errno 2] No such file or directory: '/no/such/file'");
        EXPECT_EQ(e.errno_code(), ENOENT);
        return;
    } catch (...) {
    }
    ADD_FAILURE() << "throw_os_error(ENOENT) did not throw FileNotFoundError";
}

TEST(OSErrorHierarchy, CaughtByItsBaseClasses) {
    EXPECT_THROW(concurrence::throw_os_error(ECONNREFUSED), concurrence::ConnectionRefusedError);
    EXPECT_THROW(concurrence::throw_os_error(ECONNREFUSED), concurrence::ConnectionError);
    EXPECT_THROW(concurrence::throw_os_error(ECONNRESET), concurrence::ConnectionError);
    EXPECT_THROW(concurrence::throw_os_error(EPIPE), concurrence::ConnectionError);
    EXPECT_THROW(concurrence::throw_os_error(ECONNABORTED), concurrence::ConnectionError);
    EXPECT_THROW(concurrence::throw_os_error(ECONNRESET), OSError);
    EXPECT_THROW(concurrence::throw_os_error(ECONNRESET), std::runtime_error);
    EXPECT_THROW(concurrence::throw_os_error(ECONNRESET), std::exception);
}

TEST(OSErrorHierarchy, NotCaughtByASiblingClass) {
    bool wrong_handler = false;
    bool right_handler = false;
    try {
        concurrence::throw_os_error(ENOENT);
    } catch (const concurrence::ConnectionError&) {
        wrong_handler = true;
    } catch (const concurrence::PermissionError&) {
        wrong_handler = true;
    } catch (const OSError& e) {
        right_handler = e.errno_code() == ENOENT;
    }
    EXPECT_FALSE(wrong_handler);
    EXPECT_TRUE(right_handler);
}

TEST(OSErrorHierarchy, TimeoutErrorIsAnOSErrorAndAsyncioTimeoutError) {
    // asyncio.TimeoutError is the builtin TimeoutError (3.11), an OSError subclass.
    static_assert(std::is_same_v<concurrence::asyncio::TimeoutError, concurrence::TimeoutError>);
    EXPECT_THROW(throw concurrence::TimeoutError(), OSError);
    EXPECT_THROW(throw concurrence::TimeoutError(), concurrence::asyncio::TimeoutError);
    const concurrence::TimeoutError plain;
    EXPECT_EQ(plain.errno_code(), 0);
    EXPECT_STREQ(plain.what(), "");
    const concurrence::TimeoutError with_errno(ETIMEDOUT);
    EXPECT_EQ(with_errno.errno_code(), ETIMEDOUT);
    EXPECT_STREQ(with_errno.what(), "[Errno 110] Connection timed out");
}

TEST(OSErrorHierarchy, SubclassesKeepTheStandardMessage) {
    const concurrence::BrokenPipeError e(EPIPE);
    EXPECT_STREQ(e.what(), "[Errno 32] Broken pipe");
    EXPECT_EQ(e.errno_code(), EPIPE);
    const concurrence::PermissionError p(EACCES, "/root/secret");
    EXPECT_STREQ(p.what(), "[Errno 13] Permission denied: '/root/secret'");
}

}  // namespace
