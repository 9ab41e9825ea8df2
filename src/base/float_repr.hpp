// Python's repr() of a float: the shortest text that reads back as the same double, with ".0"
// on whole numbers ("60.0", "0.25", "1e-05").
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

namespace concurrence::detail {

inline std::string python_float_repr(double x) {
    char buf[64];
    for (int precision = 1; precision <= 17; ++precision) {
        std::snprintf(buf, sizeof buf, "%.*g", precision, x);
        if (std::strtod(buf, nullptr) == x) break;
    }
    std::string text = buf;
    if (text.find_first_of(".eni") == std::string::npos) text += ".0";
    return text;
}

}  // namespace concurrence::detail
