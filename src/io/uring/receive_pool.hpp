// The buffers io_uring receives into: a ring of provided buffers registered with the kernel
// (one buffer group), from which a receive takes one when data has come. A buffer the kernel
// filled is the poller's sink's until it gives it back; given back, it goes to the ring's tail.
//
// A few small buffers rather than one per connection: 10,000 idle connections cost none, and
// the few buffers cycling stay in the cache. A buffer is held from its completion to the
// transport's next step (one loop iteration), so the pool only has to cover one iteration's
// receives; when it runs dry, a receive says ENOBUFS and the transport reads by itself.
#pragma once

#include <liburing.h>

#include <cstddef>
#include <cstdint>
#include <memory>

namespace concurrence::io::uring {

class ReceivePool {
public:
    static constexpr unsigned count = 256;  // a power of two (the ring's mask)
    static constexpr std::uint16_t group = 0;

    // Registers the buffers with the ring. Throws OSError if the kernel refuses (before 5.19).
    ReceivePool(io_uring& ring, std::size_t buffer_size);
    // Unregisters. The caller made sure no receive that could still fill a buffer is in flight
    // (else it calls leak() first: the memory stays, the kernel may write into it).
    ~ReceivePool();
    ReceivePool(const ReceivePool&) = delete;
    ReceivePool& operator=(const ReceivePool&) = delete;

    const char* buffers() const noexcept { return buffers_.get(); }
    void release(std::uint16_t id) noexcept {
        ::io_uring_buf_ring_add(entries_, buffers_.get() + std::size_t{id} * buffer_size_,
                                static_cast<unsigned>(buffer_size_), id, ::io_uring_buf_ring_mask(count), 0);
        ::io_uring_buf_ring_advance(entries_, 1);
    }
    void leak() noexcept { leaked_ = true; }

private:
    io_uring& ring_;
    std::size_t buffer_size_;
    io_uring_buf_ring* entries_ = nullptr;  // shared with the kernel (page-aligned)
    std::unique_ptr<char[]> buffers_;
    bool leaked_ = false;
};

}  // namespace concurrence::io::uring
