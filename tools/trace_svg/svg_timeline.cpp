#include "svg_timeline.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

namespace trace_svg {
namespace {

// Geometry in SVG user units (pixels at 100 %).
constexpr double width = 1000;
constexpr double label_right = 212;  // lane labels end here (the label column is 220 wide)
constexpr double plot_left = 230;
constexpr double plot_right = width - 20;
constexpr double title_baseline = 24;
constexpr double tick_label_baseline = 50;
constexpr double lanes_top = 60;
constexpr double row_height = 26;
constexpr double bar_inset = 4;  // above and below a span's bar, within its row
constexpr double text_baseline = 17;  // within a row
// Rough advances of the fonts, for deciding what fits: no font metrics in a plain SVG writer.
constexpr double label_char_width = 7;
constexpr double span_char_width = 6.5;

const char* fill_of(SpanKind kind) {
    switch (kind) {
        case SpanKind::running: return "#2e9d4a";
        case SpanKind::waiting: return "#c9d6e8";
        case SpanKind::ready: return "#f3e3a1";
        case SpanKind::callback: return "#3b7dd8";
        case SpanKind::other: break;
    }
    return "#9e9e9e";
}

std::string fixed(double value, int decimals) {
    std::ostringstream text;
    text << std::fixed << std::setprecision(decimals) << value;
    return text.str();
}

std::string milliseconds(double us) { return fixed(us / 1000, 3); }

bool starts_code_point(char byte) { return (static_cast<unsigned char>(byte) & 0xC0) != 0x80; }

std::size_t code_points(std::string_view utf8) {
    return static_cast<std::size_t>(std::count_if(utf8.begin(), utf8.end(), starts_code_point));
}

// Keeps max_code_points - 1 code points, whole, and marks the cut with an ellipsis.
std::string shortened(std::string_view utf8, std::size_t max_code_points) {
    if (code_points(utf8) <= max_code_points) return std::string(utf8);
    std::size_t end = 0;
    for (std::size_t kept = 0; end < utf8.size(); ++end) {
        if (starts_code_point(utf8[end]) && kept++ == max_code_points - 1) break;
    }
    return std::string(utf8.substr(0, end)) + "\u2026";
}

// A tick step of 1, 2 or 5 times a power of ten, giving at most eight intervals.
struct Axis {
    double step_us;
    double unit_us;
    const char* unit;
    int decimals;
};

Axis choose_axis(double span_us) {
    const double rough_step = span_us / 8;
    const double magnitude = std::pow(10.0, std::floor(std::log10(rough_step)));
    double step = magnitude * 10;
    for (double multiple : {1.0, 2.0, 5.0}) {
        if (magnitude * multiple >= rough_step) {
            step = magnitude * multiple;
            break;
        }
    }
    const bool seconds = span_us >= 1e6;
    const double unit_us = seconds ? 1e6 : 1e3;
    const int decimals = std::max(0, -static_cast<int>(std::floor(std::log10(step / unit_us) + 1e-9)));
    return Axis{step, unit_us, seconds ? "s" : "ms", decimals};
}

void write_header(std::ostringstream& out, double height, std::string_view title) {
    out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
        << "\" viewBox=\"0 0 " << width << ' ' << height << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
        << "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
        << "<text class=\"title\" x=\"12\" y=\"" << title_baseline << "\" font-size=\"16\" font-weight=\"bold\">"
        << xml_escape(title) << "</text>\n";
}

void write_axis(std::ostringstream& out, double span_us, double lanes_bottom) {
    const Axis axis = choose_axis(span_us);
    const double scale = (plot_right - plot_left) / span_us;
    out << "<g class=\"axis\">\n";
    for (int i = 0; i * axis.step_us <= span_us * (1 + 1e-9); ++i) {
        const double t = i * axis.step_us;
        const double x = plot_left + t * scale;
        out << "<line x1=\"" << x << "\" y1=\"" << lanes_top - 6 << "\" x2=\"" << x << "\" y2=\"" << lanes_bottom
            << "\" stroke=\"#e3e6eb\"/>\n"
            << "<text x=\"" << x << "\" y=\"" << tick_label_baseline << "\" text-anchor=\"middle\" fill=\"#555555\">"
            << (i == 0 ? "0" : fixed(t / axis.unit_us, axis.decimals)) << ' ' << axis.unit << "</text>\n";
    }
    out << "</g>\n";
}

void write_lane(std::ostringstream& out, const Lane& lane, double row_top, double origin_us, double scale) {
    const std::string label = xml_escape(lane.label);
    out << "<g class=\"lane\">\n<title>" << label << "</title>\n"
        << "<text class=\"lane-label\" x=\"" << label_right << "\" y=\"" << row_top + text_baseline
        << "\" text-anchor=\"end\">"
        << xml_escape(shortened(lane.label, static_cast<std::size_t>(label_right / label_char_width) - 1))
        << "</text>\n";
    const double bar_top = row_top + bar_inset;
    const double bar_height = row_height - 2 * bar_inset;
    for (const Span& span : lane.spans) {
        const double x = plot_left + (span.start_us - origin_us) * scale;
        const double bar_width = std::max(1.0, span.duration_us * scale);  // an instant-long span stays visible
        const std::string name = xml_escape(span.name);
        out << "<rect x=\"" << x << "\" y=\"" << bar_top << "\" width=\"" << bar_width << "\" height=\"" << bar_height
            << "\" fill=\"" << fill_of(span.kind) << "\"><title>" << label << " \u2014 " << name << " \u2014 "
            << milliseconds(span.start_us - origin_us) << ".."
            << milliseconds(span.start_us + span.duration_us - origin_us) << " ms</title></rect>\n";
        if (span.kind == SpanKind::waiting &&
            bar_width >= static_cast<double>(code_points(span.name)) * span_char_width + 6) {
            out << "<text class=\"span-label\" x=\"" << x + 3 << "\" y=\"" << row_top + text_baseline - 1
                << "\" font-size=\"11\" fill=\"#2b3a4f\" pointer-events=\"none\">" << name << "</text>\n";
        }
    }
    for (const Instant& instant : lane.instants) {
        const double x = plot_left + (instant.time_us - origin_us) * scale;
        out << "<polygon points=\"" << x - 4 << ',' << row_top + 1 << ' ' << x + 4 << ',' << row_top + 1 << ' ' << x
            << ',' << row_top + 9 << "\" fill=\"#222222\"><title>" << label << " \u2014 " << xml_escape(instant.name)
            << " \u2014 " << milliseconds(instant.time_us - origin_us) << " ms";
        if (!instant.args.empty()) out << " \u2014 " << xml_escape(instant.args);
        out << "</title></polygon>\n";
    }
    out << "</g>\n";
}

void write_legend(std::ostringstream& out, double top) {
    struct Entry {
        const char* label;
        SpanKind kind;
    };
    constexpr Entry entries[] = {{"running", SpanKind::running},
                                 {"waiting", SpanKind::waiting},
                                 {"ready", SpanKind::ready},
                                 {"callback", SpanKind::callback}};
    out << "<g class=\"legend\">\n";
    double x = plot_left;
    for (const Entry& entry : entries) {
        out << "<rect x=\"" << x << "\" y=\"" << top << "\" width=\"14\" height=\"10\" fill=\"" << fill_of(entry.kind)
            << "\"/>\n<text x=\"" << x + 20 << "\" y=\"" << top + 10 << "\">" << entry.label << "</text>\n";
        x += 110;
    }
    out << "<polygon points=\"" << x << ',' << top << ' ' << x + 8 << ',' << top << ' ' << x + 4 << ',' << top + 8
        << "\" fill=\"#222222\"/>\n<text x=\"" << x + 20 << "\" y=\"" << top + 10 << "\">event</text>\n</g>\n";
}

}  // namespace

std::string xml_escape(std::string_view text) {
    std::string escaped;
    escaped.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&': escaped += "&amp;"; break;
            case '<': escaped += "&lt;"; break;
            case '>': escaped += "&gt;"; break;
            case '"': escaped += "&quot;"; break;
            case '\'': escaped += "&apos;"; break;
            case '\t':
            case '\n':
            case '\r': escaped += c; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    escaped += "\uFFFD";
                } else {
                    escaped += c;
                }
        }
    }
    return escaped;
}

std::string render_svg(const Trace& trace, std::string_view title) {
    std::ostringstream out;
    out << std::fixed << std::setprecision(1);
    if (trace.empty()) {
        write_header(out, 100, title);
        out << "<text x=\"" << width / 2 << "\" y=\"64\" text-anchor=\"middle\" fill=\"#666666\">empty trace</text>\n"
            << "</svg>\n";
        return out.str();
    }
    const double lanes_bottom = lanes_top + static_cast<double>(trace.lanes.size()) * row_height;
    const double legend_top = lanes_bottom + 20;
    write_header(out, legend_top + 30, title);
    // A trace whose events all share one instant still needs a scale: 1 ms.
    const double span_us = trace.end_us > trace.start_us ? trace.end_us - trace.start_us : 1000;
    for (std::size_t i = 1; i < trace.lanes.size(); i += 2) {  // every other row shaded, to follow a row
        out << "<rect x=\"0\" y=\"" << lanes_top + static_cast<double>(i) * row_height << "\" width=\"" << width
            << "\" height=\"" << row_height << "\" fill=\"#f5f7fa\"/>\n";
    }
    write_axis(out, span_us, lanes_bottom);
    const double scale = (plot_right - plot_left) / span_us;
    for (std::size_t i = 0; i < trace.lanes.size(); ++i) {
        write_lane(out, trace.lanes[i], lanes_top + static_cast<double>(i) * row_height, trace.start_us, scale);
    }
    write_legend(out, legend_top);
    out << "</svg>\n";
    return out.str();
}

}  // namespace trace_svg
