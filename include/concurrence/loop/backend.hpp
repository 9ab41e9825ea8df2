// The I/O backend of an event loop.
//
//   asyncio::EventLoop loop(asyncio::Backend::epoll);
//   asyncio::run(main(), {.backend = asyncio::Backend::epoll});
//   loop.backend_name();   // "io_uring" or "epoll"
//
// automatic (the default) is epoll: io_uring, even with its completion-based stream transports
// (Linux 5.19+), measured a few percent more CPU per message on the reference machine (see
// docs/design.md). CONCURRENCE_BACKEND=io_uring in the environment makes automatic loops use
// io_uring where the kernel allows it (else epoll: io_uring refused by the kernel, a seccomp
// policy or kernel.io_uring_disabled, or a build without liburing). Asking for
// Backend::io_uring explicitly where it is refused throws the system's OSError.
#pragma once

#include <cstdint>

namespace concurrence::asyncio {

enum class Backend : std::uint8_t { automatic, io_uring, epoll };

}  // namespace concurrence::asyncio
