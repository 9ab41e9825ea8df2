// The I/O backend seam: the loop waits here for readiness (or for a wake-up from another
// thread), on epoll or io_uring.
//
// A watched descriptor reports to an IoSource. Two ways to watch one:
//   level  Python's selectors: the interest (readable, writable) is what the owner says now,
//          and a ready descriptor is reported at every poll until the owner acts (add_reader
//          and the sock_* operations, which come and go);
//   edge   registered once for both directions and reported when its readiness changes: the
//          owner keeps the readiness it was told until a system call says EAGAIN (transports,
//          which own their descriptor from start to close: no system call to re-arm).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace concurrence::io {

// Readiness bits of IoSource::io_event.
inline constexpr std::uint32_t readable = 1;
inline constexpr std::uint32_t writable = 2;
inline constexpr std::uint32_t error = 4;   // an error is pending on the descriptor
inline constexpr std::uint32_t hangup = 8;  // the peer closed (or both directions are shut)

enum class Trigger : std::uint8_t { level, edge };

class IoSource {
public:
    // Called inside Poller::poll: schedules work on the loop, never runs user code (so that no
    // registration changes while the poller walks what the kernel returned).
    virtual void io_event(std::uint32_t events) = 0;

protected:
    ~IoSource() = default;
};

// Completion-based receiving (io_uring): instead of saying "readable", the kernel reads into a
// buffer it takes from a pool the poller owns, and reports what it read.
class ReceiveSink {
public:
    // Called inside Poller::poll, like io_event: records and schedules, never runs user code.
    // result is
    //   > 0        bytes read into Poller::receive_buffer(buffer), the sink's until it gives it
    //              back (release_receive_buffer);
    //   0          the end of the stream;
    //   -ENOBUFS   data waits but the pool was empty: nothing was read (read it another way);
    //   -ECANCELED cancelled before anything more came;
    //   < 0        another error (-errno).
    // more: the receive goes on (it reports again, in the stream's order); otherwise it is
    // over (always after 0 or an error), and the sink starts another one if it wants more.
    virtual void received(int result, std::uint16_t buffer, bool more) = 0;

protected:
    ~ReceiveSink() = default;
};

class Poller {
public:
    virtual ~Poller() = default;
    // Waits at most timeout_ns (negative: forever, 0: just look), calling io_event on the
    // sources of the ready descriptors. Returns true if woken by wakeup() (consumed).
    virtual bool poll(std::int64_t timeout_ns) = 0;
    // Thread-safe and async-signal-safe: makes a blocked (or the next) poll() return.
    virtual void wakeup() noexcept = 0;
    // "epoll" or "io_uring".
    virtual const char* name() const noexcept = 0;

    // Registration; `interest` is readable|writable (edge: ignored, both are watched). Throw
    // OSError (e.g. EPERM: a regular file, which epoll cannot watch).
    virtual void add(int fd, std::uint32_t interest, Trigger trigger, IoSource* source) = 0;
    virtual void modify(int fd, std::uint32_t interest, Trigger trigger, IoSource* source) = 0;
    // Never fails (a descriptor already closed left the kernel's set by itself).
    virtual void remove(int fd) noexcept = 0;

    // Completion-based receiving, where the backend has it (io_uring on Linux 5.19 or later;
    // never epoll): the kernel reads into the pool's buffers (up to receive_buffer_size bytes
    // each) as data comes, and each read is reported, until the receive is over (see
    // ReceiveSink). A descriptor has at most one receive at a time.
    bool receives_completions() const noexcept { return receive_buffers_ != nullptr; }
    virtual void start_receive(int fd, ReceiveSink* sink);
    // Asks the kernel to end the receive: it still reports what it read before the cancel
    // took effect, then its end (-ECANCELED, or another end if that came first).
    virtual void cancel_receive(int fd) noexcept;
    // Forgets the receive at once: it is not reported (what it reads late is dropped and its
    // buffer recycled). For a descriptor about to be closed.
    virtual void stop_receive(int fd) noexcept;
    const char* receive_buffer(std::uint16_t buffer) const noexcept {
        return receive_buffers_ + std::size_t{buffer} * receive_buffer_size;
    }
    virtual void release_receive_buffer(std::uint16_t buffer) noexcept;
    static constexpr std::size_t receive_buffer_size = 4 * 1024;

    // True when descriptors other than the wake-up channel are watched. Without them, a poll
    // that must not block has nothing to report that the wake-up flag does not already say,
    // and the loop skips the system call. (Not virtual: the loop asks at every iteration.)
    bool watches_io() const noexcept { return watched_ > 0; }

protected:
    int watched_ = 0;  // descriptors registered besides the wake-up one (backends keep it)
    const char* receive_buffers_ = nullptr;  // the pool, where the backend receives completions
};

// The backends (each throws OSError if the system refuses it, e.g. ENOSYS or EPERM for
// io_uring under a seccomp policy).
std::unique_ptr<Poller> make_epoll_poller();
// io_uring's receives are multishot (one request reads until it is cancelled); one_shot_receives
// makes each receive a single read, as on kernels before 6.0 (which refuse multishot receives:
// the poller then switches by itself). Tests use it to run both ways.
std::unique_ptr<Poller> make_uring_poller(bool one_shot_receives = false);

// The loop's choice: `automatic` is epoll, or io_uring (where the system allows it) when the
// environment variable CONCURRENCE_BACKEND says io_uring.
enum class Kind : std::uint8_t { automatic, io_uring, epoll };
std::unique_ptr<Poller> make_poller(Kind kind);

}  // namespace concurrence::io
