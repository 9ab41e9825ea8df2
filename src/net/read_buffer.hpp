// The transports' read buffer: one per loop thread, shared by every transport of the thread
// (a protocol consumes the view it is given before the next read).
#pragma once

#include <cstddef>
#include <memory>

namespace concurrence::net::detail {

inline constexpr std::size_t max_read = 256 * 1024;  // Python's max_size

inline char* read_buffer() {
    thread_local std::unique_ptr<char[]> buffer;
    if (!buffer) buffer = std::make_unique<char[]>(max_read);
    return buffer.get();
}

}  // namespace concurrence::net::detail
