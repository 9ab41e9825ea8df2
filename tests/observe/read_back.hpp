// Everything written so far to a temporary file (tmpfile()), for tests of printed reports.
#pragma once

#include <cstdio>
#include <string>

namespace observe {

inline std::string read_back(std::FILE* f) {
    std::string out;
    std::rewind(f);
    char buf[512];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    return out;
}

}  // namespace observe
