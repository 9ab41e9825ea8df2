// A stream transport's write buffer: the bytes the kernel has not taken yet, in order.
// Shared by the socket and the pipe transports.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace concurrence::net::detail {

class WriteBuffer {
public:
    std::size_t size() const noexcept { return data_.size() - sent_; }
    const char* pending() const noexcept { return data_.data() + sent_; }
    void append(std::string_view data) { data_.append(data); }
    // n of the pending bytes went out. The sent prefix is dropped when nothing is left, and
    // now and then before (not after every send: that would copy the rest each time).
    void consume(std::size_t n) {
        sent_ += n;
        if (size() == 0)
            clear();
        else if (sent_ >= 64 * 1024 && 2 * sent_ >= data_.size()) {
            data_.erase(0, sent_);
            sent_ = 0;
        }
    }
    void clear() noexcept {
        data_.clear();
        sent_ = 0;
    }

private:
    std::string data_;  // data_[sent_..] is still to send
    std::size_t sent_ = 0;
};

}  // namespace concurrence::net::detail
