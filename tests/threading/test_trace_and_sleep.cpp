// Recording traces while threads run (the ring buffers are written without locks: ThreadSanitizer
// checks them here), and time::sleep (Python's time.sleep).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <fstream>
#include <string>
#include <vector>

#include "concurrence/base/trace.hpp"
#include "concurrence/threading/event.hpp"
#include "concurrence/threading/lock.hpp"
#include "concurrence/threading/sleep.hpp"
#include "concurrence/threading/thread.hpp"

namespace {

namespace threading = concurrence::threading;
namespace trace = concurrence::trace;

std::string tsl_path(int round) {
    return testing::TempDir() + "trace_threads_" + std::to_string(::getpid()) + "_" + std::to_string(round) + ".json";
}

TEST(TraceThreads, RecordingStartsAndStopsWhileThreadsWork) {
    std::atomic<bool> done{false};
    threading::Lock lock;
    threading::Event event;
    std::vector<std::unique_ptr<threading::Thread>> workers;
    for (int i = 0; i < 4; ++i) {
        workers.push_back(std::make_unique<threading::Thread>([&] {
            while (!done.load()) {
                lock.acquire();
                lock.release();
                event.wait(0.0001);
                concurrence::time::sleep(0.0001);
            }
        }));
        workers.back()->start();
    }
    for (int round = 0; round < 20; ++round) {
        const std::string path = tsl_path(round);
        trace::start(path, 256);  // a small ring: the writers wrap it while stop() reads
        concurrence::time::sleep(0.002);
        trace::stop();
        std::ifstream in(path);
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        EXPECT_THAT(text, testing::StartsWith("{\"displayTimeUnit\""));
        EXPECT_THAT(text, testing::EndsWith("]}\n"));
        std::remove(path.c_str());
    }
    done = true;
    event.set();
    for (auto& w : workers) w->join();
}

TEST(TimeSleep, ErrorsAsPython) {
    EXPECT_THAT([] { concurrence::time::sleep(-1); },
                testing::ThrowsMessage<concurrence::ValueError>(testing::StrEq("sleep length must be non-negative")));
    EXPECT_THROW(concurrence::time::sleep(std::nan("")), concurrence::ValueError);
    EXPECT_NO_THROW(concurrence::time::sleep(0));
}

TEST(TimeSleep, SleepsAtLeastTheLength) {
    const auto before = std::chrono::steady_clock::now();
    concurrence::time::sleep(std::chrono::milliseconds(20));
    EXPECT_GE(std::chrono::steady_clock::now() - before, std::chrono::milliseconds(20));
}

}  // namespace
