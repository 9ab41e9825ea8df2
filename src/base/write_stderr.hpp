// The reports the library prints (uncaught thread exceptions, failed callbacks, pool errors).
#pragma once

#include <cstdio>
#include <string>

namespace concurrence::detail {

// One write and a flush, so that the reports of several threads do not interleave.
inline void write_stderr(const std::string& text) noexcept {
    std::fputs(text.c_str(), stderr);
    std::fflush(stderr);
}

}  // namespace concurrence::detail
