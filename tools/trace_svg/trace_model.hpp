// The part of a Chrome trace-event file (the library's trace output) that the timeline draws:
// one lane per thread id, with its complete ("X") spans and instant ("i") events.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace trace_svg {

// What an "X" event's category says the lane was doing; unknown categories are drawn grey.
enum class SpanKind { running, waiting, ready, callback, other };

struct Span {
    double start_us = 0;
    double duration_us = 0;
    std::string name;
    SpanKind kind = SpanKind::other;
};

struct Instant {
    double time_us = 0;
    std::string name;
    std::string args;  // the event's args as compact JSON, empty when there are none
};

struct Lane {
    std::int64_t tid = 0;
    std::string label;
    std::vector<Span> spans;  // by start time
    std::vector<Instant> instants;
};

struct Trace {
    std::string process_name;  // empty when the trace does not name it
    std::vector<Lane> lanes;   // in display order; only lanes with at least one event
    double start_us = 0;       // earliest event: the timeline's zero
    double end_us = 0;         // latest end of an event

    bool empty() const { return lanes.empty(); }
};

// Malformed JSON, or JSON that is not a trace.
class TraceError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Accepts the object form ({"traceEvents": [...]}) and the bare array of events.
// Throws TraceError.
Trace parse_trace(std::string_view json_text);

}  // namespace trace_svg
