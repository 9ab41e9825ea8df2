// The RESULT line of ../shared/peers/README.md, and the measurements every workload shares:
// monotonic seconds, peak RSS, the W2 durations.
#pragma once

#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace bench {

inline double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

inline long peak_rss_kb() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

inline long arg_or(int argc, char** argv, int i, long fallback) {
    return argc > i ? std::atol(argv[i]) : fallback;
}

// W2's durations: xorshift32 from the shared seed, d = x % 1000 ms.
inline std::vector<int> w2_durations_ms(long n, std::uint32_t x = 2463534242u) {
    std::vector<int> d(static_cast<std::size_t>(n));
    for (int& v : d) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        v = static_cast<int>(x % 1000);
    }
    return d;
}

// RESULT workload=W peer=P key=value ...
class ResultLine {
public:
    ResultLine(const char* workload, const char* peer) { text_ = std::string("RESULT workload=") + workload + " peer=" + peer; }
    ResultLine& add(const char* key, double v) {
        char buf[64];
        std::snprintf(buf, sizeof buf, (v >= 10 || v <= -10) ? "%.3f" : "%.6f", v);
        return put(key, buf);
    }
    ResultLine& add(const char* key, long v) { return put(key, std::to_string(v)); }
    ResultLine& add(const char* key, const std::string& v) { return put(key, v); }
    void print() const {
        std::printf("%s\n", text_.c_str());
        std::fflush(stdout);
    }

private:
    ResultLine& put(const char* key, const std::string& v) {
        text_ += std::string(" ") + key + "=" + v;
        return *this;
    }
    std::string text_;
};

}  // namespace bench
