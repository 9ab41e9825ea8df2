// The I/O backend of an event loop.
//
//   asyncio::EventLoop loop(asyncio::Backend::epoll);
//   asyncio::run(main(), {.backend = asyncio::Backend::epoll});
//   loop.backend_name();   // "io_uring" or "epoll"
//
// automatic (the default) is io_uring where the kernel gives it completion-based receiving
// (Linux 6.0 and later: transports read with no readiness round trip), else epoll: io_uring
// refused by the kernel, a seccomp policy or kernel.io_uring_disabled, or a build without
// liburing. CONCURRENCE_BACKEND=epoll (or io_uring) in the environment overrides the choice of
// automatic loops. Asking for Backend::io_uring explicitly where it is refused throws the
// system's OSError.
#pragma once

#include <cstdint>

namespace concurrence::asyncio {

enum class Backend : std::uint8_t { automatic, io_uring, epoll };

}  // namespace concurrence::asyncio
