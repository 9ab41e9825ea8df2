// The trace recorder: a ring buffer per thread, written without locks; start()/stop() and a
// thread's first event of a recording take the session's mutex.
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <memory>
#include <mutex>

#include "base/trace_events.hpp"
#include "base/write_stderr.hpp"
#include "concurrence/base/errors.hpp"

namespace concurrence::trace {
namespace detail {

std::atomic<bool> g_recording{false};

namespace {

std::int64_t monotonic_ns() noexcept {
    timespec ts;
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Relaxed atomics: stop() may read a slot that a late writer is overwriting; the writer's
// head tells which slots may be torn, and those are dropped (see collect()).
struct Slot {
    std::atomic<std::int64_t> ts_ns;
    std::atomic<std::uint64_t> lane_and_kind;  // lane << 8 | kind
    std::atomic<const char*> label;
    std::atomic<std::uint64_t> value;
};

struct ThreadBuffer {
    explicit ThreadBuffer(std::size_t capacity) : slots(new Slot[capacity]), mask(capacity - 1) {}
    std::unique_ptr<Slot[]> slots;
    std::size_t mask;
    std::atomic<std::uint64_t> head{0};  // events written so far
};

struct Session {
    std::mutex mutex;
    bool active = false;
    std::string path;
    std::size_t capacity = 0;
    std::int64_t start_ns = 0;
    std::atomic<std::uint64_t> generation{0};  // one per start()
    std::vector<std::shared_ptr<ThreadBuffer>> buffers;
    std::unordered_map<std::uint64_t, std::string> lane_names;
};

Session& session() {
    static Session s;
    return s;
}

// The calling thread's buffer for the current recording; the thread keeps it alive, so a late
// write after stop() and a new start() lands in memory that still exists.
thread_local std::shared_ptr<ThreadBuffer> t_buffer;
thread_local std::uint64_t t_generation = 0;
thread_local std::uint64_t t_lane = 0;

ThreadBuffer* attach_thread(Session& s) {
    std::lock_guard guard(s.mutex);
    if (!s.active) return nullptr;
    t_buffer = std::make_shared<ThreadBuffer>(s.capacity);
    s.buffers.push_back(t_buffer);
    t_generation = s.generation.load(std::memory_order_relaxed);
    return t_buffer.get();
}

std::size_t round_up_to_power_of_two(std::size_t n) {
    std::size_t p = 1;
    while (p < n) p <<= 1;
    return p;
}

// Copies a buffer's events; those a writer may have overwritten meanwhile are dropped.
void collect(const ThreadBuffer& b, Recording& out) {
    const std::uint64_t capacity = b.mask + 1;
    const std::uint64_t head = b.head.load(std::memory_order_acquire);
    const std::uint64_t first = head > capacity ? head - capacity : 0;
    std::vector<RawEvent> events;
    events.reserve(head - first);
    for (std::uint64_t i = first; i < head; ++i) {
        const Slot& slot = b.slots[i & b.mask];
        const std::uint64_t lk = slot.lane_and_kind.load(std::memory_order_relaxed);
        events.push_back({slot.ts_ns.load(std::memory_order_relaxed), static_cast<Kind>(lk & 0xff), lk >> 8,
                          slot.label.load(std::memory_order_relaxed), slot.value.load(std::memory_order_relaxed)});
    }
    const std::uint64_t head_after = b.head.load(std::memory_order_acquire);
    // A writer that went on meanwhile reused the oldest slots (and may be writing one more).
    const std::uint64_t safe_first = head_after + 1 > capacity ? head_after + 1 - capacity : 0;
    const std::size_t torn = safe_first > first ? static_cast<std::size_t>(std::min(safe_first - first, head - first)) : 0;
    out.events_lost += first + torn;
    out.events.insert(out.events.end(), events.begin() + static_cast<std::ptrdiff_t>(torn), events.end());
}

}  // namespace

void record(Kind kind, std::uint64_t lane, const char* label, std::uint64_t value) noexcept {
    Session& s = session();
    ThreadBuffer* b = t_buffer.get();
    if (t_generation != s.generation.load(std::memory_order_acquire) || !b) [[unlikely]] {
        try {
            b = attach_thread(s);
        } catch (...) {  // out of memory: the event is lost, the program goes on
            b = nullptr;
        }
        if (!b) return;
    }
    const std::uint64_t head = b->head.load(std::memory_order_relaxed);
    Slot& slot = b->slots[head & b->mask];
    slot.ts_ns.store(monotonic_ns(), std::memory_order_relaxed);
    slot.lane_and_kind.store(lane << 8 | static_cast<std::uint64_t>(kind), std::memory_order_relaxed);
    slot.label.store(label, std::memory_order_relaxed);
    slot.value.store(value, std::memory_order_relaxed);
    b->head.store(head + 1, std::memory_order_release);
}

std::uint64_t thread_lane() noexcept {
    if (!t_lane) t_lane = static_cast<std::uint64_t>(::syscall(SYS_gettid));
    return t_lane;
}

void name_lane(std::uint64_t lane, std::string_view name) noexcept {
    Session& s = session();
    try {
        std::lock_guard guard(s.mutex);
        if (s.active) s.lane_names[lane] = std::string(name);
    } catch (...) {  // out of memory: the lane keeps its default name
    }
}

}  // namespace detail

using detail::session;

void start(std::string path, std::size_t events_per_thread) {
    if (events_per_thread == 0) throw ValueError("events_per_thread must be positive");
    if (path.empty()) throw ValueError("trace path must not be empty");
    detail::Session& s = session();
    std::lock_guard guard(s.mutex);
    if (s.active) throw RuntimeError("a trace is already being recorded (to '" + s.path + "')");
    s.active = true;
    s.path = std::move(path);
    s.capacity = detail::round_up_to_power_of_two(events_per_thread);
    s.buffers.clear();
    s.lane_names.clear();
    s.start_ns = detail::monotonic_ns();
    s.generation.fetch_add(1, std::memory_order_release);
    detail::g_recording.store(true, std::memory_order_release);
}

bool active() noexcept { return detail::g_recording.load(std::memory_order_acquire); }

std::size_t stop() {
    detail::Session& s = session();
    detail::Recording recording;
    std::string path;
    {
        std::lock_guard guard(s.mutex);
        if (!s.active) return 0;
        s.active = false;
        detail::g_recording.store(false, std::memory_order_release);
        recording.stop_ns = detail::monotonic_ns();
        recording.start_ns = s.start_ns;
        for (const auto& b : s.buffers) detail::collect(*b, recording);
        recording.lane_names.swap(s.lane_names);
        s.buffers.clear();
        path = std::move(s.path);
    }
    recording.program = program_invocation_short_name;
    recording.pid = static_cast<std::uint64_t>(::getpid());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) throw_os_error(errno ? errno : EIO, path);
    const std::size_t written = detail::write_trace_json(recording, out);
    out.close();
    if (!out) throw_os_error(errno ? errno : EIO, path);
    return written;
}

namespace {
// CONCURRENCE_TRACE=path: the whole run is recorded, and written when the program exits.
struct RecordFromEnvironment {
    RecordFromEnvironment() {
        const char* path = std::getenv("CONCURRENCE_TRACE");
        if (!path || !*path) return;
        session();  // constructed first, so destroyed after this object
        try {
            start(path);
        } catch (const std::exception& e) {
            concurrence::detail::write_stderr(std::string("concurrence: CONCURRENCE_TRACE: ") + e.what() + "\n");
        }
    }
    ~RecordFromEnvironment() {
        try {
            stop();
        } catch (const std::exception& e) {
            concurrence::detail::write_stderr(std::string("concurrence: CONCURRENCE_TRACE: ") + e.what() + "\n");
        }
    }
};
RecordFromEnvironment record_from_environment;
}  // namespace

}  // namespace concurrence::trace
