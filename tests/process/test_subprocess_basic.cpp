// create_subprocess_exec / create_subprocess_shell and Process: output, input, exit codes, the
// stdio choices and the options (CPython's test_asyncio/test_subprocess.py, ported).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>

#include "process_support.hpp"

namespace {

using namespace process_tests;
using subprocess::PIPE;

TEST(Subprocess, ExecReadsStdout) {
    auto main = []() -> asyncio::Coro<std::pair<std::string, int>> {
        auto proc =
            co_await asyncio::create_subprocess_exec("echo", "hello", "world", subprocess::Options{.stdout = PIPE});
        std::string out = co_await proc.stdout->read();
        int rc = co_await proc.wait();
        co_return std::pair{out, rc};
    };
    auto [out, rc] = asyncio::run(main());
    EXPECT_EQ(out, "hello world\n");
    EXPECT_EQ(rc, 0);
}

TEST(Subprocess, VariadicArgumentsAndTrailingOptions) {
    auto main = []() -> asyncio::Coro<std::string> {
        auto plain = co_await asyncio::create_subprocess_exec("true", "ignored", std::string("args"));
        co_await plain.wait();
        auto proc =
            co_await asyncio::create_subprocess_exec("printf", "%s-%s", "a", "b", subprocess::Options{.stdout = PIPE});
        auto [out, err] = co_await proc.communicate();
        co_return *out;
    };
    EXPECT_EQ(asyncio::run(main()), "a-b");
}

TEST(Subprocess, ShellExitCode) {
    auto main = []() -> asyncio::Coro<int> {
        auto proc = co_await asyncio::create_subprocess_shell("exit 3");
        co_return co_await proc.wait();
    };
    EXPECT_EQ(asyncio::run(main()), 3);
}

TEST(Subprocess, ReturncodeIsEmptyUntilReaped) {
    auto main = []() -> asyncio::Coro<void> {
        auto proc = co_await asyncio::create_subprocess_exec("sh", "-c", "read line || true",
                                                             subprocess::Options{.stdin = PIPE});
        EXPECT_FALSE(proc.returncode().has_value());
        EXPECT_GT(proc.pid, 0);
        proc.stdin->close();
        EXPECT_EQ(co_await proc.wait(), 0);
        EXPECT_EQ(proc.returncode(), 0);
        EXPECT_EQ(co_await proc.wait(), 0);  // again: at once
    };
    asyncio::run(main());
}

TEST(Subprocess, CommunicateWithInput) {
    auto main = []() -> asyncio::Coro<void> {
        auto proc = co_await asyncio::create_subprocess_exec("cat", subprocess::Options{.stdin = PIPE, .stdout = PIPE});
        auto [out, err] = co_await proc.communicate("some data\n");
        EXPECT_EQ(out, "some data\n");
        EXPECT_FALSE(err.has_value());
        EXPECT_EQ(proc.returncode(), 0);
    };
    asyncio::run(main());
}

TEST(Subprocess, CommunicateWithoutPipesGivesNothing) {
    auto main = []() -> asyncio::Coro<void> {
        auto proc = co_await asyncio::create_subprocess_exec("true");
        auto [out, err] = co_await proc.communicate("ignored: stdin is not a pipe");
        EXPECT_FALSE(out.has_value());
        EXPECT_FALSE(err.has_value());
        EXPECT_EQ(proc.returncode(), 0);
    };
    asyncio::run(main());
}

// Megabytes each way at once: a pipe holds 64 KiB to 200 KiB, so a reader that does not read
// stdout and stderr together with the writing deadlocks.
TEST(Subprocess, CommunicateLargeStdoutAndStderrAtOnce) {
    auto main = []() -> asyncio::Coro<void> {
        auto proc = co_await asyncio::create_subprocess_shell(
            "head -c 3000000 /dev/zero; head -c 2000000 /dev/zero >&2; head -c "
            "1000000 /dev/zero",
            {.stdout = PIPE, .stderr = PIPE});
        auto [out, err] = co_await proc.communicate();
        EXPECT_EQ(out->size(), 4000000u);
        EXPECT_EQ(err->size(), 2000000u);
        EXPECT_EQ(proc.returncode(), 0);
    };
    asyncio::run(main());
}

TEST(Subprocess, CommunicateLargeInputThroughCat) {
    auto main = []() -> asyncio::Coro<void> {
        std::string input;
        for (int i = 0; input.size() < 5'000'000; ++i) input += std::to_string(i) + "\n";
        auto proc = co_await asyncio::create_subprocess_exec("cat", subprocess::Options{.stdin = PIPE, .stdout = PIPE});
        auto [out, err] = co_await proc.communicate(input);
        EXPECT_TRUE(*out == input);
        EXPECT_EQ(proc.returncode(), 0);
    };
    asyncio::run(main());
}

// The child stops reading after 10 bytes: communicate() ignores the broken pipe.
TEST(Subprocess, StdinClosedEarlyByTheChild) {
    auto main = []() -> asyncio::Coro<void> {
        auto proc = co_await asyncio::create_subprocess_exec("head", "-c", "10",
                                                             subprocess::Options{.stdin = PIPE, .stdout = PIPE});
        auto [out, err] = co_await proc.communicate(std::string(4'000'000, 'x'));
        EXPECT_EQ(out, std::string(10, 'x'));
        EXPECT_EQ(proc.returncode(), 0);
    };
    asyncio::run(main());
}

TEST(Subprocess, WriteAndDrainAfterTheChildExitedFail) {
    auto main = []() -> asyncio::Coro<void> {
        auto proc = co_await asyncio::create_subprocess_exec("true", subprocess::Options{.stdin = PIPE});
        co_await proc.wait();
        std::exception_ptr error;
        try {
            for (int i = 0; i < 100; ++i) {  // until the transport has seen the other end go
                proc.stdin->write(std::string(100'000, 'y'));
                co_await proc.stdin->drain();
                co_await asyncio::sleep(0.01);
            }
        } catch (const concurrence::ConnectionError&) {
            error = std::current_exception();
        }
        EXPECT_TRUE(error);
    };
    asyncio::run(main());
}

TEST(Subprocess, LineByLine) {
    auto main = []() -> asyncio::Coro<std::vector<std::string>> {
        auto proc = co_await asyncio::create_subprocess_exec("printf", "one\\ntwo\\nthree",
                                                             subprocess::Options{.stdout = PIPE});
        std::vector<std::string> lines;
        while (auto line = co_await proc.stdout->next()) lines.push_back(*line);
        co_await proc.wait();
        co_return lines;
    };
    EXPECT_THAT(asyncio::run(main()), ::testing::ElementsAre("one\n", "two\n", "three"));
}

TEST(Subprocess, StderrToStdout) {
    auto main = []() -> asyncio::Coro<void> {
        auto proc = co_await asyncio::create_subprocess_shell("echo out; echo err >&2",
                                                              {.stdout = PIPE, .stderr = subprocess::STDOUT});
        EXPECT_FALSE(proc.stderr.has_value());
        auto [out, err] = co_await proc.communicate();
        EXPECT_EQ(out, "out\nerr\n");
        EXPECT_FALSE(err.has_value());
    };
    asyncio::run(main());
}

TEST(Subprocess, Devnull) {
    auto main = []() -> asyncio::Coro<void> {
        auto proc = co_await asyncio::create_subprocess_shell(
            "cat; echo done", {.stdin = subprocess::DEVNULL, .stdout = PIPE, .stderr = subprocess::DEVNULL});
        EXPECT_FALSE(proc.stdin.has_value());
        auto [out, err] = co_await proc.communicate();
        EXPECT_EQ(out, "done\n");  // cat read EOF at once from /dev/null
        auto quiet = co_await asyncio::create_subprocess_exec("echo", "lost",
                                                              subprocess::Options{.stdout = subprocess::DEVNULL});
        EXPECT_FALSE(quiet.stdout.has_value());
        EXPECT_EQ(co_await quiet.wait(), 0);
    };
    asyncio::run(main());
}

TEST(Subprocess, DescriptorAsStdin) {
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    ASSERT_EQ(::write(fds[1], "from a pipe\n", 12), 12);
    ::close(fds[1]);
    auto main = [](int in) -> asyncio::Coro<std::string> {
        auto proc = co_await asyncio::create_subprocess_exec("cat", subprocess::Options{.stdin = in, .stdout = PIPE});
        auto [out, err] = co_await proc.communicate();
        co_return *out;
    };
    EXPECT_EQ(asyncio::run(main(fds[0])), "from a pipe\n");
    ::close(fds[0]);
}

// A source descriptor below 3 (here our own stdin, made a pipe for the test) is copied out of
// the way before the child's 0, 1, 2 are set.
TEST(Subprocess, OurStdinAsTheChildsStdin) {
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    ASSERT_EQ(::write(fds[1], "via fd 0\n", 9), 9);
    ::close(fds[1]);
    const int saved = ::dup(0);
    ASSERT_GE(saved, 0);
    ASSERT_EQ(::dup2(fds[0], 0), 0);
    auto main = []() -> asyncio::Coro<std::string> {
        auto proc = co_await asyncio::create_subprocess_exec("cat", subprocess::Options{.stdin = 0, .stdout = PIPE});
        auto [out, err] = co_await proc.communicate();
        co_return *out;
    };
    const std::string out = asyncio::run(main());
    ::dup2(saved, 0);
    ::close(saved);
    ::close(fds[0]);
    EXPECT_EQ(out, "via fd 0\n");
}

TEST(Subprocess, StdoutForStdinIsAValueError) {
    auto main = []() -> asyncio::Coro<void> {
        co_await asyncio::create_subprocess_exec("true", subprocess::Options{.stdin = subprocess::STDOUT});
    };
    EXPECT_THROW(asyncio::run(main()), concurrence::ValueError);
}

TEST(Subprocess, NegativeDescriptorIsAValueError) {
    auto main = []() -> asyncio::Coro<void> {
        co_await asyncio::create_subprocess_exec("true", subprocess::Options{.stdout = -7});
    };
    EXPECT_THROW(asyncio::run(main()), concurrence::ValueError);
}

TEST(Subprocess, Cwd) {
    auto main = []() -> asyncio::Coro<std::string> {
        subprocess::Options options{.stdout = PIPE, .cwd = "/"};  // named: it holds a string (g++ 12)
        auto proc = co_await asyncio::create_subprocess_exec("pwd", std::move(options));
        auto [out, err] = co_await proc.communicate();
        co_return *out;
    };
    EXPECT_EQ(asyncio::run(main()), "/\n");
}

TEST(Subprocess, EnvIsTheWholeEnvironment) {
    auto main = []() -> asyncio::Coro<std::string> {
        // (g++ 12 rejects a braced list inside a co_await expression: the options are named.)
        subprocess::Options options{.stdout = PIPE, .env = {{{"ONLY", "this"}}}};
        auto proc = co_await asyncio::create_subprocess_exec("env", std::move(options));
        auto [out, err] = co_await proc.communicate();
        co_return *out;
    };
    EXPECT_EQ(asyncio::run(main()),
              "ONLY=this\n");  // found in os.defpath (/bin:/usr/bin)
}

TEST(Subprocess, EnvPathIsUsedToFindTheProgram) {
    auto main = []() -> asyncio::Coro<void> {
        subprocess::Options options{.env = {{{"PATH", "/nonexistent-dir"}}}};
        co_await asyncio::create_subprocess_exec("env", std::move(options));
    };
    EXPECT_THROW(asyncio::run(main()), concurrence::FileNotFoundError);
}

TEST(Subprocess, BadEnvironmentNameIsAValueError) {
    auto main = []() -> asyncio::Coro<void> {
        subprocess::Options options{.env = {{{"A=B", "c"}}}};
        co_await asyncio::create_subprocess_exec("true", std::move(options));
    };
    EXPECT_THROW(asyncio::run(main()), concurrence::ValueError);
}

TEST(Subprocess, ExecutableReplacesTheProgramButNotArgv0) {
    auto main = []() -> asyncio::Coro<std::string> {
        subprocess::Options options{.stdout = PIPE, .executable = "/bin/sh"};
        auto proc = co_await asyncio::create_subprocess_exec("my-name", "-c", "echo $0", std::move(options));
        auto [out, err] = co_await proc.communicate();
        co_return *out;
    };
    EXPECT_EQ(asyncio::run(main()), "my-name\n");
}

TEST(Subprocess, BadLimitIsAValueErrorBeforeSpawning) {
    auto main = []() -> asyncio::Coro<void> {
        co_await asyncio::create_subprocess_exec("true", subprocess::Options{.stdout = PIPE, .limit = 0});
    };
    EXPECT_THROW(asyncio::run(main()), concurrence::ValueError);
    EXPECT_FALSE(has_unreaped_children());
}

TEST(Subprocess, StartNewSession) {
    auto main = []() -> asyncio::Coro<void> {
        auto proc =
            co_await asyncio::create_subprocess_exec("sh", "-c", "ps -o sid= -p $$ 2>/dev/null || echo $$",
                                                     subprocess::Options{.stdout = PIPE, .start_new_session = true});
        auto [out, err] = co_await proc.communicate();
        EXPECT_EQ(std::stoi(*out), proc.pid);  // the leader of its own session
    };
    asyncio::run(main());
}

TEST(Subprocess, ProcessGroup) {
    auto main = []() -> asyncio::Coro<void> {
        auto proc = co_await asyncio::create_subprocess_exec("sleep", "30", subprocess::Options{.process_group = 0});
        EXPECT_EQ(::getpgid(proc.pid), proc.pid);
        proc.kill();
        EXPECT_EQ(co_await proc.wait(), -SIGKILL);
    };
    asyncio::run(main());
}

TEST(Subprocess, CopiesShareTheChild) {
    auto main = []() -> asyncio::Coro<void> {
        auto proc = co_await asyncio::create_subprocess_exec("sh", "-c", "exit 7");
        subprocess::Process copy = proc;
        EXPECT_EQ(co_await copy.wait(), 7);
        EXPECT_EQ(proc.returncode(), 7);
    };
    asyncio::run(main());
}

}  // namespace
