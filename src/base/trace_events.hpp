// What a trace recording holds once stopped, between the recorder (trace_recorder.cpp) and
// the JSON writer (trace_json.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <unordered_map>
#include <vector>

#include "concurrence/base/trace.hpp"

namespace concurrence::trace::detail {

struct RawEvent {
    std::int64_t ts_ns;  // CLOCK_MONOTONIC
    Kind kind;
    std::uint64_t lane;
    const char* label;
    std::uint64_t value;
};

struct Recording {
    std::vector<RawEvent> events;  // each thread's in order; threads one after the other
    std::unordered_map<std::uint64_t, std::string> lane_names;
    std::int64_t start_ns = 0;
    std::int64_t stop_ns = 0;
    std::string program;
    std::uint64_t pid = 0;
    std::uint64_t events_lost = 0;  // overwritten in a full ring
};

// Writes the Chrome trace event JSON (spans as complete "X" events, one lane per thread and
// per task); returns the number of trace events written.
std::size_t write_trace_json(Recording& recording, std::ostream& out);

}  // namespace concurrence::trace::detail
