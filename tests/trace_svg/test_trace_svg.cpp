// tools/trace_svg (concurrence-trace-svg) run as a program on hand-written traces: its SVG is
// well-formed XML, lanes come in the trace's order, text is escaped, and bad input fails with
// exit code 2 and no output file.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

extern char** environ;

namespace {

namespace fs = std::filesystem;

constexpr const char* tsv_tool = TRACE_SVG_TOOL;

// Two OS threads and three tasks. Task-3's events come first in time but its sort index puts
// it after Task-1; B and C events must be ignored; "mystery" has an unknown category and no dur.
constexpr std::string_view tsv_fixture = R"json({"displayTimeUnit":"ms","traceEvents":[
 {"ph":"M","name":"process_name","pid":1,"tid":0,"args":{"name":"fixture_process"}},
 {"ph":"M","name":"thread_name","pid":1,"tid":4242,"args":{"name":"MainThread"}},
 {"ph":"M","name":"thread_sort_index","pid":1,"tid":4242,"args":{"sort_index":0}},
 {"ph":"M","name":"thread_name","pid":1,"tid":4243,"args":{"name":"worker-1"}},
 {"ph":"M","name":"thread_sort_index","pid":1,"tid":4243,"args":{"sort_index":1}},
 {"ph":"M","name":"thread_name","pid":1,"tid":1000001,"args":{"name":"Task-1 main()"}},
 {"ph":"M","name":"thread_sort_index","pid":1,"tid":1000001,"args":{"sort_index":2}},
 {"ph":"M","name":"thread_name","pid":1,"tid":1000002,"args":{"name":"Task-2 <fetch> & \"x\" 'y'"}},
 {"ph":"M","name":"thread_sort_index","pid":1,"tid":1000002,"args":{"sort_index":4}},
 {"ph":"M","name":"thread_name","pid":1,"tid":1000003,"args":{"name":"Task-3"}},
 {"ph":"M","name":"thread_sort_index","pid":1,"tid":1000003,"args":{"sort_index":3}},
 {"ph":"X","name":"running","cat":"running","ts":5,"dur":1000,"pid":1,"tid":1000003,"args":{}},
 {"ph":"X","name":"callback","cat":"callback","ts":12.5,"dur":300.25,"pid":1,"tid":4242},
 {"ph":"X","name":"running","cat":"running","ts":400,"dur":250000,"pid":1,"tid":4243},
 {"ph":"i","name":"create","s":"t","ts":20,"pid":1,"tid":1000001,"args":{"parent":"main"}},
 {"ph":"X","name":"ready","cat":"ready","ts":20,"dur":80,"pid":1,"tid":1000001},
 {"ph":"X","name":"running","cat":"running","ts":100,"dur":50,"pid":1,"tid":1000001},
 {"ph":"X","name":"sleep","cat":"waiting","ts":150,"dur":500000,"pid":1,"tid":1000001},
 {"ph":"X","name":"running","cat":"running","ts":500150,"dur":0,"pid":1,"tid":1000001},
 {"ph":"i","name":"done","s":"t","ts":500150,"pid":1,"tid":1000001},
 {"ph":"X","name":"recv","cat":"waiting","ts":30,"dur":2000,"pid":1,"tid":1000002},
 {"ph":"X","name":"mystery","cat":"gc","ts":3000,"pid":1,"tid":1000002},
 {"ph":"B","name":"ignored","ts":1,"pid":1,"tid":4242},
 {"ph":"C","name":"counter","ts":1,"pid":1,"tid":4242,"args":{"n":1}},
 {"ph":"i","name":"cancelled","s":"t","ts":2500,"pid":1,"tid":1000002}
]})json";

// --- a small XML well-formedness checker: enough for what an SVG writer can get wrong ---

bool tsv_is_name_char(char c) {
    const auto byte = static_cast<unsigned char>(c);
    return std::isalnum(byte) || c == '_' || c == '-' || c == ':' || c == '.' || byte >= 0x80;
}

bool tsv_is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool tsv_valid_entity(std::string_view reference) {
    static const std::set<std::string_view> named = {"amp", "lt", "gt", "quot", "apos"};
    if (named.count(reference)) return true;
    if (reference.size() < 2 || reference[0] != '#') return false;
    const bool hex = reference[1] == 'x';
    const std::string_view digits = reference.substr(hex ? 2 : 1);
    if (digits.empty()) return false;
    for (char c : digits) {
        const auto byte = static_cast<unsigned char>(c);
        if (!(hex ? std::isxdigit(byte) : std::isdigit(byte))) return false;
    }
    return true;
}

// Character data or an attribute value: no '<', and every '&' starts a valid reference.
std::string tsv_check_chars(std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '<') return "a raw '<' in text";
        if (text[i] == '&') {
            const std::size_t semicolon = text.find(';', i);
            if (semicolon == std::string_view::npos) return "an '&' without ';'";
            const std::string_view reference = text.substr(i + 1, semicolon - i - 1);
            if (!tsv_valid_entity(reference)) return "bad reference &" + std::string(reference) + ";";
            i = semicolon;
        }
    }
    return "";
}

// "" when `xml` is well-formed: one root, balanced tags, quoted unique attributes, valid references.
std::string tsv_xml_error(std::string_view xml) {
    std::vector<std::string> open;
    bool seen_root = false;
    std::size_t i = 0;
    if (xml.starts_with("<?xml")) {
        const std::size_t end = xml.find("?>");
        if (end == std::string_view::npos) return "unterminated XML declaration";
        i = end + 2;
    }
    while (i < xml.size()) {
        if (xml[i] != '<') {
            const std::size_t next = std::min(xml.find('<', i), xml.size());
            const std::string_view text = xml.substr(i, next - i);
            if (open.empty() && text.find_first_not_of(" \t\r\n") != std::string_view::npos) {
                return "text outside the root element";
            }
            if (std::string error = tsv_check_chars(text); !error.empty()) return error;
            i = next;
        } else if (xml.substr(i).starts_with("<!--")) {
            const std::size_t end = xml.find("-->", i);
            if (end == std::string_view::npos) return "unterminated comment";
            i = end + 3;
        } else if (xml.substr(i).starts_with("</")) {
            const std::size_t end = xml.find('>', i);
            if (end == std::string_view::npos) return "unterminated end tag";
            std::string name(xml.substr(i + 2, end - i - 2));
            while (!name.empty() && tsv_is_space(name.back())) name.pop_back();
            if (open.empty() || open.back() != name) return "</" + name + "> closes nothing open";
            open.pop_back();
            i = end + 1;
        } else {
            const std::size_t name_start = ++i;
            while (i < xml.size() && tsv_is_name_char(xml[i])) ++i;
            if (i == name_start) return "a '<' that starts no tag";
            const std::string name(xml.substr(name_start, i - name_start));
            if (open.empty() && seen_root) return "a second root element <" + name + ">";
            std::set<std::string> attributes;
            while (true) {
                const std::size_t space_start = i;
                while (i < xml.size() && tsv_is_space(xml[i])) ++i;
                if (i >= xml.size()) return "unterminated <" + name + ">";
                if (xml[i] == '>') {
                    open.push_back(name);
                    ++i;
                    break;
                }
                if (xml.substr(i).starts_with("/>")) {
                    i += 2;
                    break;
                }
                if (i == space_start) return "no space before an attribute of <" + name + ">";
                const std::size_t attribute_start = i;
                while (i < xml.size() && tsv_is_name_char(xml[i])) ++i;
                if (i == attribute_start) return "a stray character in <" + name + ">";
                const std::string attribute(xml.substr(attribute_start, i - attribute_start));
                if (!attributes.insert(attribute).second) return "attribute " + attribute + " twice";
                if (i >= xml.size() || xml[i] != '=') return "attribute " + attribute + " without a value";
                ++i;
                if (i >= xml.size() || (xml[i] != '"' && xml[i] != '\'')) return "attribute " + attribute + " unquoted";
                const std::size_t close = xml.find(xml[i], i + 1);
                if (close == std::string_view::npos) return "attribute " + attribute + " unterminated";
                if (std::string error = tsv_check_chars(xml.substr(i + 1, close - i - 1)); !error.empty()) return error;
                i = close + 1;
            }
            seen_root = true;
        }
    }
    if (!open.empty()) return "<" + open.back() + "> not closed";
    if (!seen_root) return "no root element";
    return "";
}

// --- running the tool ---

struct TsvRun {
    int exit_code = -1;  // 127: could not start
    std::string stderr_text;
};

std::string tsv_read(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void tsv_write(const fs::path& path, std::string_view text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

// Runs args[0] (looked up in PATH) with stderr captured in `stderr_file`.
TsvRun tsv_run(const std::vector<std::string>& args, const fs::path& stderr_file) {
    std::vector<char*> argv;
    for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, stderr_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid = 0;
    const int spawn_error = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    TsvRun run;
    if (spawn_error != 0) {
        run.exit_code = 127;
        return run;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
    }
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    run.stderr_text = tsv_read(stderr_file);
    return run;
}

// The text of each <text class="lane-label">, in document order.
std::vector<std::string> tsv_lane_labels(const std::string& svg) {
    constexpr std::string_view start = "<text class=\"lane-label\"";
    std::vector<std::string> labels;
    for (std::size_t at = svg.find(start); at != std::string::npos; at = svg.find(start, at + 1)) {
        const std::size_t text_start = svg.find('>', at) + 1;
        labels.push_back(svg.substr(text_start, svg.find("</text>", text_start) - text_start));
    }
    return labels;
}

// The width attribute of every <rect> that has an x (all but the background).
std::vector<double> tsv_rect_widths(const std::string& svg) {
    std::vector<double> widths;
    for (std::size_t at = svg.find("<rect x="); at != std::string::npos; at = svg.find("<rect x=", at + 1)) {
        const std::size_t width = svg.find(" width=\"", at);
        if (width < svg.find('>', at)) widths.push_back(std::stod(svg.substr(width + 8)));
    }
    return widths;
}

std::size_t tsv_count(const std::string& text, std::string_view needle) {
    std::size_t count = 0;
    for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++count;
    return count;
}

class TraceSvg : public testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("concurrence_trace_svg_" + std::to_string(getpid()) + "_" +
                                            testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    fs::path path(std::string_view name) const { return dir_ / name; }

    // The tool on `args` (paths already in them); stderr kept.
    TsvRun tool(std::vector<std::string> args) const {
        args.insert(args.begin(), tsv_tool);
        return tsv_run(args, path("stderr.txt"));
    }

    // The trace written to trace.json, rendered to out.svg.
    TsvRun render(std::string_view trace, std::vector<std::string> extra = {}) const {
        tsv_write(path("trace.json"), trace);
        std::vector<std::string> args = {path("trace.json").string(), path("out.svg").string()};
        args.insert(args.end(), extra.begin(), extra.end());
        return tool(args);
    }

    std::string svg() const { return tsv_read(path("out.svg")); }

    void expect_failure(const TsvRun& run) const {
        EXPECT_EQ(run.exit_code, 2);
        EXPECT_EQ(run.stderr_text.rfind("concurrence-trace-svg: ", 0), 0u) << run.stderr_text;
        EXPECT_FALSE(fs::exists(path("out.svg")));
    }

    fs::path dir_;
};

TEST(TraceSvgChecker, RejectsWhatIsNotWellFormed) {
    EXPECT_EQ(tsv_xml_error(R"(<?xml version="1.0"?><a x="1"><b/>t &amp; &#38; &#x26;</a>)"), "");
    EXPECT_NE(tsv_xml_error("<a><b></a></b>"), "");
    EXPECT_NE(tsv_xml_error("<a>"), "");
    EXPECT_NE(tsv_xml_error("<a x=1></a>"), "");
    EXPECT_NE(tsv_xml_error(R"(<a x="1" x="2"></a>)"), "");
    EXPECT_NE(tsv_xml_error(R"(<a x="<"></a>)"), "");
    EXPECT_NE(tsv_xml_error("<a>&nbsp;</a>"), "");
    EXPECT_NE(tsv_xml_error("<a>a & b</a>"), "");
    EXPECT_NE(tsv_xml_error("<a></a><b></b>"), "");
    EXPECT_NE(tsv_xml_error("text"), "");
}

TEST_F(TraceSvg, FixtureIsWellFormedSvg) {
    const TsvRun run = render(tsv_fixture);
    ASSERT_EQ(run.exit_code, 0) << run.stderr_text;
    EXPECT_EQ(run.stderr_text, "");
    const std::string out = svg();
    EXPECT_EQ(tsv_xml_error(out), "");
    EXPECT_NE(out.find(R"(<svg xmlns="http://www.w3.org/2000/svg")"), std::string::npos);
    EXPECT_NE(out.find("viewBox=\"0 0 1000"), std::string::npos);
}

TEST_F(TraceSvg, PythonParsesTheFixtureToo) {
    ASSERT_EQ(render(tsv_fixture).exit_code, 0);
    const TsvRun python = tsv_run({"python3", "-c", "import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])",
                                   path("out.svg").string()},
                                  path("python_stderr.txt"));
    if (python.exit_code == 127) GTEST_SKIP() << "no python3";
    EXPECT_EQ(python.exit_code, 0) << python.stderr_text;
}

TEST_F(TraceSvg, OneLabelPerLaneInSortIndexOrder) {
    ASSERT_EQ(render(tsv_fixture).exit_code, 0);
    const std::vector<std::string> expected = {"MainThread", "worker-1", "Task-1 main()", "Task-3",
                                               "Task-2 &lt;fetch&gt; &amp; &quot;x&quot; &apos;y&apos;"};
    EXPECT_EQ(tsv_lane_labels(svg()), expected);
}

TEST_F(TraceSvg, LanesWithoutSortIndexGoByFirstEventThenTid) {
    const TsvRun run = render(R"({"traceEvents":[
        {"ph":"X","cat":"running","name":"running","ts":50,"dur":5,"pid":1,"tid":30},
        {"ph":"X","cat":"running","name":"running","ts":10,"dur":5,"pid":1,"tid":20},
        {"ph":"i","name":"create","ts":50,"pid":1,"tid":7},
        {"ph":"M","name":"thread_name","pid":1,"tid":30,"args":{"name":"late"}},
        {"ph":"M","name":"thread_name","pid":1,"tid":99,"args":{"name":"no events"}}]})");
    ASSERT_EQ(run.exit_code, 0) << run.stderr_text;
    const std::vector<std::string> expected = {"tid 20", "tid 7", "late"};
    EXPECT_EQ(tsv_lane_labels(svg()), expected);
}

TEST_F(TraceSvg, NamesAreEscapedEverywhere) {
    ASSERT_EQ(render(tsv_fixture).exit_code, 0);
    const std::string out = svg();
    EXPECT_EQ(out.find("<fetch>"), std::string::npos);
    EXPECT_EQ(out.find("\"x\""), std::string::npos);
    // In the spans' tooltips too.
    EXPECT_NE(out.find("<title>Task-2 &lt;fetch&gt; &amp; &quot;x&quot; &apos;y&apos; \u2014 recv \u2014 "),
              std::string::npos);
}

TEST_F(TraceSvg, SpansAreColouredByCategoryWithTooltips) {
    ASSERT_EQ(render(tsv_fixture).exit_code, 0);
    const std::string out = svg();
    // Each fill once in the legend, and on the fixture's spans of that category.
    EXPECT_EQ(tsv_count(out, "fill=\"#2e9d4a\""), 1u + 4u);  // running
    EXPECT_EQ(tsv_count(out, "fill=\"#c9d6e8\""), 1u + 2u);  // waiting
    EXPECT_EQ(tsv_count(out, "fill=\"#f3e3a1\""), 1u + 1u);  // ready
    EXPECT_EQ(tsv_count(out, "fill=\"#3b7dd8\""), 1u + 1u);  // callback
    EXPECT_EQ(tsv_count(out, "fill=\"#9e9e9e\""), 1u);       // the unknown category
    EXPECT_EQ(tsv_count(out, "<rect x="), 9u + 4u + 2u);     // spans, legend, shaded rows
    EXPECT_NE(out.find("<title>Task-1 main() \u2014 sleep \u2014 0.145..500.145 ms</title>"), std::string::npos);
    EXPECT_NE(out.find(">sleep</text>"), std::string::npos);  // wide enough to carry its name
    EXPECT_EQ(out.find(">recv</text>"), std::string::npos);   // 2 ms of 500: too narrow
    // The instants, with their args.
    EXPECT_EQ(tsv_count(out, "<polygon"), 3u + 1u);
    EXPECT_NE(out.find("\u2014 create \u2014 0.015 ms \u2014 {&quot;parent&quot;:&quot;main&quot;}</title>"),
              std::string::npos);
    EXPECT_EQ(out.find("ignored"), std::string::npos);
    EXPECT_EQ(out.find("counter"), std::string::npos);
}

TEST_F(TraceSvg, EverySpanIsAtLeastOnePixelWide) {
    ASSERT_EQ(render(tsv_fixture).exit_code, 0);
    const std::string out = svg();
    const std::vector<double> widths = tsv_rect_widths(out);
    for (double width : widths) EXPECT_GE(width, 1.0);
    EXPECT_EQ(widths.size(), 9u + 4u + 2u);  // spans, legend, shaded rows
}

TEST_F(TraceSvg, AxisTicksAreRoundNumbersFromZero) {
    ASSERT_EQ(render(tsv_fixture).exit_code, 0);  // 500.145 ms: steps of 100 ms
    const std::string out = svg();
    for (const char* tick : {">0 ms<", ">100 ms<", ">200 ms<", ">500 ms<"}) {
        EXPECT_NE(out.find(tick), std::string::npos) << tick;
    }
    EXPECT_EQ(out.find(">600 ms<"), std::string::npos);

    ASSERT_EQ(render(R"({"traceEvents":[{"ph":"X","cat":"running","ts":12.5,"dur":2000003.1,"pid":1,"tid":1}]})")
                  .exit_code,
              0);
    EXPECT_NE(svg().find(">1.5 s<"), std::string::npos);
}

TEST_F(TraceSvg, BareArrayOfEventsIsATrace) {
    const TsvRun run = render(R"([{"ph":"X","name":"running","cat":"running","ts":1,"dur":2,"pid":1,"tid":5},
                                  {"ph":"M","name":"thread_name","pid":1,"tid":5,"args":{"name":"only"}}])");
    ASSERT_EQ(run.exit_code, 0) << run.stderr_text;
    const std::string out = svg();
    EXPECT_EQ(tsv_xml_error(out), "");
    EXPECT_EQ(tsv_lane_labels(out), std::vector<std::string>{"only"});
}

TEST_F(TraceSvg, EmptyTraceIsStillAnSvg) {
    ASSERT_EQ(render(R"({"traceEvents":[]})").exit_code, 0);
    std::string out = svg();
    EXPECT_EQ(tsv_xml_error(out), "");
    EXPECT_NE(out.find(">empty trace<"), std::string::npos);

    // Metadata alone draws nothing either.
    ASSERT_EQ(render(R"([{"ph":"M","name":"process_name","pid":1,"tid":0,"args":{"name":"p"}}])").exit_code, 0);
    out = svg();
    EXPECT_EQ(tsv_xml_error(out), "");
    EXPECT_NE(out.find(">empty trace<"), std::string::npos);
}

TEST_F(TraceSvg, TitleIsTheOptionElseTheProcessElseTheFileName) {
    ASSERT_EQ(render(tsv_fixture, {"--title", "Run <1> & \"2\""}).exit_code, 0);
    std::string out = svg();
    EXPECT_EQ(tsv_xml_error(out), "");
    EXPECT_NE(out.find(">Run &lt;1&gt; &amp; &quot;2&quot;</text>"), std::string::npos);
    EXPECT_EQ(out.find(">fixture_process</text>"), std::string::npos);

    ASSERT_EQ(render(tsv_fixture).exit_code, 0);
    EXPECT_NE(svg().find(">fixture_process</text>"), std::string::npos);

    ASSERT_EQ(render(R"([{"ph":"i","name":"x","ts":1,"pid":1,"tid":1}])").exit_code, 0);
    EXPECT_NE(svg().find(">trace.json</text>"), std::string::npos);
}

TEST_F(TraceSvg, MalformedJsonFailsWithoutOutput) {
    expect_failure(render(R"({"traceEvents":[{"ph":"X",)"));
    expect_failure(render(""));
}

TEST_F(TraceSvg, JsonThatIsNotATraceFails) {
    expect_failure(render(R"({"events":[]})"));
    expect_failure(render("42"));
    expect_failure(render(R"([1, 2])"));
    expect_failure(render(R"([{"ph":"X","name":"running","ts":"soon","pid":1,"tid":1}])"));
    expect_failure(render(R"([{"ph":"X","name":"running","pid":1,"tid":1}])"));
    expect_failure(render(R"([{"ph":"X","name":"running","ts":1,"pid":1,"tid":"main"}])"));
}

TEST_F(TraceSvg, MissingInputFails) {
    const TsvRun run = tool({path("absent.json").string(), path("out.svg").string()});
    expect_failure(run);
    EXPECT_NE(run.stderr_text.find("absent.json"), std::string::npos) << run.stderr_text;
}

TEST_F(TraceSvg, BadUsageFails) {
    tsv_write(path("trace.json"), tsv_fixture);
    const std::string in = path("trace.json").string();
    const std::string out = path("out.svg").string();
    expect_failure(tool({}));
    expect_failure(tool({in}));
    expect_failure(tool({in, out, "extra"}));
    expect_failure(tool({in, out, "--title"}));
    expect_failure(tool({in, out, "--colour", "red"}));
}

TEST_F(TraceSvg, UnwritableOutputFails) {
    tsv_write(path("trace.json"), tsv_fixture);
    const TsvRun run = tool({path("trace.json").string(), path("no_such_dir/out.svg").string()});
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_NE(run.stderr_text.find("cannot write"), std::string::npos) << run.stderr_text;
}

}  // namespace
