// concurrence::trace: the recording of tasks and threads, read back from the JSON file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <concurrence/asyncio.hpp>
#include <concurrence/threading.hpp>

namespace {

namespace asyncio = concurrence::asyncio;
namespace threading = concurrence::threading;
namespace trace = concurrence::trace;
using json = nlohmann::json;
using testing::ElementsAre;
using testing::HasSubstr;

std::string trc_path(const char* name) { return testing::TempDir() + "trace_" + name + "_" + std::to_string(::getpid()) + ".json"; }

json trc_read(const std::string& path) {
    std::ifstream in(path);
    json j = json::parse(in);  // throws on invalid JSON: the test fails
    std::remove(path.c_str());
    return j;
}

// A lane of the trace: its name and its events ("cat:name" for spans, "!name" for instants),
// in time order.
struct TrcLane {
    std::string name;
    std::vector<std::string> events;
    std::vector<double> begins;
};

std::map<std::string, TrcLane> trc_lanes_by_name(const json& trace) {
    std::map<long long, TrcLane> by_tid;
    std::multimap<double, std::pair<long long, std::string>> timeline;
    // Instants first: one at the same time as a span's beginning comes before it.
    for (const json& e : trace.at("traceEvents")) {
        const long long tid = e.at("tid");
        if (e.at("ph") == "M" && e.at("name") == "thread_name") by_tid[tid].name = e.at("args").at("name");
        if (e.at("ph") == "i") timeline.emplace(e.at("ts").get<double>(), std::pair{tid, "!" + e.at("name").get<std::string>()});
    }
    for (const json& e : trace.at("traceEvents")) {
        if (e.at("ph") == "X")
            timeline.emplace(e.at("ts").get<double>(), std::pair{e.at("tid").get<long long>(),
                                                                 e.at("cat").get<std::string>() + ":" + e.at("name").get<std::string>()});
    }
    for (const auto& [ts, ev] : timeline) {
        by_tid[ev.first].events.push_back(ev.second);
        by_tid[ev.first].begins.push_back(ts);
    }
    std::map<std::string, TrcLane> out;
    for (auto& [tid, lane] : by_tid) out[lane.name] = lane;
    return out;
}

asyncio::Coro<> trc_say_after(double delay) { co_await asyncio::sleep(delay); }

asyncio::Coro<> trc_tutorial() {
    auto bonjour = asyncio::create_task(trc_say_after(0.02), "bonjour");
    auto au_revoir = asyncio::create_task(trc_say_after(0.01), "au_revoir");
    co_await asyncio::gather(bonjour, au_revoir);
}

TEST(Trace, RecordsEachTaskAsALaneOfSpans) {
    const std::string path = trc_path("tasks");
    trace::start(path);
    EXPECT_TRUE(trace::active());
    asyncio::run(trc_tutorial());
    EXPECT_GT(trace::stop(), 0u);
    EXPECT_FALSE(trace::active());

    const json j = trc_read(path);
    EXPECT_EQ(j.at("otherData").at("events_lost"), 0);
    auto lanes = trc_lanes_by_name(j);
    ASSERT_TRUE(lanes.count("bonjour trc_say_after()")) << j.dump(1);
    // Created, scheduled, one step that ends in the sleep, the step after it, finished.
    EXPECT_THAT(lanes["bonjour trc_say_after()"].events,
                ElementsAre("!create", "ready:scheduled", "running:running", "waiting:sleep", "running:running", "!finished"));
    EXPECT_THAT(lanes["au_revoir trc_say_after()"].events,
                ElementsAre("!create", "ready:scheduled", "running:running", "waiting:sleep", "running:running", "!finished"));
    // The main task waits on the gather meanwhile.
    bool main_found = false;
    for (const auto& [name, lane] : lanes) {
        if (name.find("trc_tutorial()") == std::string::npos) continue;
        main_found = true;
        EXPECT_THAT(lane.events, testing::Contains("waiting:gather"));
    }
    EXPECT_TRUE(main_found);
    // The loop's thread: callbacks, and its waits for I/O or timers.
    ASSERT_TRUE(lanes.count("MainThread"));
    EXPECT_THAT(lanes["MainThread"].events, testing::Contains("callback:callback"));
    EXPECT_THAT(lanes["MainThread"].events, testing::Contains("waiting:poll"));
}

TEST(Trace, TheFileIsChromeTraceFormat) {
    const std::string path = trc_path("format");
    trace::start(path);
    asyncio::run(trc_say_after(0));
    const std::size_t written = trace::stop();
    const json j = trc_read(path);
    ASSERT_TRUE(j.at("traceEvents").is_array());
    EXPECT_EQ(j.at("traceEvents").size(), written);
    EXPECT_EQ(j.at("displayTimeUnit"), "ms");
    bool process_named = false;
    for (const json& e : j.at("traceEvents")) {
        EXPECT_TRUE(e.contains("ph") && e.contains("pid") && e.contains("tid"));
        if (e.at("ph") == "X") {
            EXPECT_GE(e.at("ts").get<double>(), 0.0);
            EXPECT_GE(e.at("dur").get<double>(), 0.0);
        }
        if (e.at("ph") == "M" && e.at("name") == "process_name") process_named = true;
    }
    EXPECT_TRUE(process_named);
}

asyncio::Coro<> trc_fail() {
    co_await asyncio::sleep(0);
    throw concurrence::ValueError("boom");
}

asyncio::Coro<> trc_wait_forever(asyncio::Event* event) { co_await event->wait(); }

asyncio::Coro<> trc_lock_holder(asyncio::Lock* lock) {
    auto guard = co_await lock->scoped();
    co_await asyncio::sleep(0.01);
}

asyncio::Coro<> trc_endings() {
    asyncio::Event never;
    auto failing = asyncio::create_task(trc_fail(), "failing");
    auto stuck = asyncio::create_task(trc_wait_forever(&never), "stuck");
    asyncio::Lock lock;
    auto holder = asyncio::create_task(trc_lock_holder(&lock), "holder");
    auto contender = asyncio::create_task(trc_lock_holder(&lock), "contender");
    asyncio::Queue<int> queue;
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    stuck.cancel();
    try {
        co_await failing;
    } catch (const concurrence::ValueError&) {
    }
    try {
        co_await stuck;
    } catch (const asyncio::CancelledError&) {
    }
    co_await holder;
    co_await contender;
    queue.put_nowait(1);
    co_await queue.get();
}

TEST(Trace, SaysHowTasksEndAndWhatTheyWaitOn) {
    const std::string path = trc_path("endings");
    trace::start(path);
    asyncio::run(trc_endings());
    trace::stop();
    auto lanes = trc_lanes_by_name(trc_read(path));
    EXPECT_EQ(lanes["failing trc_fail()"].events.back(), "!failed");
    EXPECT_EQ(lanes["stuck trc_wait_forever()"].events.back(), "!cancelled");
    EXPECT_THAT(lanes["stuck trc_wait_forever()"].events, testing::Contains("waiting:Event.wait"));
    EXPECT_THAT(lanes["contender trc_lock_holder()"].events, testing::Contains("waiting:Lock.acquire"));
    EXPECT_EQ(lanes["holder trc_lock_holder()"].events.back(), "!finished");
}

void trc_worker() { concurrence::time::sleep(0.01); }

TEST(Trace, RecordsThreadsTheirNamesAndTheirWaits) {
    const std::string path = trc_path("threads");
    trace::start(path);
    threading::Thread worker(threading::Thread::Options{.name = "worker"}, trc_worker);
    worker.start();
    worker.join();
    trace::stop();
    auto lanes = trc_lanes_by_name(trc_read(path));
    ASSERT_TRUE(lanes.count("worker"));
    EXPECT_THAT(lanes["worker"].events, ElementsAre("running:running", "waiting:sleep", "running:running"));
    ASSERT_TRUE(lanes.count("MainThread"));
    EXPECT_THAT(lanes["MainThread"].events, testing::Contains("waiting:join"));
}

TEST(Trace, StartAndStopErrors) {
    EXPECT_EQ(trace::stop(), 0u);  // nothing recording
    EXPECT_THROW(trace::start(trc_path("zero"), 0), concurrence::ValueError);
    EXPECT_THROW(trace::start(""), concurrence::ValueError);
    const std::string path = trc_path("twice");
    trace::start(path);
    EXPECT_THAT([&] { trace::start(path); },
                testing::ThrowsMessage<concurrence::RuntimeError>(HasSubstr("a trace is already being recorded")));
    trace::stop();
    std::remove(path.c_str());
}

TEST(Trace, AnUnwritableFileIsAnOSErrorAndRecordingStops) {
    trace::start("/nonexistent-directory/trace.json");
    asyncio::run(trc_say_after(0));
    EXPECT_THROW(trace::stop(), concurrence::OSError);
    EXPECT_FALSE(trace::active());
    const std::string path = trc_path("after_error");  // and a new recording works
    trace::start(path);
    trace::stop();
    EXPECT_NO_THROW(trc_read(path));
}

asyncio::Coro<> trc_many_steps(int n) {
    for (int i = 0; i < n; ++i) co_await asyncio::sleep(0);
}

TEST(Trace, AFullRingKeepsTheMostRecentEvents) {
    const std::string path = trc_path("ring");
    trace::start(path, 64);
    asyncio::run(trc_many_steps(1000));
    trace::stop();
    const json j = trc_read(path);
    EXPECT_GT(j.at("otherData").at("events_lost").get<long long>(), 0);
    auto lanes = trc_lanes_by_name(j);
    bool task_seen = false;
    for (const auto& [name, lane] : lanes) {
        if (name.find("trc_many_steps()") == std::string::npos) continue;
        task_seen = true;
        EXPECT_EQ(lane.events.back(), "!finished");  // the end is kept
    }
    EXPECT_TRUE(task_seen);
}

TEST(Trace, NothingIsRecordedWhenOff) {
    const std::string path = trc_path("off");
    asyncio::run(trc_say_after(0));  // before start: not in the file
    trace::start(path);
    trace::stop();
    const json j = trc_read(path);
    for (const json& e : j.at("traceEvents")) EXPECT_NE(e.at("ph"), "X") << e.dump();
}

}  // namespace
