// Raw events -> Chrome trace event JSON. The recorder keeps instants (a task suspends, a thread
// starts waiting); the file has spans ("X" events: running, waiting on what, callbacks) that
// viewers and the SVG tool draw directly.
#include <algorithm>
#include <cstdio>
#include <map>

#include "base/short_function_name.hpp"
#include "base/trace_events.hpp"

namespace concurrence::trace::detail {

namespace {

void write_json_string(std::ostream& out, std::string_view s) {
    out << '"';
    for (const char c : s) {
        switch (c) {
            case '"': out << "\\\""; break;
            case '\\': out << "\\\\"; break;
            case '\n': out << "\\n"; break;
            case '\t': out << "\\t"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
                    out << buf;
                } else {
                    out << c;
                }
        }
    }
    out << '"';
}

struct Span {
    std::uint64_t lane;
    const char* name;
    const char* cat;
    std::int64_t begin_ns;
    std::int64_t end_ns;
};

struct Instant {
    std::uint64_t lane;
    const char* name;
    std::int64_t ts_ns;
    const char* detail;  // args.what, or null
};

// What a lane is doing between two events.
struct LaneState {
    bool is_task = false;
    bool seen = false;
    std::int64_t first_ns = 0;
    std::int64_t since_ns = 0;
    const char* open_name = nullptr;  // the open span, or null
    const char* open_cat = nullptr;
    std::int64_t callback_since_ns = -1;
    const char* function = nullptr;  // a task's coroutine function
};

class SpanBuilder {
public:
    explicit SpanBuilder(const Recording& r) : r_(r) {}

    void add(const RawEvent& e) {
        LaneState& lane = lanes_[e.lane];
        if (!lane.seen) {
            lane.seen = true;
            lane.first_ns = e.ts_ns;
            lane.is_task = e.lane >= task_lane_base;
            // A thread that was already running when the recording began.
            if (!lane.is_task && e.kind != Kind::thread_start) open(lane, r_.start_ns, "running", "running");
        }
        switch (e.kind) {
            case Kind::task_create:
                lane.function = e.label;
                instants_.push_back({e.lane, "create", e.ts_ns, e.label});
                open(lane, e.ts_ns, "scheduled", "ready");
                break;
            case Kind::task_step:
                name_function(lane, e);
                close(lane, e.lane, e.ts_ns);
                open(lane, e.ts_ns, "running", "running");
                break;
            case Kind::task_suspend:
                close(lane, e.lane, e.ts_ns);
                if (e.label && std::string_view(e.label) == "ready")
                    open(lane, e.ts_ns, "ready", "ready");
                else
                    open(lane, e.ts_ns, e.label ? e.label : "waiting", "waiting");
                break;
            case Kind::task_done:
                name_function(lane, e);
                close(lane, e.lane, e.ts_ns);
                instants_.push_back({e.lane, e.label ? e.label : "done", e.ts_ns, nullptr});
                break;
            case Kind::thread_start:
                close(lane, e.lane, e.ts_ns);
                open(lane, e.ts_ns, "running", "running");
                break;
            case Kind::thread_end:
                close(lane, e.lane, e.ts_ns);
                break;
            case Kind::wait_begin:
                close(lane, e.lane, e.ts_ns);
                open(lane, e.ts_ns, e.label ? e.label : "waiting", "waiting");
                break;
            case Kind::wait_end:
                close(lane, e.lane, e.ts_ns);
                open(lane, e.ts_ns, "running", "running");
                break;
            case Kind::callback_begin: lane.callback_since_ns = e.ts_ns; break;
            case Kind::callback_end:
                if (lane.callback_since_ns >= 0) spans_.push_back({e.lane, "callback", "callback", lane.callback_since_ns, e.ts_ns});
                lane.callback_since_ns = -1;
                break;
        }
    }

    // Spans still open end with the recording.
    void finish() {
        for (auto& [id, lane] : lanes_) close(lane, id, r_.stop_ns);
    }

    const std::map<std::uint64_t, LaneState>& lanes() const { return lanes_; }
    const std::vector<Span>& spans() const { return spans_; }
    const std::vector<Instant>& instants() const { return instants_; }

private:
    // The step and done events name the function too: the create event may have been
    // overwritten in a full ring.
    static void name_function(LaneState& lane, const RawEvent& e) {
        if (!lane.function && e.value) lane.function = reinterpret_cast<const char*>(e.value);
    }
    static void open(LaneState& lane, std::int64_t ts, const char* name, const char* cat) {
        lane.since_ns = ts;
        lane.open_name = name;
        lane.open_cat = cat;
    }
    void close(LaneState& lane, std::uint64_t id, std::int64_t ts) {
        if (!lane.open_name) return;
        spans_.push_back({id, lane.open_name, lane.open_cat, lane.since_ns, ts});
        lane.open_name = nullptr;
    }

    const Recording& r_;
    std::map<std::uint64_t, LaneState> lanes_;
    std::vector<Span> spans_;
    std::vector<Instant> instants_;
};

std::string lane_label(const Recording& r, std::uint64_t id, const LaneState& lane) {
    auto it = r.lane_names.find(id);
    if (!lane.is_task) {
        if (it != r.lane_names.end()) return it->second;
        return id == r.pid ? "MainThread" : "thread " + std::to_string(id);
    }
    std::string label = it != r.lane_names.end() ? it->second : "Task-" + std::to_string(id - task_lane_base);
    if (lane.function) label += " " + concurrence::detail::short_function_name(lane.function) + "()";
    return label;
}

class JsonWriter {
public:
    JsonWriter(std::ostream& out, const Recording& r) : out_(out), r_(r) {}

    void metadata(const char* what, std::uint64_t tid, const char* key, auto value) {
        begin_event();
        out_ << R"("ph":"M","name":")" << what << R"(","pid":)" << r_.pid << R"(,"tid":)" << tid << R"(,"args":{")" << key
             << "\":";
        if constexpr (std::is_arithmetic_v<decltype(value)>)
            out_ << value;
        else
            write_json_string(out_, value);
        out_ << "}}";
    }
    void span(const Span& s) {
        begin_event();
        out_ << R"("ph":"X","name":)";
        write_json_string(out_, s.name);
        out_ << R"(,"cat":")" << s.cat << R"(","ts":)" << micros(s.begin_ns) << R"(,"dur":)"
             << format_micros(std::max<std::int64_t>(s.end_ns - std::max(s.begin_ns, r_.start_ns), 0)) << R"(,"pid":)" << r_.pid << R"(,"tid":)" << s.lane << '}';
    }
    void instant(const Instant& i) {
        begin_event();
        out_ << R"("ph":"i","s":"t","name":")" << i.name << R"(","ts":)" << micros(i.ts_ns) << R"(,"pid":)" << r_.pid
             << R"(,"tid":)" << i.lane;
        if (i.detail) {
            out_ << R"(,"args":{"coro":)";
            write_json_string(out_, concurrence::detail::short_function_name(i.detail));
            out_ << '}';
        }
        out_ << '}';
    }
    std::size_t count() const { return count_; }

private:
    void begin_event() {
        out_ << (count_++ ? ",\n{" : "\n{");
    }
    // Microseconds since the recording began, to the nanosecond.
    std::string micros(std::int64_t ts_ns) const { return format_micros(std::max<std::int64_t>(ts_ns - r_.start_ns, 0)); }
    static std::string format_micros(std::int64_t ns) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%lld.%03lld", static_cast<long long>(ns / 1000), static_cast<long long>(ns % 1000));
        return buf;
    }

    std::ostream& out_;
    const Recording& r_;
    std::size_t count_ = 0;
};

}  // namespace

std::size_t write_trace_json(Recording& r, std::ostream& out) {
    std::stable_sort(r.events.begin(), r.events.end(),
                     [](const RawEvent& a, const RawEvent& b) { return a.ts_ns < b.ts_ns; });
    SpanBuilder builder(r);
    for (const RawEvent& e : r.events) builder.add(e);
    builder.finish();

    // Lanes: threads first, in order of first appearance (the main thread first), then tasks by
    // number.
    std::vector<std::pair<std::uint64_t, const LaneState*>> order;
    for (const auto& [id, lane] : builder.lanes()) order.emplace_back(id, &lane);
    std::stable_sort(order.begin(), order.end(), [&](const auto& a, const auto& b) {
        if (a.second->is_task != b.second->is_task) return !a.second->is_task;
        if (a.second->is_task) return a.first < b.first;
        if ((a.first == r.pid) != (b.first == r.pid)) return a.first == r.pid;
        return a.second->first_ns < b.second->first_ns;
    });

    out << R"({"displayTimeUnit":"ms","otherData":{"events_lost":)" << r.events_lost << R"(},"traceEvents":[)";
    JsonWriter w(out, r);
    w.metadata("process_name", 0, "name", std::string_view(r.program));
    int index = 0;
    for (const auto& [id, lane] : order) {
        w.metadata("thread_name", id, "name", std::string_view(lane_label(r, id, *lane)));
        w.metadata("thread_sort_index", id, "sort_index", index++);
    }
    for (const Span& s : builder.spans()) w.span(s);
    for (const Instant& i : builder.instants()) w.instant(i);
    out << "\n]}\n";
    return w.count();
}

}  // namespace concurrence::trace::detail
