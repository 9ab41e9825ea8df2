// ssl.MemoryBIO: pending/read/write/eof as Python's (CPython's test_ssl.MemoryBIOTests).
#include <gtest/gtest.h>

#include <string>

#include "ssl_support.hpp"

namespace {

using namespace ssl_tests;

TEST(MemoryBIO, StartsEmptyAndNotAtEof) {
    ssl::MemoryBIO bio;
    EXPECT_EQ(bio.pending(), 0u);
    EXPECT_FALSE(bio.eof());
    EXPECT_EQ(bio.read(), "");
    EXPECT_EQ(bio.read(5), "");
    EXPECT_FALSE(bio.eof());
}

TEST(MemoryBIO, WriteReturnsSizeAndPendingCounts) {
    ssl::MemoryBIO bio;
    EXPECT_EQ(bio.write("abc"), 3u);
    EXPECT_EQ(bio.pending(), 3u);
    EXPECT_EQ(bio.write(""), 0u);
    EXPECT_EQ(bio.pending(), 3u);
    EXPECT_EQ(bio.write("de"), 2u);
    EXPECT_EQ(bio.pending(), 5u);
}

TEST(MemoryBIO, ReadNTakesAtMostNInOrder) {
    ssl::MemoryBIO bio;
    bio.write("abc");
    EXPECT_EQ(bio.read(2), "ab");
    EXPECT_EQ(bio.pending(), 1u);
    EXPECT_FALSE(bio.eof());
    EXPECT_EQ(bio.read(10), "c");  // more than there is: what there is
    EXPECT_EQ(bio.pending(), 0u);
    EXPECT_EQ(bio.read(10), "");
}

TEST(MemoryBIO, ReadZeroReadsNothing) {
    ssl::MemoryBIO bio;
    bio.write("xyz");
    EXPECT_EQ(bio.read(0), "");
    EXPECT_EQ(bio.pending(), 3u);
}

TEST(MemoryBIO, ReadWithoutNTakesEverything) {
    ssl::MemoryBIO bio;
    bio.write("foo");
    bio.write("bar");
    EXPECT_EQ(bio.read(), "foobar");
    EXPECT_EQ(bio.pending(), 0u);
}

TEST(MemoryBIO, BinaryDataIncludingNulBytes) {
    ssl::MemoryBIO bio;
    const std::string data("a\0b\xff\x00", 5);
    EXPECT_EQ(bio.write(data), 5u);
    EXPECT_EQ(bio.pending(), 5u);
    EXPECT_EQ(bio.read(), data);
}

TEST(MemoryBIO, LargeWriteReadBackInPieces) {
    ssl::MemoryBIO bio;
    std::string data;
    for (int i = 0; i < 300000; ++i) data += static_cast<char>('a' + i % 26);
    EXPECT_EQ(bio.write(data), data.size());
    EXPECT_EQ(bio.pending(), data.size());
    std::string back;
    while (bio.pending() > 0) back += bio.read(65536);
    EXPECT_EQ(back, data);
}

TEST(MemoryBIO, EofOnlyAfterWriteEofAndEverythingRead) {
    ssl::MemoryBIO bio;
    bio.write("abc");
    EXPECT_EQ(bio.read(2), "ab");
    EXPECT_FALSE(bio.eof());
    bio.write_eof();
    EXPECT_FALSE(bio.eof());  // "c" is still there
    EXPECT_EQ(bio.pending(), 1u);
    EXPECT_EQ(bio.read(), "c");
    EXPECT_TRUE(bio.eof());
    EXPECT_EQ(bio.read(), "");
    EXPECT_TRUE(bio.eof());
}

TEST(MemoryBIO, WriteEofOnEmptyBufferIsEofAtOnce) {
    ssl::MemoryBIO bio;
    bio.write_eof();
    EXPECT_TRUE(bio.eof());
    EXPECT_EQ(bio.read(5), "");
    bio.write_eof();  // twice is fine (Python too)
    EXPECT_TRUE(bio.eof());
}

TEST(MemoryBIO, WriteAfterWriteEofRaisesSSLError) {
    ssl::MemoryBIO bio;
    bio.write("ab");
    bio.write_eof();
    auto e = catch_as<ssl::SSLError>([&] { bio.write("x"); });
    ASSERT_TRUE(e);
    EXPECT_STREQ(e->what(), "cannot write() after write_eof()");
    EXPECT_EQ(e->errno_code(), 0);  // Python: SSLError("...") has errno None
    EXPECT_EQ(e->library(), "");
    EXPECT_EQ(e->reason(), "");
    // Nothing was added.
    EXPECT_EQ(bio.pending(), 2u);
    EXPECT_EQ(bio.read(), "ab");
    EXPECT_TRUE(bio.eof());
}

TEST(MemoryBIO, WriteAfterWriteEofIsAnOSErrorToo) {
    ssl::MemoryBIO bio;
    bio.write_eof();
    EXPECT_THROW(bio.write("x"), concurrence::OSError);
    EXPECT_THROW(bio.write(""), ssl::SSLError);  // even an empty write (Python checks first)
}

TEST(MemoryBIO, CopiesShareOneBuffer) {
    ssl::MemoryBIO a;
    ssl::MemoryBIO b = a;
    a.write("shared");
    EXPECT_EQ(b.pending(), 6u);
    EXPECT_EQ(&a.state(), &b.state());
    EXPECT_EQ(b.read(3), "sha");
    EXPECT_EQ(a.read(), "red");
    b.write_eof();
    EXPECT_TRUE(a.eof());
}

TEST(MemoryBIO, SeparateBuffersAreIndependent) {
    ssl::MemoryBIO a;
    ssl::MemoryBIO b;
    a.write("one");
    EXPECT_EQ(b.pending(), 0u);
    a.write_eof();
    EXPECT_FALSE(b.eof());
    EXPECT_NE(&a.state(), &b.state());
}

TEST(MemoryBIO, InterleavedWritesAndReads) {
    ssl::MemoryBIO bio;
    bio.write("12");
    EXPECT_EQ(bio.read(1), "1");
    bio.write("34");
    EXPECT_EQ(bio.pending(), 3u);
    EXPECT_EQ(bio.read(), "234");
    bio.write("5");
    EXPECT_EQ(bio.read(), "5");
}

}  // namespace
