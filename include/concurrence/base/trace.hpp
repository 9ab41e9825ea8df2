// Timeline traces: what every task and thread did, and when, in the Chrome trace event format
// (Perfetto and chrome://tracing open it; tools/trace_svg draws it as an SVG timeline).
//
//   CONCURRENCE_TRACE=out.json ./program      records the whole run, written at exit
//   concurrence::trace::start("out.json");    or around the part of interest:
//   ...                                       every thread's activity from now on
//   concurrence::trace::stop();               writes the file
//
// What is recorded: a lane per asyncio task (created, running, waiting and on what: sleep,
// Lock.acquire, a task...; done), a lane per thread (running, blocked in join/sleep/locks,
// the loop's callbacks and its waits for I/O).
//
// Cost: off, one relaxed load and a branch where an event would be recorded. On, each thread
// writes into a ring buffer of its own (no lock, no allocation per event); a thread that
// records more than `events_per_thread` keeps the most recent ones.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace concurrence::trace {

// Starts recording every thread's events, to be written to `path` by stop() (or at exit).
// RuntimeError if a recording is already in progress; ValueError for events_per_thread 0.
void start(std::string path, std::size_t events_per_thread = 1 << 16);
// Stops recording and writes the file. Returns the number of trace events written (0 if no
// recording was in progress). OSError if the file cannot be written.
std::size_t stop();
// True while recording.
bool active() noexcept;

// The hooks the library calls (not for users).
namespace detail {

extern std::atomic<bool> g_recording;
[[gnu::always_inline]] inline bool recording() noexcept { return g_recording.load(std::memory_order_relaxed); }

enum class Kind : std::uint8_t {
    task_create,     // lane: task; label: coroutine function; value: creating task's lane (0: none)
    task_step,       // lane: task; the task runs; value: its coroutine function (const char*)
    task_suspend,    // lane: task; label: what it waits on
    task_done,       // lane: task; label: "finished", "failed" or "cancelled"; value: as task_step
    thread_start,    // lane: thread
    thread_end,      // lane: thread
    wait_begin,      // lane: thread; label: what it waits on ("sleep", "join", "poll"...)
    wait_end,        // lane: thread
    callback_begin,  // lane: thread (a loop callback)
    callback_end,    // lane: thread
};

// Lanes: an OS thread's is its kernel thread id; a task's is task_lane_base + its number.
inline constexpr std::uint64_t task_lane_base = 1'000'000;

// label: static storage (a literal, a function's name).
void record(Kind kind, std::uint64_t lane, const char* label = nullptr, std::uint64_t value = 0) noexcept;
// The calling thread's lane.
std::uint64_t thread_lane() noexcept;
// A lane's display name (a task's or thread's own name), kept until the next start().
void name_lane(std::uint64_t lane, std::string_view name) noexcept;

// A blocking wait of the calling thread (join, sleep, a lock), as a span of its lane.
class ScopedWait {
public:
    // what: null records nothing.
    explicit ScopedWait(const char* what) noexcept {
        if (what && recording()) [[unlikely]] {
            lane_ = thread_lane();
            record(Kind::wait_begin, lane_, what);
        }
    }
    ~ScopedWait() {
        if (lane_ && recording()) record(Kind::wait_end, lane_);
    }
    ScopedWait(const ScopedWait&) = delete;
    ScopedWait& operator=(const ScopedWait&) = delete;

private:
    std::uint64_t lane_ = 0;
};

}  // namespace detail
}  // namespace concurrence::trace
