// The I/O backend of an event loop.
//
//   asyncio::EventLoop loop(asyncio::Backend::epoll);
//   asyncio::run(main(), {.backend = asyncio::Backend::epoll});
//   loop.backend_name();   // "io_uring" or "epoll"
//
// automatic (the default) is io_uring where the kernel allows it, else epoll (io_uring refused
// by the kernel or a seccomp policy, or a build without liburing). The environment variable
// CONCURRENCE_BACKEND=epoll (or io_uring) chooses for automatic loops. Asking for io_uring
// explicitly where it is refused throws the system's OSError.
#pragma once

#include <cstdint>

namespace concurrence::asyncio {

enum class Backend : std::uint8_t { automatic, io_uring, epoll };

}  // namespace concurrence::asyncio
