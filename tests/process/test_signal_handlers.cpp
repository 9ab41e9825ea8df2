// loop.add_signal_handler / remove_signal_handler (CPython's test_unix_events signal cases,
// ported): the callback runs on the loop, never inside the handler; the process's action comes
// back when the last handler goes; SIGPIPE is never fatal.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "process_support.hpp"

namespace {

using namespace process_tests;

std::atomic<int> sh_program_handler_calls{0};
extern "C" void sh_program_handler(int) { sh_program_handler_calls.fetch_add(1); }

// The action the process has for sig now.
void (*sh_current_handler(int sig))(int) {
    struct sigaction now {};
    ::sigaction(sig, nullptr, &now);
    return now.sa_handler;
}

TEST(SignalHandlers, CallbackRunsOnTheLoopAfterTheSignal) {
    asyncio::EventLoop loop;
    int calls = 0;
    bool raised = false;
    std::thread::id ran_on;
    loop.add_signal_handler(SIGUSR1, [&] {
        ++calls;
        EXPECT_TRUE(raised);  // not inside raise(): the handler only marked it
        ran_on = std::this_thread::get_id();
        loop.stop();
    });
    loop.call_soon([&] {
        ::raise(SIGUSR1);
        raised = true;
    });
    loop.run_forever();
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(ran_on, std::this_thread::get_id());
    EXPECT_TRUE(loop.remove_signal_handler(SIGUSR1));
    loop.close();
}

TEST(SignalHandlers, SignalFromAnotherThreadWakesTheLoop) {
    asyncio::EventLoop loop;
    int calls = 0;
    loop.add_signal_handler(SIGUSR2, [&] {
        ++calls;
        loop.stop();
    });
    std::thread sender([] { ::kill(::getpid(), SIGUSR2); });
    loop.run_forever();  // blocked in the poller until the signal wakes it
    sender.join();
    EXPECT_EQ(calls, 1);
    loop.close();
}

TEST(SignalHandlers, SignalWhileTheLoopIsBusyIsHandledAfter) {
    asyncio::EventLoop loop;
    std::vector<std::string> order;
    loop.add_signal_handler(SIGUSR1, [&] {
        order.push_back("signal");
        loop.stop();
    });
    loop.call_soon([&] {
        std::thread sender([] { ::kill(::getpid(), SIGUSR1); });
        sender.join();  // delivered while this callback holds the loop
        order.push_back("busy callback done");
    });
    loop.run_forever();
    EXPECT_THAT(order, ::testing::ElementsAre("busy callback done", "signal"));
    loop.close();
}

TEST(SignalHandlers, AddingAgainReplaces) {
    asyncio::EventLoop loop;
    std::string which;
    loop.add_signal_handler(SIGUSR1, [&] { which += "first"; });
    loop.add_signal_handler(SIGUSR1, [&] {
        which += "second";
        loop.stop();
    });
    loop.call_soon([] { ::raise(SIGUSR1); });
    loop.run_forever();
    EXPECT_EQ(which, "second");
    loop.close();
}

TEST(SignalHandlers, RemoveReturnsWhetherOneWasThere) {
    asyncio::EventLoop loop;
    EXPECT_FALSE(loop.remove_signal_handler(SIGUSR1));
    loop.add_signal_handler(SIGUSR1, [] {});
    EXPECT_TRUE(loop.remove_signal_handler(SIGUSR1));
    EXPECT_FALSE(loop.remove_signal_handler(SIGUSR1));
    loop.close();
}

TEST(SignalHandlers, TheProgramsActionComesBackAfterRemove) {
    struct sigaction mine {
    }, before{};
    mine.sa_handler = sh_program_handler;
    sigemptyset(&mine.sa_mask);
    ::sigaction(SIGUSR1, &mine, &before);
    {
        asyncio::EventLoop loop;
        loop.add_signal_handler(SIGUSR1, [] {});
        EXPECT_NE(sh_current_handler(SIGUSR1), &sh_program_handler);
        loop.remove_signal_handler(SIGUSR1);
        EXPECT_EQ(sh_current_handler(SIGUSR1), &sh_program_handler);
        loop.add_signal_handler(SIGUSR1, [] {});
        loop.close();  // close removes it too
        EXPECT_EQ(sh_current_handler(SIGUSR1), &sh_program_handler);
    }
    ::sigaction(SIGUSR1, &before, nullptr);
}

TEST(SignalHandlers, AfterRemoveTheLoopIsNotCalled) {
    struct sigaction mine {
    }, before{};
    mine.sa_handler = sh_program_handler;
    sigemptyset(&mine.sa_mask);
    ::sigaction(SIGUSR2, &mine, &before);
    sh_program_handler_calls = 0;
    asyncio::EventLoop loop;
    int calls = 0;
    loop.add_signal_handler(SIGUSR2, [&] { ++calls; });
    loop.remove_signal_handler(SIGUSR2);
    ::raise(SIGUSR2);  // the program's own handler again
    loop.call_soon([&] { loop.stop(); });
    loop.run_forever();
    EXPECT_EQ(calls, 0);
    EXPECT_EQ(sh_program_handler_calls.load(), 1);
    loop.close();
    ::sigaction(SIGUSR2, &before, nullptr);
}

TEST(SignalHandlers, InvalidNumbersAreValueError) {
    asyncio::EventLoop loop;
    for (int sig : {0, -1, NSIG, 1000}) {
        try {
            loop.add_signal_handler(sig, [] {});
            ADD_FAILURE() << sig;
        } catch (const concurrence::ValueError& e) {
            EXPECT_EQ(std::string(e.what()), "invalid signal number " + std::to_string(sig));
        }
        EXPECT_THROW(loop.remove_signal_handler(sig), concurrence::ValueError);
    }
    loop.close();
}

TEST(SignalHandlers, UncatchableSignalsAreRuntimeError) {
    asyncio::EventLoop loop;
    for (int sig : {SIGKILL, SIGSTOP}) {
        try {
            loop.add_signal_handler(sig, [] {});
            ADD_FAILURE() << sig;
        } catch (const concurrence::RuntimeError& e) {
            EXPECT_EQ(std::string(e.what()), "sig " + std::to_string(sig) + " cannot be caught");
        }
        EXPECT_FALSE(loop.remove_signal_handler(sig));
    }
    loop.close();
}

TEST(SignalHandlers, ClosedLoopIsRuntimeError) {
    asyncio::EventLoop loop;
    loop.close();
    EXPECT_THROW(loop.add_signal_handler(SIGUSR1, [] {}), concurrence::RuntimeError);
}

TEST(SignalHandlers, ExceptionGoesToTheExceptionHandler) {
    asyncio::EventLoop loop;
    std::string reported;
    loop.set_exception_handler([&](asyncio::EventLoop&, const asyncio::ExceptionContext& context) {
        try {
            std::rethrow_exception(context.exception);
        } catch (const std::exception& e) {
            reported = e.what();
        }
        loop.stop();
    });
    loop.add_signal_handler(SIGUSR1, [] { throw concurrence::ValueError("from the signal callback"); });
    loop.call_soon([] { ::raise(SIGUSR1); });
    loop.run_forever();
    EXPECT_EQ(reported, "from the signal callback");
    loop.close();
}

TEST(SignalHandlers, SignalsThatArriveTogetherMayMerge) {
    asyncio::EventLoop loop;
    int calls = 0;
    loop.add_signal_handler(SIGUSR1, [&] { ++calls; });
    for (int i = 0; i < 5; ++i) ::raise(SIGUSR1);
    loop.call_soon([&] { loop.call_soon([&] { loop.stop(); }); });
    loop.run_forever();
    EXPECT_GE(calls, 1);
    EXPECT_LE(calls, 5);
    loop.close();
}

TEST(SignalHandlers, TwoLoopsInTwoThreadsBothHear) {
    std::atomic<int> heard{0};
    std::atomic<int> ready{0};
    auto run_one = [&] {
        asyncio::EventLoop loop;
        loop.add_signal_handler(SIGUSR1, [&] {
            heard.fetch_add(1);
            loop.stop();
        });
        loop.call_soon([&] { ready.fetch_add(1); });
        loop.run_forever();
        loop.close();
    };
    std::thread a(run_one), b(run_one);
    while (ready.load() < 2) std::this_thread::yield();
    ::kill(::getpid(), SIGUSR1);
    a.join();
    b.join();
    EXPECT_EQ(heard.load(), 2);
    EXPECT_EQ(sh_current_handler(SIGUSR1), SIG_DFL);
}

TEST(SignalHandlers, InsideRunAndRestoredAfter) {
    auto main = []() -> asyncio::Coro<int> {
        auto& loop = asyncio::get_running_loop();
        asyncio::Event got;
        int calls = 0;
        loop.add_signal_handler(SIGTERM, [&] {
            ++calls;
            got.set();
        });
        ::raise(SIGTERM);
        co_await got.wait();
        co_return calls;
    };
    EXPECT_EQ(asyncio::run(main()), 1);
    EXPECT_EQ(sh_current_handler(SIGTERM),
              SIG_DFL);  // the loop's close put it back
}

// SIGINT: a program's own handler replaces the Runner's Ctrl-C (the main task is not
// cancelled), as in Python.
TEST(SignalHandlers, SigintHandlerOfTheProgramInsteadOfCancellation) {
    auto main = []() -> asyncio::Coro<std::string> {
        auto& loop = asyncio::get_running_loop();
        asyncio::Event got;
        loop.add_signal_handler(SIGINT, [&] { got.set(); });
        ::raise(SIGINT);
        co_await got.wait();
        co_return "handled, not cancelled";
    };
    EXPECT_EQ(asyncio::run(main()), "handled, not cancelled");
    EXPECT_EQ(sh_current_handler(SIGINT), SIG_DFL);
}

// Python ignores SIGPIPE: writing to a pipe nobody reads is EPIPE, not death.
TEST(SignalHandlers, SigpipeIsIgnoredOnceALoopExists) {
    asyncio::EventLoop loop;
    EXPECT_EQ(sh_current_handler(SIGPIPE), SIG_IGN);
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    ::close(fds[0]);
    EXPECT_EQ(::write(fds[1], "x", 1), -1);
    EXPECT_EQ(errno, EPIPE);
    ::close(fds[1]);
    loop.close();
}

// The SIGTERM shutdown pattern of the examples: a handler sets an event the program waits on.
TEST(SignalHandlers, GracefulShutdownOnSigterm) {
    auto main = []() -> asyncio::Coro<std::vector<std::string>> {
        auto& loop = asyncio::get_running_loop();
        std::vector<std::string> log;
        asyncio::Event stop;
        loop.add_signal_handler(SIGTERM, [&] { stop.set(); });
        auto worker = asyncio::create_task([](std::vector<std::string>& out) -> asyncio::Coro<void> {
            try {
                for (;;) co_await asyncio::sleep(0.001);
            } catch (const asyncio::CancelledError&) {
                out.push_back("worker cancelled");
                throw;
            }
        }(log));
        std::thread sender([] { ::kill(::getpid(), SIGTERM); });
        co_await stop.wait();
        sender.join();
        log.push_back("stopping");
        worker.cancel();
        try {
            co_await worker;
        } catch (const asyncio::CancelledError&) {
        }
        log.push_back("stopped");
        co_return log;
    };
    EXPECT_THAT(asyncio::run(main()), ::testing::ElementsAre("stopping", "worker cancelled", "stopped"));
}

}  // namespace
