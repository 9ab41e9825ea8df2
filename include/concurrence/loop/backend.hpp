// The I/O backend of an event loop.
//
//   asyncio::EventLoop loop(asyncio::Backend::epoll);
//   asyncio::run(main(), {.backend = asyncio::Backend::epoll});
//   loop.backend_name();   // "io_uring" or "epoll"
//
// automatic (the default) is epoll for now: the io_uring backend has only its readiness mode
// yet, which measured slower than epoll (see docs/design.md); it will become the default with
// its completion-based transports. CONCURRENCE_BACKEND=io_uring in the environment makes
// automatic loops use io_uring where the kernel allows it (else epoll: io_uring refused by the
// kernel or a seccomp policy, or a build without liburing). Asking for Backend::io_uring
// explicitly where it is refused throws the system's OSError.
#pragma once

#include <cstdint>

namespace concurrence::asyncio {

enum class Backend : std::uint8_t { automatic, io_uring, epoll };

}  // namespace concurrence::asyncio
