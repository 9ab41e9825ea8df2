// What the sync suites share.
#pragma once

#include <regex>
#include <string>

namespace sync_test {

// CPython's RGX_REPR, in the library's shape: "<TYPE at 0x... [STATE...]>". `type` and
// `state` are regex alternatives ("locked|unlocked"); `extra` what may follow the state.
inline bool repr_matches(const std::string& repr, const std::string& type, const std::string& state,
                         const std::string& extra = R"((, waiters:\d+)?)") {
    const std::regex rgx("^<(" + type + ") at 0x[0-9a-fA-F]+ \\[(" + state + ")" + extra + "\\]>$");
    return std::regex_match(repr, rgx);
}

}  // namespace sync_test
