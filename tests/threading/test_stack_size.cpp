// threading::stack_size(): the stack size of the threads started afterwards, Python's checks.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pthread.h>

#include <cstddef>
#include <thread>

#include "concurrence/futures.hpp"
#include "concurrence/threading/thread.hpp"

namespace {

namespace threading = concurrence::threading;
using concurrence::ValueError;
using testing::StrEq;
using testing::ThrowsMessage;

// The stack size of the calling thread, as the OS made it.
std::size_t own_stack_size() {
    pthread_attr_t attributes;
    if (pthread_getattr_np(pthread_self(), &attributes) != 0) return 0;
    std::size_t size = 0;
    pthread_attr_getstacksize(&attributes, &size);
    pthread_attr_destroy(&attributes);
    return size;
}

std::size_t stack_size_of_a_started_thread() {
    std::size_t seen = 0;
    threading::Thread t([&seen] { seen = own_stack_size(); });
    t.start();
    t.join();
    return seen;
}

// The default stack (8 MiB with the usual `ulimit -s`) is far above the sizes set here. (The
// sanitizers add room of their own to every stack: sizes are compared with std::thread's.)
std::size_t default_stack_size() {
    std::size_t size = 0;
    std::thread([&] { size = own_stack_size(); }).join();
    return size;
}

// Puts the setting back to the default, whatever a test did.
struct StackSizeTest : testing::Test {
    ~StackSizeTest() override { threading::stack_size(0); }
};

constexpr std::size_t quarter_mib = 256 * 1024;

TEST_F(StackSizeTest, IsTheSystemDefaultUntilSet) {
    EXPECT_EQ(threading::stack_size(), 0u);
    EXPECT_EQ(stack_size_of_a_started_thread(), default_stack_size());
}

TEST_F(StackSizeTest, SetReturnsThePreviousValueAndAppliesToLaterThreads) {
    const std::size_t default_size = default_stack_size();
    ASSERT_GT(default_size, 4 * quarter_mib);
    EXPECT_EQ(threading::stack_size(quarter_mib), 0u);
    EXPECT_EQ(threading::stack_size(), quarter_mib);
    const std::size_t seen = stack_size_of_a_started_thread();
    EXPECT_GE(seen, quarter_mib);
    EXPECT_LT(seen, default_size);
    EXPECT_EQ(threading::stack_size(0), quarter_mib);
    EXPECT_EQ(stack_size_of_a_started_thread(), default_size);
}

TEST_F(StackSizeTest, AppliesToExecutorWorkers) {
    const std::size_t default_size = default_stack_size();
    threading::stack_size(quarter_mib);
    concurrence::futures::ThreadPoolExecutor pool(1);
    const std::size_t seen = pool.submit(own_stack_size).result();
    EXPECT_GE(seen, quarter_mib);
    EXPECT_LT(seen, default_size);
}

TEST_F(StackSizeTest, RejectsNegativeAndTooSmallSizesAndKeepsTheOldOne) {
    threading::stack_size(quarter_mib);
    EXPECT_THAT([] { threading::stack_size(-1); },
                ThrowsMessage<ValueError>(StrEq("size must be 0 or a positive value")));
    EXPECT_THAT([] { threading::stack_size(4096); }, ThrowsMessage<ValueError>(StrEq("size not valid: 4096 bytes")));
    EXPECT_THAT([] { threading::stack_size(32767); },
                ThrowsMessage<ValueError>(StrEq("size not valid: 32767 bytes")));
    EXPECT_EQ(threading::stack_size(), quarter_mib);
    EXPECT_EQ(threading::stack_size(32768), quarter_mib);  // CPython's minimum is accepted
}

}  // namespace
