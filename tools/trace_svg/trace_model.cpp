#include "trace_model.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

namespace trace_svg {
namespace {

using nlohmann::json;

struct LaneBuilder {
    Lane lane;
    std::optional<double> sort_index;
    double first_event_us = std::numeric_limits<double>::infinity();
    bool has_events = false;
};

SpanKind kind_of(const std::string& category) {
    if (category == "running") return SpanKind::running;
    if (category == "waiting") return SpanKind::waiting;
    if (category == "ready") return SpanKind::ready;
    if (category == "callback") return SpanKind::callback;
    return SpanKind::other;
}

const json& events_of(const json& document) {
    if (document.is_array()) return document;
    if (document.is_object()) {
        auto found = document.find("traceEvents");
        if (found != document.end() && found->is_array()) return *found;
    }
    throw TraceError("not a trace: expected {\"traceEvents\": [...]} or an array of events");
}

// ts is what places an event; dur may be left out (an unfinished span: zero long).
double time_field(const json& event, const char* key, bool required) {
    auto found = event.find(key);
    if (found == event.end() && !required) return 0;
    if (found == event.end() || !found->is_number()) {
        throw TraceError(std::string("not a trace: an event's \"") + key + "\" is missing or not a number");
    }
    return found->get<double>();
}

void read_metadata(const json& event, Trace& trace, LaneBuilder& lane) {
    const json args = event.value("args", json::object());
    const std::string name = event.value("name", "");
    if (name == "process_name") {
        trace.process_name = args.value("name", "");
    } else if (name == "thread_name") {
        lane.lane.label = args.value("name", "");
    } else if (name == "thread_sort_index" && args.contains("sort_index")) {
        lane.sort_index = args.at("sort_index").get<double>();
    }
}

void note_event_time(LaneBuilder& lane, double time_us) {
    lane.has_events = true;
    lane.first_event_us = std::min(lane.first_event_us, time_us);
}

// Lanes with a sort index first, by that index; then the others by their first event.
bool displayed_before(const LaneBuilder& a, const LaneBuilder& b) {
    if (a.sort_index.has_value() != b.sort_index.has_value()) return a.sort_index.has_value();
    if (a.sort_index && *a.sort_index != *b.sort_index) return *a.sort_index < *b.sort_index;
    if (!a.sort_index && a.first_event_us != b.first_event_us) return a.first_event_us < b.first_event_us;
    return a.lane.tid < b.lane.tid;
}

Trace build(const json& events) {
    Trace trace;
    // Keyed by tid alone: the library writes one process per trace.
    std::map<std::int64_t, LaneBuilder> builders;
    auto lane_of = [&builders](const json& event) -> LaneBuilder& {
        const auto tid = event.value("tid", std::int64_t{0});
        LaneBuilder& builder = builders[tid];
        builder.lane.tid = tid;
        return builder;
    };
    for (const json& event : events) {
        if (!event.is_object()) throw TraceError("not a trace: an event is not a JSON object");
        const std::string phase = event.value("ph", "");
        if (phase == "M") {
            read_metadata(event, trace, lane_of(event));
        } else if (phase == "X") {
            Span span;
            span.start_us = time_field(event, "ts", true);
            span.duration_us = std::max(0.0, time_field(event, "dur", false));
            span.name = event.value("name", "");
            span.kind = kind_of(event.value("cat", ""));
            LaneBuilder& lane = lane_of(event);
            note_event_time(lane, span.start_us);
            lane.lane.spans.push_back(std::move(span));
        } else if (phase == "i" || phase == "I") {  // "I" is the format's older spelling
            Instant instant;
            instant.time_us = time_field(event, "ts", true);
            instant.name = event.value("name", "");
            auto args = event.find("args");
            if (args != event.end() && !args->empty()) instant.args = args->dump();
            LaneBuilder& lane = lane_of(event);
            note_event_time(lane, instant.time_us);
            lane.lane.instants.push_back(std::move(instant));
        }
        // Other phases (B/E pairs, counters, flows...) are not written by the library: ignored.
    }

    std::vector<LaneBuilder> shown;
    for (auto& entry : builders) {
        if (entry.second.has_events) shown.push_back(std::move(entry.second));
    }
    if (shown.empty()) return trace;
    std::stable_sort(shown.begin(), shown.end(), displayed_before);

    trace.start_us = std::numeric_limits<double>::infinity();
    trace.end_us = -std::numeric_limits<double>::infinity();
    for (LaneBuilder& builder : shown) {
        Lane& lane = builder.lane;
        if (lane.label.empty()) lane.label = "tid " + std::to_string(lane.tid);
        std::stable_sort(lane.spans.begin(), lane.spans.end(),
                         [](const Span& a, const Span& b) { return a.start_us < b.start_us; });
        std::stable_sort(lane.instants.begin(), lane.instants.end(),
                         [](const Instant& a, const Instant& b) { return a.time_us < b.time_us; });
        for (const Span& span : lane.spans) {
            trace.start_us = std::min(trace.start_us, span.start_us);
            trace.end_us = std::max(trace.end_us, span.start_us + span.duration_us);
        }
        for (const Instant& instant : lane.instants) {
            trace.start_us = std::min(trace.start_us, instant.time_us);
            trace.end_us = std::max(trace.end_us, instant.time_us);
        }
        trace.lanes.push_back(std::move(lane));
    }
    return trace;
}

}  // namespace

Trace parse_trace(std::string_view json_text) {
    json document;
    try {
        document = json::parse(json_text.begin(), json_text.end());
    } catch (const json::parse_error& error) {
        throw TraceError(std::string("malformed JSON: ") + error.what());
    }
    try {
        return build(events_of(document));
    } catch (const json::exception& error) {  // a field of the wrong type
        throw TraceError(std::string("not a trace: ") + error.what());
    }
}

}  // namespace trace_svg
