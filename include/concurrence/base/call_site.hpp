// Where a call was written, captured by default arguments: `void f(CallSite where = CallSite())`
// gets the caller's file and line (debug mode keeps where each task was created).
#pragma once

namespace concurrence {

struct CallSite {
    explicit CallSite(const char* file_name = __builtin_FILE(), unsigned line_number = __builtin_LINE()) noexcept
        : file(file_name), line(line_number) {}
    const char* file;
    unsigned line;
};

}  // namespace concurrence
