#include "io/uring/receive_pool.hpp"

#include <sys/mman.h>

#include <cerrno>

#include "concurrence/base/errors.hpp"

namespace concurrence::io::uring {

ReceivePool::ReceivePool(io_uring& ring, std::size_t buffer_size) : ring_(ring), buffer_size_(buffer_size) {
    const std::size_t ring_bytes = count * sizeof(io_uring_buf);
    void* mem = ::mmap(nullptr, ring_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (mem == MAP_FAILED) throw_os_error(errno);
    entries_ = static_cast<io_uring_buf_ring*>(mem);
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<std::uintptr_t>(mem);
    reg.ring_entries = count;
    reg.bgid = group;
    const int rc = ::io_uring_register_buf_ring(&ring_, &reg, 0);
    if (rc < 0) {
        ::munmap(mem, ring_bytes);
        throw_os_error(-rc);
    }
    ::io_uring_buf_ring_init(entries_);
    // Left uninitialised: a page costs memory only once the kernel has written into it.
    buffers_.reset(new char[count * buffer_size_]);
    for (unsigned id = 0; id < count; ++id)
        ::io_uring_buf_ring_add(entries_, buffers_.get() + id * buffer_size_, static_cast<unsigned>(buffer_size_),
                                static_cast<unsigned short>(id), ::io_uring_buf_ring_mask(count), static_cast<int>(id));
    ::io_uring_buf_ring_advance(entries_, count);
}

ReceivePool::~ReceivePool() {
    if (leaked_) {
        (void)buffers_.release();  // the kernel may still write there: never reuse the memory
        return;
    }
    ::io_uring_unregister_buf_ring(&ring_, group);
    ::munmap(entries_, count * sizeof(io_uring_buf));
}

}  // namespace concurrence::io::uring
