// io_uring backend. Readiness: the same contract as the epoll backend (src/io/poller.hpp) with
// io_uring's poll requests instead of epoll_ctl. An edge watch is one multishot poll (EPOLLET),
// armed once; a level watch is a one-shot poll, armed again before each wait while its owner
// still wants it (a ready descriptor completes it at once: level semantics).
// Completions (provided-buffer rings: Linux 5.19 and later): a receive is a multishot recv
// (Linux 6.0) that reads into buffers the kernel picks from a ReceivePool as data comes, with
// no readiness round trip and nothing to submit per message; it goes on until it is cancelled,
// the pool runs dry or the stream ends. Its owner bounds what it reads past a pause by
// cancelling it (docs/design.md). A kernel that refuses multishot receives (EINVAL) gets
// one-shot ones from then on: one recv per request, armed again by the owner.
//
// Requests are queued as submissions and go to the kernel with the next wait, in the same
// system call; only remove() and stop_receive() submit at once, so that a socket closed right
// after them is not kept open by a request still holding it. The ring runs the kernel's
// deferred work (the receives' copies) when the loop enters it, not by interrupting the
// thread (COOP_TASKRUN: measured 8.3 against 5.8 us of server CPU per W4 message without it).
//
// A completion names its request by (fd, kind, generation): a watch or a receive replaced or
// dropped since the request was made has a new generation (or none), and its late
// completions are ignored (a late receive's buffer goes back to the pool).
#include <fcntl.h>
#include <liburing.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "concurrence/base/errors.hpp"
#include "io/poller.hpp"
#include "io/uring/receive_pool.hpp"

namespace concurrence::io {
namespace {

constexpr std::uint64_t wakeup_tag = ~std::uint64_t{0};
constexpr std::uint64_t ignore_tag = ~std::uint64_t{0} - 1;  // POLL_REMOVE's own completion
// Small rings: a loop's creation is mostly the kernel clearing their pages (measured: 265 us
// for 1024 + 8192 entries, 31 us for these). A full submission queue is submitted on the way;
// completions beyond the queue wait in the kernel's overflow list (nothing is lost).
constexpr unsigned ring_entries = 256;
constexpr unsigned completion_entries = 2048;
constexpr std::uint32_t receive_bit = 0x8000'0000;   // in a tag: a receive, not a watch
constexpr std::uint32_t generation_mask = 0x7fff'ffff;

std::uint64_t tag(int fd, std::uint32_t generation) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(fd)) << 32) | generation;
}

int setup_ring(io_uring& ring) {
    io_uring_params params{};
    params.flags = IORING_SETUP_CQSIZE | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
    params.cq_entries = completion_entries;
    int rc = ::io_uring_queue_init_params(ring_entries, &ring, &params);
    if (rc == -EINVAL) {  // before Linux 5.19: no cooperative task running
        params = io_uring_params{};
        params.flags = IORING_SETUP_CQSIZE;
        params.cq_entries = completion_entries;
        rc = ::io_uring_queue_init_params(ring_entries, &ring, &params);
    }
    return rc;
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
    explicit UringPoller(bool one_shot_receives) : multishot_(!one_shot_receives) {
        const int rc = setup_ring(ring_);
        if (rc < 0) throw OSError(-rc, "[Errno " + std::to_string(-rc) + "] io_uring_setup: " + std::strerror(-rc), true);
        wakefd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (wakefd_ < 0) {
            const int err = errno;
            ::io_uring_queue_exit(&ring_);
            throw_os_error(err);
        }
        arm_wakeup();
        ::io_uring_submit(&ring_);
        try {  // refused before Linux 5.19: readiness only
            pool_.emplace(ring_, receive_buffer_size);
            receive_buffers_ = pool_->buffers();
        } catch (const OSError&) {
        }
    }
    ~UringPoller() override {
        if (pool_) drain_receives();
        pool_.reset();
        ::io_uring_queue_exit(&ring_);  // cancels every request still armed
        ::close(wakefd_);
    }

    bool poll(std::int64_t timeout_ns) override {
        rearm_level_watches();
        io_uring_cqe* cqe = nullptr;
        if (timeout_ns == 0) {
            // Enter the kernel only for something: submissions, deferred work to run (the
            // receives' copies), completions that overflowed the queue.
            const unsigned kflags = IO_URING_READ_ONCE(*ring_.sq.kflags);
            if (::io_uring_sq_ready(&ring_) > 0 || (kflags & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW)))
                ::io_uring_submit_and_get_events(&ring_);
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
            if (static_cast<std::uint32_t>(cqe->user_data) & receive_bit && cqe->user_data < ignore_tag)
                receive_completed(cqe->user_data, cqe->res, cqe->flags);
            else
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

    void start_receive(int fd, ReceiveSink* sink) override {
        if (!pool_) throw_os_error(ENOTSUP);
        if (fd < 0) throw_os_error(EBADF);
        if (static_cast<std::size_t>(fd) >= receives_.size()) receives_.resize(static_cast<std::size_t>(fd) + 1);
        Receive& r = receives_[static_cast<std::size_t>(fd)];
        if (r.sink) throw_os_error(EEXIST);
        io_uring_sqe* sqe = next_sqe();
        r = Receive{sink, next_generation() | receive_bit, false, multishot_};
        prep_receive(sqe, fd, r);
        ++watched_;
    }

    void cancel_receive(int fd) noexcept override {
        Receive* r = receive_of(fd);
        if (!r || r->cancelling) return;
        r->cancelling = cancel_request(tag(fd, r->generation));
    }

    void stop_receive(int fd) noexcept override {
        Receive* r = receive_of(fd);
        if (!r) return;
        if (!r->cancelling && cancel_request(tag(fd, r->generation))) ::io_uring_submit(&ring_);
        *r = Receive{};
        --watched_;
    }

    void release_receive_buffer(std::uint16_t buffer) noexcept override { pool_->release(buffer); }

    void add(int fd, std::uint32_t interest, Trigger trigger, IoSource* source) override {
        check_pollable(fd);
        if (watches_.count(fd)) throw_os_error(EEXIST);
        Watch& w = watches_[fd];
        w = Watch{source, interest, trigger, next_generation(), false};
        arm(fd, w);
        ++watched_;
    }

    void modify(int fd, std::uint32_t interest, Trigger trigger, IoSource* source) override {
        auto it = watches_.find(fd);
        if (it == watches_.end()) throw_os_error(ENOENT);
        Watch& w = it->second;
        if (w.armed) cancel(tag(fd, w.generation));
        w = Watch{source, interest, trigger, next_generation(), false};
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
    struct Receive {
        ReceiveSink* sink = nullptr;
        std::uint32_t generation = 0;  // with receive_bit
        bool cancelling = false;
        bool multishot = false;
    };

    void prep_receive(io_uring_sqe* sqe, int fd, const Receive& r) noexcept {
        if (r.multishot)
            ::io_uring_prep_recv_multishot(sqe, fd, nullptr, 0, 0);  // (the length: the buffers')
        else
            ::io_uring_prep_recv(sqe, fd, nullptr, receive_buffer_size, 0);
        sqe->flags |= IOSQE_BUFFER_SELECT;
        sqe->buf_group = uring::ReceivePool::group;
        ::io_uring_sqe_set_data64(sqe, tag(fd, r.generation));
        ++receives_in_flight_;
    }

    std::uint32_t next_generation() noexcept { return ++generation_ & generation_mask; }

    // Queues a cancel of the request tagged user_data; false if no submission entry could be
    // had (the request then ends by itself with its socket, and its completions are dropped).
    bool cancel_request(std::uint64_t user_data, int flags = 0) noexcept {
        io_uring_sqe* sqe = try_next_sqe();
        if (!sqe) return false;
        ::io_uring_prep_cancel64(sqe, user_data, flags);
        ::io_uring_sqe_set_data64(sqe, ignore_tag);
        return true;
    }

    Receive* receive_of(int fd) noexcept {
        if (fd < 0 || static_cast<std::size_t>(fd) >= receives_.size()) return nullptr;
        Receive& r = receives_[static_cast<std::size_t>(fd)];
        return r.sink ? &r : nullptr;
    }

    void receive_completed(std::uint64_t user_data, int res, unsigned flags) {
        const bool more = flags & IORING_CQE_F_MORE;
        if (!more) --receives_in_flight_;
        const auto buffer = static_cast<std::uint16_t>(flags >> IORING_CQE_BUFFER_SHIFT);
        const int fd = static_cast<int>(user_data >> 32);
        Receive* r = receive_of(fd);
        if (!r || r->generation != static_cast<std::uint32_t>(user_data)) {
            if (flags & IORING_CQE_F_BUFFER) pool_->release(buffer);  // stale: nobody wants what it read
            return;
        }
        if (res == -EINVAL && r->multishot) {
            // A kernel without multishot receives (before 6.0): one-shot ones from now on. The
            // request read nothing; one being cancelled just ends, as a cancel would have.
            multishot_ = false;
            r->multishot = false;
            if (r->cancelling) {
                res = -ECANCELED;
            } else if (io_uring_sqe* sqe = try_next_sqe()) {
                prep_receive(sqe, fd, *r);
                return;
            }
        }
        ReceiveSink* sink = r->sink;
        if (!more) {
            *r = Receive{};
            --watched_;
        }
        sink->received(res, buffer, more);
    }

    // Before the buffers go: every receive cancelled, and its completion seen, so that
    // the kernel has nowhere left to write. Bounded: if the kernel does not answer in time,
    // the buffers are leaked rather than freed under it.
    void drain_receives() noexcept {
        if (receives_in_flight_ > 0) cancel_request(0, IORING_ASYNC_CANCEL_ANY);
        receives_.clear();
        for (int tries = 0; receives_in_flight_ > 0 && tries < 100; ++tries) {
            __kernel_timespec ts{0, 10'000'000};
            io_uring_cqe* cqe = nullptr;
            ::io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
            unsigned head;
            unsigned seen = 0;
            io_uring_for_each_cqe(&ring_, head, cqe) {
                ++seen;
                if (static_cast<std::uint32_t>(cqe->user_data) & receive_bit && cqe->user_data < ignore_tag) {
                    if (!(cqe->flags & IORING_CQE_F_MORE)) --receives_in_flight_;
                    if (cqe->flags & IORING_CQE_F_BUFFER)
                        pool_->release(static_cast<std::uint16_t>(cqe->flags >> IORING_CQE_BUFFER_SHIFT));
                }
            }
            ::io_uring_cq_advance(&ring_, seen);
        }
        if (receives_in_flight_ > 0) pool_->leak();
    }

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
        io_uring_sqe* sqe = try_next_sqe();
        if (!sqe) throw RuntimeError("io_uring: no submission queue entry available");
        return sqe;
    }
    // Null if none can be had even after submitting what is queued.
    io_uring_sqe* try_next_sqe() noexcept {
        io_uring_sqe* sqe = ::io_uring_get_sqe(&ring_);
        if (!sqe) {  // the submission queue is full: hand it to the kernel and go on
            ::io_uring_submit(&ring_);
            sqe = ::io_uring_get_sqe(&ring_);
        }
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
    std::optional<uring::ReceivePool> pool_;       // where the kernel has completion receives
    std::vector<Receive> receives_;  // by descriptor (a null sink: none)
    int receives_in_flight_ = 0;  // receives whose last completion is still to come
    bool multishot_;              // new receives are multishot (until the kernel refuses one)
};

}  // namespace

std::unique_ptr<Poller> make_uring_poller(bool one_shot_receives) {
    return std::make_unique<UringPoller>(one_shot_receives);
}

}  // namespace concurrence::io
