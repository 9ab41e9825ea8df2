// Process exit and threads (Python's threading._shutdown): exit() waits for every non-daemon
// thread started through Thread that still runs, even one whose Thread object was leaked;
// daemon threads do not hold it; a thread started meanwhile is waited for too; a thread may
// call exit() itself; a forked child does not wait for its parent's threads. Ports the idea of
// CPython's Lib/test/test_threading.py ThreadTests/ThreadJoinOnShutdown
// (test_join_nondaemon_on_shutdown, test_1_join_on_shutdown, test_2_join_in_forked_process),
// with death tests in place of subprocesses.
//
// Each test runs in a child process (death_test_style "threadsafe": re-executed, so the child
// has no thread but the main one). The child writes to stderr with write(2) only, and an
// atexit handler registered before any thread starts writes "end\n": atexit handlers run in
// reverse order, so it runs after the library's wait. The regex then pins down the whole of
// stderr. An alarm turns a hang into a failure.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "concurrence/threading/event.hpp"
#include "concurrence/threading/local.hpp"
#include "concurrence/threading/thread.hpp"

namespace {

namespace threading = concurrence::threading;
using namespace std::chrono_literals;

// Unbuffered and async-signal-safe: nothing is lost or reordered at exit.
void say(const char* text) {
    const ssize_t written = ::write(STDERR_FILENO, text, std::strlen(text));
    (void)written;
}

void say_end() { say("end\n"); }

// Leaked on purpose: never deleted, so never joined by a destructor. Globals, so that
// LeakSanitizer sees them reachable.
threading::Thread* leaked[4] = {};
threading::Event* leaked_event = nullptr;

// The common start of every child: a safety net against hangs, then the "end" marker.
void child_setup() {
    alarm(20);
    std::atexit(say_end);
}

// Appends a sanitizer option to an environment variable for the death test's child, which is
// re-executed with this process's environment (no other thread runs while the death tests run:
// they run first), and puts the variable back afterwards. Harmless in the other builds.
class ChildOption {
public:
    ChildOption(const char* variable, const char* option) : variable_(variable) {
        const char* previous = std::getenv(variable);
        had_ = previous != nullptr;
        if (had_) saved_ = previous;
        const std::string value = (had_ ? saved_ + " " : std::string()) + option;
        setenv(variable, value.c_str(), 1);
    }
    ChildOption(const ChildOption&) = delete;
    ChildOption& operator=(const ChildOption&) = delete;
    ~ChildOption() {
        if (had_) {
            setenv(variable_, saved_.c_str(), 1);
        } else {
            unsetenv(variable_);
        }
    }

private:
    const char* variable_;
    bool had_ = false;
    std::string saved_;
};

// ThreadSanitizer sleeps 1 s at exit while other threads still run, unless told not to.
constexpr const char* tsan_quick_exit = "atexit_sleep_ms=0";

// The children of the tests that leak threads run without ThreadSanitizer's thread-leak
// report: a daemon thread is never joined, by design (a non-daemon one is joined at exit,
// which ExitWaitsUntilAThreadHasFullyEnded checks with the report on).
struct ChildWithoutThreadLeakReports {
    ChildOption leaks{"TSAN_OPTIONS", "report_thread_leaks=0"};
    ChildOption quick{"TSAN_OPTIONS", tsan_quick_exit};
};

// Waits up to `seconds` for the forked child `pid`; kills it if it is still there. True if it
// exited with code 0.
bool forked_child_exited(pid_t pid, int seconds) {
    int status = 0;
    for (int i = 0; i < seconds * 100; ++i) {
        if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) && WEXITSTATUS(status) == 0;
        std::this_thread::sleep_for(10ms);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return false;
}

TEST(ExitDeathTest, ExitWaitsForALeakedNonDaemonThread) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    const ChildWithoutThreadLeakReports no_leak_reports;
    EXPECT_EXIT(
        {
            child_setup();
            leaked[0] = new threading::Thread([] {
                std::this_thread::sleep_for(100ms);
                say("worker done\n");
            });
            leaked[0]->start();
            std::exit(0);
        },
        testing::ExitedWithCode(0), "^worker done\nend\n$");
}

TEST(ExitDeathTest, ExitDoesNotWaitForADaemonThread) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    const ChildOption quick_exit("TSAN_OPTIONS", tsan_quick_exit);
    // Were the daemon thread waited for, its marker would come out, 5 s later, before or after
    // "end" (whichever way the library registered its wait), and the regex would not match.
    EXPECT_EXIT(
        {
            child_setup();
            leaked[0] = new threading::Thread({.daemon = true}, [] {
                std::this_thread::sleep_for(5s);
                say("daemon done\n");
            });
            leaked[0]->start();
            std::exit(0);
        },
        testing::ExitedWithCode(0), "^end\n$");
}

TEST(ExitDeathTest, ExitWaitsForNonDaemonThreadsOnly) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    const ChildWithoutThreadLeakReports no_leak_reports;
    EXPECT_EXIT(
        {
            child_setup();
            leaked[0] = new threading::Thread({.daemon = true}, [] {
                std::this_thread::sleep_for(5s);
                say("daemon done\n");
            });
            leaked[1] = new threading::Thread({.daemon = false}, [] {
                std::this_thread::sleep_for(100ms);
                say("worker done\n");
            });
            leaked[0]->start();
            leaked[1]->start();
            std::exit(0);
        },
        testing::ExitedWithCode(0), "^worker done\nend\n$");
}

TEST(ExitDeathTest, ExitWaitsForAThreadStartedWhileItWaits) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    const ChildWithoutThreadLeakReports no_leak_reports;
    EXPECT_EXIT(
        {
            child_setup();
            leaked_event = new threading::Event;
            leaked[0] = new threading::Thread([] {
                std::this_thread::sleep_for(50ms);  // the main thread is exiting by now
                leaked[1] = new threading::Thread([] {
                    leaked_event->wait();
                    std::this_thread::sleep_for(50ms);
                    say("second done\n");
                });
                leaked[1]->start();
                say("first done\n");
                leaked_event->set();
            });
            leaked[0]->start();
            std::exit(0);
        },
        testing::ExitedWithCode(0), "^first done\nsecond done\nend\n$");
}

TEST(ExitDeathTest, AThreadMayCallExitItself) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    const ChildWithoutThreadLeakReports no_leak_reports;
    // The exiting thread does not wait for itself, but does wait for the others.
    EXPECT_EXIT(
        {
            child_setup();
            leaked[0] = new threading::Thread([] {
                std::this_thread::sleep_for(100ms);
                say("worker done\n");
            });
            leaked[0]->start();
            threading::Thread exiter([] { std::exit(0); });
            exiter.start();
            exiter.join();  // never returns: the process ends meanwhile
            say("join returned\n");
            std::exit(1);
        },
        testing::ExitedWithCode(0), "^worker done\nend\n$");
}

TEST(ExitDeathTest, AForkedChildDoesNotWaitForItsParentsThreads) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    const ChildWithoutThreadLeakReports no_leak_reports;
    // GCC 12's LeakSanitizer is not made for a child forked from a threaded process: at exit it
    // looks for the parent's threads ("Running thread ... was not suspended") and may find one
    // of its locks copied while held. Not what this test is about.
    const ChildOption no_leak_check("ASAN_OPTIONS", "detect_leaks=0");
    // test_2_join_in_forked_process: the forked child has none of its parent's threads; were it
    // to wait for them, it would hang (killed after 10 s here). The grandchild inherits the
    // "end" handler and writes it when it exits normally.
    EXPECT_EXIT(
        {
            child_setup();
            leaked_event = new threading::Event;
            static threading::Event parked;
            leaked[0] = new threading::Thread([] {  // non-daemon, running
                parked.set();
                leaked_event->wait();
            });
            leaked[0]->start();
            // Fork once the thread sleeps: a fork while it is still inside the sanitizers'
            // runtime may copy one of their locks held.
            parked.wait();
            std::this_thread::sleep_for(50ms);
            const pid_t pid = fork();
            if (pid == 0) std::exit(0);  // the forked child: exits at once
            say(forked_child_exited(pid, 10) ? "forked child exited\n" : "forked child hung or failed\n");
            leaked_event->set();  // the parent's own exit waits for its thread, which ends now
            std::exit(0);
        },
        testing::ExitedWithCode(0), "^end\nforked child exited\nend\n$");
}

// Slow to destroy: a thread's value that outlives its thread's target by 100 ms.
struct SlowToDestroy {
    SlowToDestroy() = default;
    SlowToDestroy(const SlowToDestroy&) = delete;
    SlowToDestroy& operator=(const SlowToDestroy&) = delete;
    ~SlowToDestroy() {
        std::this_thread::sleep_for(100ms);
        say("value destroyed\n");
    }
};
threading::local<SlowToDestroy>* leaked_local = nullptr;

// exit() joins a non-daemon thread, as CPython's _shutdown does: the thread has run its
// thread_local destructors (its threading::local values among them) before exit() goes on.
// A thread leaves the alive list before those destructors run, so waiting for that list, or
// for the target to return, would not do. Expected "value destroyed" before "end".
TEST(ExitDeathTest, ExitWaitsUntilAThreadHasFullyEnded) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(
        {
            child_setup();
            leaked_local = new threading::local<SlowToDestroy>;
            leaked[0] = new threading::Thread([] { (void)leaked_local->get(); });
            leaked[0]->start();
            std::exit(0);
        },
        testing::ExitedWithCode(0), "^value destroyed\nend\n$");
}

// A child forked while another thread holds the list of alive threads' mutex can still exit:
// a pthread_atfork handler (src/threading/current.cpp) makes that mutex anew in the child and
// forgets the parent's other threads, as CPython's threading._after_fork does. Here a thread
// calls active_count() in a loop while the main thread forks children that exit at once; none
// may hang (each is killed after 2 s if it does).
TEST(ExitDeathTest, AChildForkedWhileAThreadListsThreadsCanExit) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    // LeakSanitizer in a child forked from a threaded process warns about the thread it
    // cannot suspend (and may hang on an allocator lock copied held): not what is tested.
    const ChildOption no_leak_check("ASAN_OPTIONS", "detect_leaks=0");
    const ChildOption quick_exit("TSAN_OPTIONS", tsan_quick_exit);
    EXPECT_EXIT(
        {
            alarm(120);
            static std::atomic<bool> stop{false};
            threading::Thread lister([] {
                while (!stop.load(std::memory_order_relaxed)) (void)threading::active_count();
            });
            lister.start();
            int hung = 0;
            for (int i = 0; i < 20; ++i) {
                const pid_t pid = fork();
                if (pid == 0) std::exit(0);
                if (!forked_child_exited(pid, 2)) ++hung;
            }
            stop = true;
            lister.join();
            say(hung == 0 ? "no forked child hung\n" : "a forked child hung\n");
            std::exit(0);
        },
        testing::ExitedWithCode(0), "^no forked child hung\n$");
}

}  // namespace
