// What loop.sock_sendfile (on a socket) and loop.sendfile (on a transport) share: Python's
// parameter checks, the file position left after what was sent, one sendfile(2) call, and
// the fallback's reads.
#pragma once

#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "concurrence/base/errors.hpp"
#include "concurrence/base/os_error.hpp"
#include "concurrence/bridge/run_in_executor.hpp"
#include "concurrence/task/coro.hpp"

namespace concurrence::net::detail {

// Python's _check_sendfile_params.
inline void check_sendfile_params(std::int64_t offset, std::optional<std::int64_t> count) {
    if (count && *count <= 0) throw ValueError("count must be a positive integer (got " + std::to_string(*count) + ")");
    if (offset < 0) throw ValueError("offset must be a non-negative integer (got " + std::to_string(offset) + ")");
}

// Python's _sock_sendfile_update_filepos: a file something was sent from is left after it.
struct FilePositionAfterSent {
    int file;
    std::int64_t start;  // the offset the send began at
    std::size_t sent = 0;
    // Where the next byte would be read.
    std::int64_t next() const { return start + static_cast<std::int64_t>(sent); }
    ~FilePositionAfterSent() {
        if (sent > 0) ::lseek(file, static_cast<off_t>(next()), SEEK_SET);
    }
};

// One sendfile(2) from the file's next byte: the count sent (0 at the end of the file), or
// -errno. At most 1 GiB per call.
inline std::int64_t sendfile_once(int sock, const FilePositionAfterSent& position, std::int64_t block) {
    off_t from = static_cast<off_t>(position.next());
    const ssize_t sent =
        ::sendfile(sock, position.file, &from, static_cast<std::size_t>(std::min<std::int64_t>(block, 1 << 30)));
    return sent >= 0 ? sent : -errno;
}

// Python's _sock_sendfile_native (unix_events): sendfile(2) chunk by chunk from `offset`
// until `count` bytes (all of the file, if none) or the end of the file, awaiting
// wait_writable(spent) after each chunk (spent: the socket said EAGAIN). A file sendfile
// cannot read: SendfileNotAvailableError, if nothing was sent yet.
template <class WaitWritable>
asyncio::Coro<std::size_t> sendfile_chunks(int sock, int file, std::int64_t offset, std::optional<std::int64_t> count,
                                           WaitWritable wait_writable) {
    struct stat st {};
    if (::fstat(file, &st) != 0) throw asyncio::SendfileNotAvailableError("not a regular file");
    std::int64_t block = count ? *count : static_cast<std::int64_t>(st.st_size);
    if (block == 0) co_return 0;  // an empty file
    FilePositionAfterSent position{file, offset};
    for (;;) {
        if (count) {
            block = *count - static_cast<std::int64_t>(position.sent);
            if (block <= 0) break;
        }
        const std::int64_t sent = sendfile_once(sock, position, block);
        if (sent < 0) {
            const int err = static_cast<int>(-sent);
            if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR) {
                co_await wait_writable(true);
                continue;
            }
            // Nothing sent yet: the file is not one sendfile can read (a pipe, a socket...).
            if (position.sent == 0) throw asyncio::SendfileNotAvailableError("os.sendfile call failed");
            throw_os_error(err);
        }
        if (sent == 0) break;  // the end of the file
        position.sent += static_cast<std::size_t>(sent);
        co_await wait_writable(false);
    }
    co_return position.sent;
}

// A read of a fallback, in the executor: the buffer is shared so that a cancelled send
// cannot free it under the read. Returns the count read, or -errno.
inline std::int64_t read_file_chunk(std::shared_ptr<std::string> buffer, int file, std::size_t n) {
    for (;;) {
        const ssize_t got = ::read(file, buffer->data(), n);
        if (got >= 0 || errno != EINTR) return got >= 0 ? got : -errno;
    }
}

// Python's fallbacks (_sock_sendfile_fallback, _sendfile_fallback): reads of `block` bytes in
// the default executor (a file read may block), each handed to `co_await send_chunk(view)`
// before the next read, until `count` bytes or the end of the file.
template <class SendChunk>
asyncio::Coro<std::size_t> sendfile_by_reading(asyncio::EventLoop& loop, int file, std::int64_t offset,
                                               std::optional<std::int64_t> count, std::size_t block,
                                               SendChunk send_chunk) {
    if (offset != 0 && ::lseek(file, static_cast<off_t>(offset), SEEK_SET) < 0) throw_os_error(errno);
    if (count) block = std::min<std::size_t>(static_cast<std::size_t>(*count), block);
    auto buffer = std::make_shared<std::string>(block, '\0');
    FilePositionAfterSent position{file, offset};
    for (;;) {
        if (count) {
            const std::int64_t left = *count - static_cast<std::int64_t>(position.sent);
            if (left <= 0) break;
            block = std::min(block, static_cast<std::size_t>(left));
        }
        const std::int64_t got = co_await loop.run_in_executor(nullptr, &read_file_chunk, buffer, file, block);
        if (got < 0) throw_os_error(static_cast<int>(-got));
        if (got == 0) break;
        co_await send_chunk(std::string_view(buffer->data(), static_cast<std::size_t>(got)));
        position.sent += static_cast<std::size_t>(got);
    }
    co_return position.sent;
}

}  // namespace concurrence::net::detail
