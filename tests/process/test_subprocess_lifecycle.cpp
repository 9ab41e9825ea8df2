// Spawn errors, signals to children, cancellation, and the bookkeeping that must hold after:
// every child reaped exactly once, no descriptor left open, no zombie after asyncio::run.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "process_support.hpp"

namespace {

using namespace process_tests;
using subprocess::PIPE;

std::exception_ptr lc_spawn_error(std::string program, subprocess::Options options = {}) {
    auto main = [](std::string p, subprocess::Options o) -> asyncio::Coro<void> {
        co_await asyncio::create_subprocess_exec(std::move(p), std::move(o));
    };
    try {
        asyncio::run(main(std::move(program), std::move(options)));
    } catch (...) {
        return std::current_exception();
    }
    return nullptr;
}

TEST(SubprocessErrors, MissingProgramIsFileNotFoundInTheCaller) {
    const int fds = open_fd_count();
    auto e = lc_spawn_error("no-such-program-concurrence");
    EXPECT_EQ(message_of<concurrence::FileNotFoundError>(e),
              "[Errno 2] No such file or directory: 'no-such-program-concurrence'");
    EXPECT_EQ(open_fd_count(), fds);
    EXPECT_FALSE(has_unreaped_children());  // the failed child was reaped
}

TEST(SubprocessErrors, MissingPathIsFileNotFound) {
    auto e = lc_spawn_error("/no/such/dir/prog");
    EXPECT_EQ(message_of<concurrence::FileNotFoundError>(e),
              "[Errno 2] No such file or directory: '/no/such/dir/prog'");
}

TEST(SubprocessErrors, NotExecutableIsPermissionError) {
    // (root too: execve wants an x bit somewhere.)
    char path[] = "/tmp/concurrence-noexec-XXXXXX";
    const int fd = ::mkstemp(path);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, "#!/bin/sh\necho hi\n", 18), 18);
    ::close(fd);
    ::chmod(path, 0644);
    auto e = lc_spawn_error(path);
    EXPECT_EQ(message_of<concurrence::PermissionError>(e), std::string("[Errno 13] Permission denied: '") + path + "'");
    ::unlink(path);
}

TEST(SubprocessErrors, DirectoryIsPermissionError) {
    auto e = lc_spawn_error("/tmp");
    EXPECT_EQ(message_of<concurrence::PermissionError>(e), "[Errno 13] Permission denied: '/tmp'");
}

TEST(SubprocessErrors, BadCwdNamesTheCwd) {
    auto e = lc_spawn_error("true", {.cwd = "/no/such/cwd"});
    EXPECT_EQ(message_of<concurrence::FileNotFoundError>(e), "[Errno 2] No such file or directory: '/no/such/cwd'");
    EXPECT_FALSE(has_unreaped_children());
}

TEST(SubprocessErrors, PipesAreClosedWhenTheSpawnFails) {
    const int fds = open_fd_count();
    auto e = lc_spawn_error("no-such-program-concurrence", {.stdin = PIPE, .stdout = PIPE, .stderr = PIPE});
    EXPECT_TRUE(e);
    EXPECT_EQ(open_fd_count(), fds);
}

TEST(SubprocessErrors, ShellNotFound) {
    auto main = []() -> asyncio::Coro<void> {
        subprocess::Options options{.executable = "/no/sh"};
        co_await asyncio::create_subprocess_shell("true", std::move(options));
    };
    try {
        asyncio::run(main());
        ADD_FAILURE() << "no exception";
    } catch (const concurrence::FileNotFoundError& e) {
        EXPECT_STREQ(e.what(), "[Errno 2] No such file or directory: '/no/sh'");
    }
}

TEST(SubprocessErrors, ExitCodeOfAShellCommandNotFound) {
    auto main = []() -> asyncio::Coro<int> {
        auto proc = co_await asyncio::create_subprocess_shell("no-such-program-concurrence 2>/dev/null");
        co_return co_await proc.wait();
    };
    EXPECT_EQ(asyncio::run(main()), 127);
}

TEST(SubprocessSignals, KillGivesMinusSigkill) {
    auto main = []() -> asyncio::Coro<int> {
        auto proc = co_await asyncio::create_subprocess_exec("sleep", "30");
        proc.kill();
        co_return co_await proc.wait();
    };
    EXPECT_EQ(asyncio::run(main()), -SIGKILL);
}

TEST(SubprocessSignals, TerminateGivesMinusSigterm) {
    auto main = []() -> asyncio::Coro<int> {
        auto proc = co_await asyncio::create_subprocess_exec("sleep", "30");
        proc.terminate();
        co_return co_await proc.wait();
    };
    EXPECT_EQ(asyncio::run(main()), -SIGTERM);
}

TEST(SubprocessSignals, SendSignalHandledByTheChild) {
    auto main = []() -> asyncio::Coro<void> {
        auto proc = co_await asyncio::create_subprocess_exec(
            "sh", "-c",
            "trap 'echo got-hup; exit 4' HUP; echo ready; while :; do sleep 0.05; "
            "done",
            subprocess::Options{.stdout = PIPE});
        EXPECT_EQ(co_await proc.stdout->readline(), "ready\n");
        proc.send_signal(SIGHUP);
        EXPECT_EQ(co_await proc.stdout->readline(), "got-hup\n");
        EXPECT_EQ(co_await proc.wait(), 4);
    };
    asyncio::run(main());
}

TEST(SubprocessSignals, SignalAfterReapIsProcessLookupError) {
    auto main = []() -> asyncio::Coro<void> {
        auto proc = co_await asyncio::create_subprocess_exec("true");
        co_await proc.wait();
        EXPECT_THROW(proc.kill(), concurrence::ProcessLookupError);
        EXPECT_THROW(proc.send_signal(SIGTERM), concurrence::ProcessLookupError);
    };
    asyncio::run(main());
}

TEST(SubprocessSignals, InvalidSignalIsOSError) {
    auto main = []() -> asyncio::Coro<void> {
        auto proc = co_await asyncio::create_subprocess_exec("sleep", "30");
        EXPECT_THROW(proc.send_signal(12345), concurrence::OSError);
        proc.kill();
        co_await proc.wait();
    };
    asyncio::run(main());
}

// The child starts with SIGPIPE's default action (this process ignores it) and no blocked
// signals (Python's restore_signals).
TEST(SubprocessSignals, ChildHasDefaultSignalState) {
    auto main = []() -> asyncio::Coro<std::string> {
        auto proc = co_await asyncio::create_subprocess_exec("grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status",
                                                             subprocess::Options{.stdout = PIPE});
        auto [out, err] = co_await proc.communicate();
        co_return *out;
    };
    sigset_t block, previous;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    ::pthread_sigmask(SIG_BLOCK, &block, &previous);
    const std::string status = asyncio::run(main());
    ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    EXPECT_THAT(status, ::testing::HasSubstr("SigBlk:\t0000000000000000"));
    const auto ign = status.find("SigIgn:\t");
    ASSERT_NE(ign, std::string::npos);
    const unsigned long long ignored = std::stoull(status.substr(ign + 8, 16), nullptr, 16);
    EXPECT_EQ(ignored & (1ull << (SIGPIPE - 1)), 0u) << status;
}

// A descriptor this process opened without close-on-exec is not the child's unless passed.
TEST(SubprocessFds, OnlyPassFdsAreInherited) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);  // deliberately inheritable
    auto main = [](int w) -> asyncio::Coro<std::pair<int, int>> {
        const std::string cmd = "echo passed >&" + std::to_string(w);
        auto not_passed = co_await asyncio::create_subprocess_shell(cmd + " 2>/dev/null");
        const int rc1 = co_await not_passed.wait();
        subprocess::Options passing{.pass_fds = {w}};
        auto passed = co_await asyncio::create_subprocess_shell(cmd, std::move(passing));
        const int rc2 = co_await passed.wait();
        co_return std::pair{rc1, rc2};
    };
    auto [rc_not_passed, rc_passed] = asyncio::run(main(fds[1]));
    EXPECT_NE(rc_not_passed, 0);
    EXPECT_EQ(rc_passed, 0);
    ::close(fds[1]);
    char buf[32] = {};
    EXPECT_EQ(::read(fds[0], buf, sizeof buf), 7);
    EXPECT_STREQ(buf, "passed\n");
    ::close(fds[0]);
}

TEST(SubprocessFds, NoDescriptorLeaks) {
    const int fds = open_fd_count();
    auto main = []() -> asyncio::Coro<void> {
        for (int i = 0; i < 20; ++i) {
            auto proc = co_await asyncio::create_subprocess_exec(
                "cat", subprocess::Options{.stdin = PIPE, .stdout = PIPE, .stderr = PIPE});
            auto [out, err] = co_await proc.communicate("x");
            EXPECT_EQ(out, "x");
        }
        auto abandoned =
            co_await asyncio::create_subprocess_exec("cat", subprocess::Options{.stdin = PIPE, .stdout = PIPE});
        (void)abandoned;
    };
    asyncio::run(main());
    EXPECT_EQ(open_fd_count(), fds);
    EXPECT_FALSE(has_unreaped_children());
}

TEST(SubprocessMany, ManyConcurrentChildren) {
    const int fds = open_fd_count();
    auto one = [](int i) -> asyncio::Coro<int> {
        auto proc = co_await asyncio::create_subprocess_shell(
            "echo " + std::to_string(i) + "; exit " + std::to_string(i % 7), {.stdout = PIPE});
        auto [out, err] = co_await proc.communicate();
        EXPECT_EQ(*out, std::to_string(i) + "\n");
        co_return *proc.returncode();
    };
    auto main = [&one]() -> asyncio::Coro<std::vector<int>> {
        std::vector<asyncio::Coro<int>> all;
        for (int i = 0; i < 60; ++i) all.push_back(one(i));
        co_return co_await asyncio::gather(std::move(all));
    };
    const std::vector<int> codes = asyncio::run(main());
    ASSERT_EQ(codes.size(), 60u);
    for (int i = 0; i < 60; ++i) EXPECT_EQ(codes[static_cast<std::size_t>(i)], i % 7);
    EXPECT_EQ(open_fd_count(), fds);
    EXPECT_FALSE(has_unreaped_children());
}

TEST(SubprocessMany, TwoWaitersGetTheSameCode) {
    auto main = []() -> asyncio::Coro<void> {
        auto proc = co_await asyncio::create_subprocess_shell("sleep 0.05; exit 9");
        auto a = proc.wait();
        auto b = proc.wait();
        auto [x, y] = co_await asyncio::gather(std::move(a), std::move(b));
        EXPECT_EQ(x, 9);
        EXPECT_EQ(y, 9);
    };
    asyncio::run(main());
}

// Python: cancelling wait() leaves the process running; it can be waited for again.
TEST(SubprocessCancel, CancelledWaitLeavesTheChildRunning) {
    auto main = []() -> asyncio::Coro<void> {
        auto proc = co_await asyncio::create_subprocess_exec("sleep", "30");
        auto waiting = asyncio::create_task(proc.wait());
        co_await asyncio::sleep(0.01);
        waiting.cancel();
        EXPECT_THROW(co_await waiting, asyncio::CancelledError);
        EXPECT_FALSE(proc.returncode().has_value());
        EXPECT_TRUE(pid_exists(proc.pid));
        proc.kill();
        EXPECT_EQ(co_await proc.wait(), -SIGKILL);
    };
    asyncio::run(main());
}

TEST(SubprocessCancel, WaitForTimeoutThenWaitAgain) {
    auto main = []() -> asyncio::Coro<void> {
        auto proc =
            co_await asyncio::create_subprocess_exec("sh", "-c", "read x; exit 5", subprocess::Options{.stdin = PIPE});
        EXPECT_THROW(co_await asyncio::wait_for(proc.wait(), 0.02), asyncio::TimeoutError);
        proc.stdin->write("go\n");
        EXPECT_EQ(co_await proc.wait(), 5);
    };
    asyncio::run(main());
}

TEST(SubprocessCancel, CancelledCommunicateLeavesTheChildReapable) {
    auto main = []() -> asyncio::Coro<void> {
        auto proc = co_await asyncio::create_subprocess_exec("cat", subprocess::Options{.stdin = PIPE, .stdout = PIPE});
        auto talking = asyncio::create_task(proc.communicate(std::nullopt));
        co_await asyncio::sleep(0.01);  // stdin is closed by now; cat exits
        talking.cancel();
        try {
            co_await talking;
        } catch (const asyncio::CancelledError&) {
        }
        EXPECT_EQ(co_await proc.wait(), 0);
    };
    asyncio::run(main());
}

TEST(SubprocessCancel, CancelledWhileReadingStdout) {
    auto main = []() -> asyncio::Coro<void> {
        auto proc = co_await asyncio::create_subprocess_exec("sh", "-c", "read x; echo late",
                                                             subprocess::Options{.stdin = PIPE, .stdout = PIPE});
        auto reading = asyncio::create_task(proc.stdout->readline());
        co_await asyncio::sleep(0.01);
        reading.cancel();
        EXPECT_THROW(co_await reading, asyncio::CancelledError);
        proc.stdin->write("go\n");
        EXPECT_EQ(co_await proc.stdout->readline(),
                  "late\n");  // the stream is still usable
        EXPECT_EQ(co_await proc.wait(), 0);
    };
    asyncio::run(main());
}

// No zombie outlives asyncio::run: a child still running when its loop closes is killed and
// reaped (Python's collected transport kills it).
TEST(SubprocessLifetime, RunningChildIsKilledAndReapedAtLoopClose) {
    auto main = []() -> asyncio::Coro<int> {
        auto proc = co_await asyncio::create_subprocess_exec("sleep", "30");
        co_return proc.pid;
    };
    const int pid = asyncio::run(main());
    EXPECT_FALSE(pid_exists(pid));
    EXPECT_FALSE(has_unreaped_children());
}

// A Process dropped while its child runs: the loop still reaps the child when it ends.
TEST(SubprocessLifetime, DroppedHandleIsReapedWhenTheChildEnds) {
    auto main = []() -> asyncio::Coro<void> {
        int pid = 0;
        {
            auto proc = co_await asyncio::create_subprocess_exec("sh", "-c", "sleep 0.05");
            pid = proc.pid;
        }
        for (int i = 0; i < 1000 && pid_exists(pid); ++i) co_await asyncio::sleep(0.01);
        EXPECT_FALSE(pid_exists(pid));
    };
    asyncio::run(main());
    EXPECT_FALSE(has_unreaped_children());
}

// A child created in one asyncio::run and waited for in the next loop is not possible (the
// first loop's close killed it); a child created and waited in a plain EventLoop is.
TEST(SubprocessLifetime, WorksOnAnEventLoopOutsideRun) {
    asyncio::EventLoop loop;
    auto main = []() -> asyncio::Coro<int> {
        auto proc = co_await asyncio::create_subprocess_shell("exit 2");
        co_return co_await proc.wait();
    };
    EXPECT_EQ(loop.run_until_complete(main()), 2);
    loop.close();
}

}  // namespace
