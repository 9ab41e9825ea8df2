// What a StreamReader shares: Python's StreamReader attributes (buffer, eof, exception,
// transport, paused, waiter). The waiter is the awaiter of the one read that waits for data;
// it lives in that read's coroutine frame.
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <string>
#include <string_view>

#include "concurrence/base/errors.hpp"
#include "concurrence/net/transport.hpp"
#include "concurrence/streams/stream_reader.hpp"
#include "concurrence/task/task_core.hpp"

namespace concurrence::asyncio::detail {

class DataWait;

struct ReaderState {
    explicit ReaderState(std::size_t limit_) : limit(limit_) {}

    std::size_t limit;
    std::string buffer;    // buffer[start..] is unread
    std::size_t start = 0;
    bool eof = false;
    std::exception_ptr exception;
    Transport* transport = nullptr;  // until the connection is lost
    bool paused = false;             // reading paused because the buffer is full
    DataWait* waiter = nullptr;

    std::size_t size() const { return buffer.size() - start; }
    std::string_view unread() const { return std::string_view(buffer).substr(start); }
    // Takes the first n unread bytes out.
    std::string take(std::size_t n) {
        std::string out = buffer.substr(start, n);
        start += n;
        if (start == buffer.size()) {
            clear();
        } else if (start >= 4096 && 2 * start >= buffer.size()) {
            buffer.erase(0, start);
            start = 0;
        }
        return out;
    }
    void clear() {
        // Emptied: a large allocation is given back (Python's bytearray shrinks too), so that a
        // connection idle after a burst keeps a small state, not up to 2 x limit plus one read
        // of capacity.
        if (buffer.capacity() > 64 * 1024)
            std::string().swap(buffer);
        else
            buffer.clear();
        start = 0;
    }
    void wakeup_waiter(bool failed);
    // Python's _maybe_resume_transport: the buffer went back under the limit.
    void maybe_resume_transport() {
        if (paused && size() <= limit) {
            paused = false;
            if (transport) transport->resume_reading();
        }
    }
};

// Python's _wait_for_data: parks the read until data, EOF or an error arrive.
class DataWait : public TaskWait {
public:
    explicit DataWait(ReaderState& s) : s_(s) {}
    // The read's frame can be destroyed while it waits (its task abandoned when the loop
    // closes) and the reader live on: it must not keep pointing here.
    ~DataWait() {
        if (s_.waiter == this) s_.waiter = nullptr;
    }
    DataWait(const DataWait&) = delete;
    DataWait& operator=(const DataWait&) = delete;
    bool await_ready() const noexcept { return false; }
    template <class P>
    void await_suspend(std::coroutine_handle<P> h, unsigned line = __builtin_LINE()) {
        ::concurrence::asyncio::detail::note_suspension(h, line);
        suspend(h);
        s_.waiter = this;
    }
    void await_resume() {
        resume_checks();
        // set_exception(nullptr) wakes the read too: then there is nothing to throw (and
        // rethrow_exception(nullptr) is undefined): the read goes on as after any wake-up.
        if (failed_ && s_.exception) std::rethrow_exception(s_.exception);
    }
    const char* wait_kind() const noexcept override { return "StreamReader.read"; }
    bool cancel_wait(TaskCore& task, const std::string&) override {
        s_.waiter = nullptr;
        wake_cancelled(task);
        return true;
    }
    void woken(bool failed) {
        failed_ = failed;
        wake();
    }

private:
    ReaderState& s_;
    bool failed_ = false;
};

inline void ReaderState::wakeup_waiter(bool failed) {
    if (DataWait* w = waiter) {
        waiter = nullptr;
        w->woken(failed);
    }
}

}  // namespace concurrence::asyncio::detail
