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

std::uint32_t epoll_mask(std::uint32_t interest, Trigger trigger) {
    if (trigger == Trigger::edge) return EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    std::uint32_t mask = 0;
    if (interest & readable) mask |= EPOLLIN;
    if (interest & writable) mask |= EPOLLOUT;
    return mask;
}

std::uint32_t epoll_readiness(std::uint32_t events) {
    std::uint32_t bits = 0;
    if (events & EPOLLIN) bits |= readable;
    if (events & EPOLLOUT) bits |= writable;
    if (events & EPOLLERR) bits |= error;
    if (events & (EPOLLHUP | EPOLLRDHUP)) bits |= hangup;
    return bits;
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
        epoll_event events[64];
        int n = ::epoll_wait(epfd_, events, 64, timeout_ms);
        if (n < 0) {
            if (errno == EINTR) return false;
            throw_errno("epoll_wait");
        }
        bool woken = false;
        for (int i = 0; i < n; ++i) {
            auto* source = static_cast<IoSource*>(events[i].data.ptr);
            if (source == nullptr) {
                std::uint64_t value;
                while (::read(wakefd_, &value, sizeof value) > 0) {
                }
                woken = true;
            } else {
                source->io_event(epoll_readiness(events[i].events));
            }
        }
        return woken;
    }

    void wakeup() noexcept override {
        const std::uint64_t one = 1;
        // EAGAIN means the counter is already non-zero: the loop will wake anyway.
        [[maybe_unused]] auto r = ::write(wakefd_, &one, sizeof one);
    }

    const char* name() const noexcept override { return "epoll"; }

    void add(int fd, std::uint32_t interest, Trigger trigger, IoSource* source) override {
        control(EPOLL_CTL_ADD, fd, interest, trigger, source);
        ++watched_;
    }
    void modify(int fd, std::uint32_t interest, Trigger trigger, IoSource* source) override {
        control(EPOLL_CTL_MOD, fd, interest, trigger, source);
    }
    void remove(int fd) noexcept override {
        epoll_event ev{};
        ::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, &ev);
        --watched_;
    }

private:
    void control(int op, int fd, std::uint32_t interest, Trigger trigger, IoSource* source) {
        epoll_event ev{};
        ev.events = epoll_mask(interest, trigger);
        ev.data.ptr = source;
        if (::epoll_ctl(epfd_, op, fd, &ev) < 0) throw_os_error(errno);
    }

    int epfd_ = -1;
    int wakefd_ = -1;
};

}  // namespace

std::unique_ptr<Poller> make_epoll_poller() { return std::make_unique<EpollPoller>(); }

}  // namespace concurrence::io
