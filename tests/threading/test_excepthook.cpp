// threading::excepthook: the default report, replacing the hook, a hook that throws.
#include "concurrence/threading/excepthook.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>
#include <string>

#include "concurrence/threading/thread.hpp"

namespace {

namespace threading = concurrence::threading;
using testing::HasSubstr;

// Puts back the hook a test replaced.
class HookRestorer {
public:
    explicit HookRestorer(threading::ExceptHook hook) : previous_(threading::set_excepthook(std::move(hook))) {}
    HookRestorer(const HookRestorer&) = delete;
    HookRestorer& operator=(const HookRestorer&) = delete;
    ~HookRestorer() { threading::set_excepthook(std::move(previous_)); }

private:
    threading::ExceptHook previous_;
};

std::string run_and_capture_stderr(threading::Thread& t) {
    testing::internal::CaptureStderr();
    t.start();
    t.join();
    return testing::internal::GetCapturedStderr();
}

TEST(Excepthook, TheDefaultPrintsTheThreadAndTheException) {
    threading::Thread t({.name = "worker"}, [] { throw std::runtime_error("boom"); });
    EXPECT_EQ(run_and_capture_stderr(t), "Exception in thread worker:\nstd::runtime_error: boom\n");
    EXPECT_FALSE(t.is_alive());
}

TEST(Excepthook, TheDefaultNamesADefaultNamedThread) {
    threading::Thread t([] { throw std::logic_error("bad"); });
    EXPECT_EQ(run_and_capture_stderr(t), "Exception in thread " + t.name() + ":\nstd::logic_error: bad\n");
}

TEST(Excepthook, TheDefaultGivesTheTypeOfANonStdException) {
    threading::Thread t({.name = "ints"}, [] { throw 42; });
    EXPECT_EQ(run_and_capture_stderr(t), "Exception in thread ints:\nint\n");
}

TEST(Excepthook, TheDefaultUsesTheIdentWithoutAThread) {
    testing::internal::CaptureStderr();
    threading::default_excepthook({std::make_exception_ptr(std::runtime_error("x")), nullptr});
    EXPECT_EQ(testing::internal::GetCapturedStderr(),
              "Exception in thread " + std::to_string(threading::get_ident()) + ":\nstd::runtime_error: x\n");
}

TEST(Excepthook, AReplacedHookReceivesTheExceptionAndTheThread) {
    std::string message;
    std::string thread_name;
    std::optional<unsigned long> thread_ident;
    int calls = 0;
    HookRestorer restore([&](const threading::ExceptHookArgs& args) {
        ++calls;
        try {
            std::rethrow_exception(args.exc_value);
        } catch (const std::runtime_error& e) {
            message = e.what();
        }
        if (args.thread) {
            thread_name = args.thread->name();
            thread_ident = args.thread->ident();
        }
    });
    threading::Thread t({.name = "raiser"}, [] { throw std::runtime_error("boom"); });
    EXPECT_EQ(run_and_capture_stderr(t), "");  // the default hook did not run
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(message, "boom");
    EXPECT_EQ(thread_name, "raiser");
    EXPECT_EQ(thread_ident, t.ident());
}

TEST(Excepthook, SetExcepthookReturnsThePreviousHook) {
    int first_calls = 0;
    const threading::ExceptHookArgs args{std::make_exception_ptr(std::runtime_error("x")), nullptr};
    HookRestorer restore([&](const threading::ExceptHookArgs&) { ++first_calls; });
    threading::ExceptHook first = threading::set_excepthook([](const threading::ExceptHookArgs&) {});
    first(args);
    EXPECT_EQ(first_calls, 1);
    threading::excepthook(args);  // calls the current hook, not the first
    EXPECT_EQ(first_calls, 1);
    threading::set_excepthook(std::move(first));
    threading::excepthook(args);
    EXPECT_EQ(first_calls, 2);
}

TEST(Excepthook, AnEmptyHookRestoresTheDefault) {
    HookRestorer restore([](const threading::ExceptHookArgs&) {});
    threading::set_excepthook({});
    threading::Thread t({.name = "after-reset"}, [] { throw std::runtime_error("boom"); });
    EXPECT_EQ(run_and_capture_stderr(t), "Exception in thread after-reset:\nstd::runtime_error: boom\n");
}

TEST(Excepthook, AHookThatThrowsIsReportedAndTheThreadEnds) {
    HookRestorer restore([](const threading::ExceptHookArgs&) { throw std::logic_error("hook failed"); });
    threading::Thread t([] { throw std::runtime_error("boom"); });
    const std::string err = run_and_capture_stderr(t);
    EXPECT_THAT(err, HasSubstr("Exception in threading.excepthook:\nstd::logic_error: hook failed\n"));
    EXPECT_FALSE(t.is_alive());
}

TEST(Excepthook, TheProcessGoesOnAfterManyFailingThreads) {
    int calls = 0;
    HookRestorer restore([&](const threading::ExceptHookArgs&) { ++calls; });  // threads run one by one
    for (int i = 0; i < 5; ++i) {
        threading::Thread t([] { throw std::runtime_error("boom"); });
        t.start();
        t.join();
    }
    EXPECT_EQ(calls, 5);
}

}  // namespace
