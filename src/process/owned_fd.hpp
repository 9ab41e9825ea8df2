// A descriptor this layer opened for a child (a pipe end, /dev/null, a copy moved above 2),
// closed when it goes out of scope.
#pragma once

#include <unistd.h>

#include <utility>

namespace concurrence::asyncio::subprocess::detail {

class OwnedFd {
public:
    OwnedFd() = default;
    explicit OwnedFd(int fd) : fd_(fd) {}
    OwnedFd(OwnedFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    OwnedFd& operator=(OwnedFd&& other) noexcept {
        std::swap(fd_, other.fd_);
        return *this;
    }
    ~OwnedFd() {
        if (fd_ >= 0) ::close(fd_);
    }
    int get() const { return fd_; }

private:
    int fd_ = -1;
};

}  // namespace concurrence::asyncio::subprocess::detail
