// Open descriptors of this process: a test counts them before and after to catch leaks.
#pragma once

#include <dirent.h>

namespace test_support {

inline int open_fd_count() {
    int n = 0;
    if (DIR* dir = ::opendir("/proc/self/fd")) {
        while (::readdir(dir)) ++n;
        ::closedir(dir);
    }
    return n;
}

}  // namespace test_support
