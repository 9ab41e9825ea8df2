// io_uring backend, readiness mode: the same contract as the epoll backend (src/io/poller.hpp)
// with io_uring's poll requests instead of epoll_ctl. An edge watch is one multishot poll
// (EPOLLET), armed once; a level watch is a one-shot poll, armed again before each wait while
// its owner still wants it (a ready descriptor completes it at once: level semantics).
// Registration changes are queued as submissions and go to the kernel with the next wait, in
// the same system call; only remove() submits at once, so that a socket closed right after it
// is not kept open by a poll request still holding it.
//
// A completion names its watch by (fd, generation): a watch modified or removed since the
// request was made has a new generation (or none), and its late completions are ignored.
#include <fcntl.h>
#include <liburing.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include "concurrence/base/errors.hpp"
#include "io/poller.hpp"

namespace concurrence::io {
namespace {

constexpr std::uint64_t wakeup_tag = ~std::uint64_t{0};
constexpr std::uint64_t ignore_tag = ~std::uint64_t{0} - 1;  // POLL_REMOVE's own completion
constexpr unsigned ring_entries = 1024;

std::uint64_t tag(int fd, std::uint32_t generation) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(fd)) << 32) | generation;
}

unsigned poll_mask(std::uint32_t interest, Trigger trigger) {
    if (trigger == Trigger::edge) return POLLIN | POLLOUT | POLLRDHUP | EPOLLET;
    unsigned mask = 0;
    if (interest & readable) mask |= POLLIN;
    if (interest & writable) mask |= POLLOUT;
    return mask;
}

std::uint32_t poll_readiness(unsigned revents) {
    std::uint32_t bits = 0;
    if (revents & POLLIN) bits |= readable;
    if (revents & POLLOUT) bits |= writable;
    if (revents & POLLERR) bits |= error;
    if (revents & (POLLHUP | POLLRDHUP)) bits |= hangup;
    return bits;
}

class UringPoller final : public Poller {
public:
    UringPoller() {
        io_uring_params params{};
        const int rc = ::io_uring_queue_init_params(ring_entries, &ring_, &params);
        if (rc < 0) throw OSError(-rc, "[Errno " + std::to_string(-rc) + "] io_uring_setup: " + std::strerror(-rc), true);
        wakefd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (wakefd_ < 0) {
            const int err = errno;
            ::io_uring_queue_exit(&ring_);
            throw_os_error(err);
        }
        arm_wakeup();
        ::io_uring_submit(&ring_);
    }
    ~UringPoller() override {
        ::io_uring_queue_exit(&ring_);  // cancels every request still armed
        ::close(wakefd_);
    }

    bool poll(std::int64_t timeout_ns) override {
        rearm_level_watches();
        io_uring_cqe* cqe = nullptr;
        if (timeout_ns == 0) {
            ::io_uring_submit(&ring_);
        } else {
            __kernel_timespec ts{};
            __kernel_timespec* tsp = nullptr;
            if (timeout_ns > 0) {
                ts.tv_sec = timeout_ns / 1'000'000'000;
                ts.tv_nsec = timeout_ns % 1'000'000'000;
                tsp = &ts;
            }
            const int rc = ::io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, tsp, nullptr);
            if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY)
                throw RuntimeError(std::string("io_uring_enter: ") + std::strerror(-rc));
        }
        bool woken = false;
        unsigned head;
        unsigned seen = 0;
        io_uring_for_each_cqe(&ring_, head, cqe) {
            ++seen;
            complete(cqe->user_data, cqe->res, cqe->flags, woken);
        }
        ::io_uring_cq_advance(&ring_, seen);
        return woken;
    }

    void wakeup() noexcept override {
        const std::uint64_t one = 1;
        [[maybe_unused]] auto r = ::write(wakefd_, &one, sizeof one);
    }

    const char* name() const noexcept override { return "io_uring"; }

    void add(int fd, std::uint32_t interest, Trigger trigger, IoSource* source) override {
        check_pollable(fd);
        if (watches_.count(fd)) throw_os_error(EEXIST);
        Watch& w = watches_[fd];
        w = Watch{source, interest, trigger, ++generation_, false};
        arm(fd, w);
        ++watched_;
    }

    void modify(int fd, std::uint32_t interest, Trigger trigger, IoSource* source) override {
        auto it = watches_.find(fd);
        if (it == watches_.end()) throw_os_error(ENOENT);
        Watch& w = it->second;
        if (w.armed) cancel(tag(fd, w.generation));
        w = Watch{source, interest, trigger, ++generation_, false};
        arm(fd, w);
    }

    void remove(int fd) noexcept override {
        auto it = watches_.find(fd);
        if (it == watches_.end()) return;
        if (it->second.armed) {
            cancel(tag(fd, it->second.generation));
            ::io_uring_submit(&ring_);
        }
        watches_.erase(it);
        --watched_;
    }

private:
    struct Watch {
        IoSource* source = nullptr;
        std::uint32_t interest = 0;
        Trigger trigger = Trigger::level;
        std::uint32_t generation = 0;
        bool armed = false;
    };

    // epoll refuses regular files and directories (EPERM) and bad descriptors (EBADF); so do
    // we, so that add_reader behaves the same on both backends.
    static void check_pollable(int fd) {
        struct stat st {};
        if (::fstat(fd, &st) < 0) throw_os_error(errno);
        if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) throw_os_error(EPERM);
    }

    io_uring_sqe* next_sqe() {
        io_uring_sqe* sqe = ::io_uring_get_sqe(&ring_);
        if (!sqe) {  // the submission queue is full: hand it to the kernel and go on
            ::io_uring_submit(&ring_);
            sqe = ::io_uring_get_sqe(&ring_);
        }
        if (!sqe) throw RuntimeError("io_uring: no submission queue entry available");
        return sqe;
    }

    void arm(int fd, Watch& w) {
        const unsigned mask = poll_mask(w.interest, w.trigger);
        if (mask == 0) return;
        io_uring_sqe* sqe = next_sqe();
        if (w.trigger == Trigger::edge)
            ::io_uring_prep_poll_multishot(sqe, fd, mask);
        else
            ::io_uring_prep_poll_add(sqe, fd, mask);
        ::io_uring_sqe_set_data64(sqe, tag(fd, w.generation));
        w.armed = true;
    }

    void arm_wakeup() {
        io_uring_sqe* sqe = next_sqe();
        ::io_uring_prep_poll_multishot(sqe, wakefd_, POLLIN);
        ::io_uring_sqe_set_data64(sqe, wakeup_tag);
    }

    void cancel(std::uint64_t user_data) {
        io_uring_sqe* sqe = next_sqe();
        ::io_uring_prep_poll_remove(sqe, user_data);
        ::io_uring_sqe_set_data64(sqe, ignore_tag);
    }

    void rearm_level_watches() {
        for (auto [fd, generation] : rearm_) {
            auto it = watches_.find(fd);
            if (it != watches_.end() && it->second.generation == generation && !it->second.armed)
                arm(fd, it->second);
        }
        rearm_.clear();
    }

    void complete(std::uint64_t user_data, int res, unsigned flags, bool& woken) {
        if (user_data == ignore_tag) return;
        if (user_data == wakeup_tag) {
            std::uint64_t value;
            while (::read(wakefd_, &value, sizeof value) > 0) {
            }
            woken = true;
            if (!(flags & IORING_CQE_F_MORE)) arm_wakeup();
            return;
        }
        const int fd = static_cast<int>(user_data >> 32);
        const auto generation = static_cast<std::uint32_t>(user_data);
        auto it = watches_.find(fd);
        if (it == watches_.end() || it->second.generation != generation) return;  // stale
        Watch& w = it->second;
        const bool more = flags & IORING_CQE_F_MORE;
        if (!more) {
            w.armed = false;
            // A one-shot (level) poll is armed again before the next wait; a multishot one that
            // the kernel ended (not an error) at once.
            if (w.trigger == Trigger::level)
                rearm_.emplace_back(fd, generation);
            else if (res >= 0)
                arm(fd, w);
        }
        if (res == -ECANCELED) return;
        const std::uint32_t events = res < 0 ? (error | readable | writable) : poll_readiness(static_cast<unsigned>(res));
        w.source->io_event(events);
    }

    io_uring ring_{};
    int wakefd_ = -1;
    std::uint32_t generation_ = 0;
    std::unordered_map<int, Watch> watches_;
    std::vector<std::pair<int, std::uint32_t>> rearm_;
};

}  // namespace

std::unique_ptr<Poller> make_uring_poller() { return std::make_unique<UringPoller>(); }

}  // namespace concurrence::io
