// W0 (seed): the tutorial's lines, printed whole and recorded as codes for the RESULT line's
// `order` (../shared/peers/README.md): B1 "Bonjour!", A1 "Au revoir!", A2 "Au revoir après
// 1 seconde!", B2 "Bonjour après 2 secondes!", END for anything else (the final line).
#pragma once

#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

#include "result_line.hpp"

namespace bench {

class LineRecorder {
public:
    // Prints the line and records its code; safe from several threads at once.
    void say(std::string_view line) {
        std::lock_guard guard(mutex_);
        std::fwrite(line.data(), 1, line.size(), stdout);
        std::fputc('\n', stdout);
        std::fflush(stdout);
        if (!codes_.empty()) codes_ += ',';
        codes_ += code_of(line);
    }

    std::string order() const {
        std::lock_guard guard(mutex_);
        return codes_;
    }

    long matches(std::string_view expected) const { return order() == expected ? 1L : 0L; }

    // The W0 RESULT line: `expected` is the tutorial's order of codes.
    void print_result(const char* workload, double seconds, std::string_view expected) const {
        ResultLine(workload, "concurrence")
            .add("n", 2L)
            .add("seconds", seconds)
            .add("order", order())
            .add("order_ok", matches(expected))
            .add("rss_kb", peak_rss_kb())
            .print();
    }

private:
    static const char* code_of(std::string_view line) {
        if (line == "Bonjour!") return "B1";
        if (line == "Au revoir!") return "A1";
        if (line == "Au revoir après 1 seconde!") return "A2";
        if (line == "Bonjour après 2 secondes!") return "B2";
        return "END";
    }

    mutable std::mutex mutex_;
    std::string codes_;
};

}  // namespace bench
