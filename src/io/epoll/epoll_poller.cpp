// epoll backend. The wake-up channel is an eventfd registered like any other descriptor.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "concurrence/base/errors.hpp"
#include "io/poller.hpp"

namespace concurrence::io {
namespace {

[[noreturn]] void throw_errno(const char* what) {
    throw RuntimeError(std::string(what) + ": " + std::strerror(errno));
}

class EpollPoller final : public Poller {
public:
    EpollPoller() {
        epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
        if (epfd_ < 0) throw_errno("epoll_create1");
        wakefd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (wakefd_ < 0) {
            ::close(epfd_);
            throw_errno("eventfd");
        }
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.ptr = nullptr;  // the wake-up descriptor
        if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, wakefd_, &ev) < 0) {
            ::close(wakefd_);
            ::close(epfd_);
            throw_errno("epoll_ctl");
        }
    }
    ~EpollPoller() override {
        ::close(wakefd_);
        ::close(epfd_);
    }

    bool poll(std::int64_t timeout_ns) override {
        // epoll_wait counts milliseconds: round up, so that a timer is never polled for early
        // and the loop does not spin until it is due.
        int timeout_ms = -1;
        if (timeout_ns >= 0) {
            const std::int64_t ms = (timeout_ns + 999'999) / 1'000'000;
            timeout_ms = ms > 86'400'000 ? 86'400'000 : static_cast<int>(ms);
        }
        epoll_event events[16];
        int n = ::epoll_wait(epfd_, events, 16, timeout_ms);
        if (n < 0) {
            if (errno == EINTR) return false;
            throw_errno("epoll_wait");
        }
        bool woken = false;
        for (int i = 0; i < n; ++i) {
            if (events[i].data.ptr == nullptr) {
                std::uint64_t value;
                while (::read(wakefd_, &value, sizeof value) > 0) {
                }
                woken = true;
            }
        }
        return woken;
    }

    void wakeup() noexcept override {
        const std::uint64_t one = 1;
        // EAGAIN means the counter is already non-zero: the loop will wake anyway.
        [[maybe_unused]] auto r = ::write(wakefd_, &one, sizeof one);
    }

private:
    int epfd_ = -1;
    int wakefd_ = -1;
};

}  // namespace

std::unique_ptr<Poller> make_default_poller() { return std::make_unique<EpollPoller>(); }

}  // namespace concurrence::io
