// concurrence-trace-svg TRACE.json OUT.svg [--title TEXT]: draws a trace the library wrote
// (Chrome trace-event JSON) as an SVG timeline, one row per thread or task. Every failure says
// why on stderr and exits with 2, leaving no output file.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "svg_timeline.hpp"
#include "trace_model.hpp"

namespace {

constexpr int exit_failure = 2;
constexpr std::string_view usage = "usage: concurrence-trace-svg TRACE.json OUT.svg [--title TEXT]";

struct Arguments {
    std::string input;
    std::string output;
    std::optional<std::string> title;
};

// std::nullopt on bad usage.
std::optional<Arguments> parse_arguments(int argc, char** argv) {
    Arguments arguments;
    std::vector<std::string> positional;
    for (int i = 1; i < argc; ++i) {
        const std::string_view argument = argv[i];
        if (argument == "--title") {
            if (i + 1 == argc || arguments.title) return std::nullopt;
            arguments.title = argv[++i];
        } else if (argument.size() > 1 && argument.front() == '-') {
            return std::nullopt;
        } else {
            positional.emplace_back(argument);
        }
    }
    if (positional.size() != 2) return std::nullopt;
    arguments.input = positional[0];
    arguments.output = positional[1];
    return arguments;
}

struct CloseFile {
    void operator()(std::FILE* file) const { std::fclose(file); }
};
using File = std::unique_ptr<std::FILE, CloseFile>;

std::runtime_error file_error(const char* what, const std::string& path) {
    return std::runtime_error(std::string(what) + ' ' + path + ": " + std::strerror(errno));
}

std::string read_file(const std::string& path) {
    File file(std::fopen(path.c_str(), "rb"));
    if (!file) throw file_error("cannot read", path);
    std::string text;
    char buffer[65536];
    std::size_t count;
    while ((count = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) text.append(buffer, count);
    if (std::ferror(file.get())) throw file_error("cannot read", path);  // e.g. a directory
    return text;
}

// A failed write removes what it wrote: no half an SVG left behind.
void write_file(const std::string& path, const std::string& text) {
    File file(std::fopen(path.c_str(), "wb"));
    if (!file) throw file_error("cannot write", path);
    const bool written = std::fwrite(text.data(), 1, text.size(), file.get()) == text.size();
    if (!written || std::fclose(file.release()) != 0) {
        const auto error = file_error("cannot write", path);
        std::remove(path.c_str());
        throw error;
    }
}

int fail(std::string_view message) {
    std::cerr << "concurrence-trace-svg: " << message << '\n';
    return exit_failure;
}

}  // namespace

int main(int argc, char** argv) {
    const std::optional<Arguments> arguments = parse_arguments(argc, argv);
    if (!arguments) return fail(usage);
    try {
        trace_svg::Trace trace;
        try {
            trace = trace_svg::parse_trace(read_file(arguments->input));
        } catch (const trace_svg::TraceError& error) {
            return fail(arguments->input + ": " + error.what());
        }
        std::string title = std::filesystem::path(arguments->input).filename().string();
        if (arguments->title) {
            title = *arguments->title;
        } else if (!trace.process_name.empty()) {
            title = trace.process_name;
        }
        write_file(arguments->output, trace_svg::render_svg(trace, title));
    } catch (const std::exception& error) {
        return fail(error.what());
    }
    return 0;
}
