// add_reader / add_writer: the callbacks watching one descriptor, as Python's selector key
// (reader handle, writer handle). Level-triggered: a ready descriptor schedules its callbacks
// at every iteration until they are removed.
#pragma once

#include <cstdint>
#include <utility>

#include "concurrence/loop/event_loop.hpp"
#include "concurrence/loop/handle.hpp"
#include "io/poller.hpp"

namespace concurrence::asyncio::detail {

class FdWatch final : public io::IoSource {
public:
    FdWatch(EventLoop& loop, int fd) : loop_(loop), fd_(fd) {}
    FdWatch(const FdWatch&) = delete;
    FdWatch& operator=(const FdWatch&) = delete;
    ~FdWatch() {
        // Emptied before the releases: a callback's captures, destroyed there, may look here.
        HandleCore* reader = std::exchange(reader_, nullptr);
        HandleCore* writer = std::exchange(writer_, nullptr);
        if (reader) reader->release();
        if (writer) writer->release();
    }

    int fd() const { return fd_; }
    std::uint32_t interest() const {
        return (reader_ ? io::readable : 0u) | (writer_ ? io::writable : 0u);
    }
    // Installs h (adopting its reference) and returns the callback it replaces (its reference
    // is the caller's to cancel and drop).
    HandleCore* set(bool writer, HandleCore* h) {
        HandleCore*& slot = writer ? writer_ : reader_;
        HandleCore* old = slot;
        slot = h;
        return old;
    }

    // Python's selectors: an error or a hang-up wakes both directions (the callbacks find
    // out which by their own system call).
    void io_event(std::uint32_t events) override {
        if (reader_ && (events & ~io::writable)) schedule(reader_);
        if (writer_ && (events & ~io::readable)) schedule(writer_);
    }

private:
    void schedule(HandleCore* h) {
        if (h->cancelled()) return;  // Python removes it; removal happens when its owner says
        h->add_ref();               // the ready queue's reference
        loop_.schedule(h);
    }

    EventLoop& loop_;
    int fd_;
    HandleCore* reader_ = nullptr;
    HandleCore* writer_ = nullptr;
};

}  // namespace concurrence::asyncio::detail
