// Draws a Trace as a standalone SVG timeline: lane labels on the left, a time axis whose zero is
// the earliest event, one row of spans and instants per lane, a legend below.
#pragma once

#include <string>
#include <string_view>

#include "trace_model.hpp"

namespace trace_svg {

std::string render_svg(const Trace& trace, std::string_view title);

// For text and attribute values: the five XML specials become entities, and the control
// characters XML 1.0 forbids become U+FFFD.
std::string xml_escape(std::string_view text);

}  // namespace trace_svg
