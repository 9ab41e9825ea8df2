// A transport's write-buffer water marks and the protocol's pause_writing/resume_writing
// (Python's FlowControlMixin of transports.py).
#pragma once

#include <cstddef>
#include <exception>
#include <optional>
#include <string>
#include <utility>

#include "concurrence/base/errors.hpp"
#include "concurrence/loop/event_loop.hpp"
#include "concurrence/net/protocols.hpp"

namespace concurrence::net::detail {

class WriteLimits {
public:
    static constexpr std::size_t default_high = 64 * 1024;

    // default_high_mark: the high-water mark set(nullopt, nullopt) means (TLS's is larger).
    // pause_at_mark: pause when the buffer reaches the mark (TLS's rule), not only past it.
    explicit WriteLimits(std::size_t default_high_mark = default_high, bool pause_at_mark = false)
        : default_high_(default_high_mark), high_(default_high_mark), low_(default_high_mark / 4),
          pause_at_mark_(pause_at_mark) {}

    void set(std::optional<std::size_t> high, std::optional<std::size_t> low) {
        const std::size_t h = high ? *high : (low ? 4 * *low : default_high_);
        const std::size_t l = low ? *low : h / 4;
        if (!(h >= l)) throw ValueError("high (" + std::to_string(h) + ") must be >= low (" + std::to_string(l) + ") must be >= 0");
        high_ = h;
        low_ = l;
    }
    std::pair<std::size_t, std::size_t> get() const { return {low_, high_}; }
    // The protocol was told pause_writing and not resume_writing yet (Python's _protocol_paused).
    bool paused() const { return paused_; }

    // After the buffer grew: pause the protocol's writing if it is over the high-water mark.
    void maybe_pause(std::size_t buffered, asyncio::BaseProtocol& protocol, asyncio::EventLoop& loop) {
        if (paused_ || (pause_at_mark_ ? buffered < high_ : buffered <= high_)) return;
        paused_ = true;
        try {
            protocol.pause_writing();
        } catch (...) {
            loop.call_exception_handler({"protocol.pause_writing() failed", std::current_exception()});
        }
    }
    // After the buffer shrank: resume it once under the low-water mark.
    void maybe_resume(std::size_t buffered, asyncio::BaseProtocol& protocol, asyncio::EventLoop& loop) {
        if (!paused_ || buffered > low_) return;
        paused_ = false;
        try {
            protocol.resume_writing();
        } catch (...) {
            loop.call_exception_handler({"protocol.resume_writing() failed", std::current_exception()});
        }
    }

private:
    std::size_t default_high_;
    std::size_t high_;
    std::size_t low_;
    bool pause_at_mark_;
    bool paused_ = false;
};

}  // namespace concurrence::net::detail
