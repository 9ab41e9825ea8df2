// The fallback child watcher, for kernels without pidfd (before 5.3), or when
// CONCURRENCE_CHILD_WATCHER=sigchld asks for it: a SIGCHLD handler that signals an eventfd per
// watched child, whose loop then asks waitpid(pid, WNOHANG) about that child only (never
// waitpid(-1): other children of the program are not ours to reap). The handler calls the
// action it replaced, if that was a function.
#pragma once

namespace concurrence::asyncio::subprocess::detail {

// How children are watched in this process: true if by pidfd (decided once).
bool children_watched_by_pidfd();

// efd (an eventfd) is signalled at every SIGCHLD from now on / no longer. The handler is
// installed with the first watch. Throws RuntimeError if too many children are watched.
void sigchld_watch(int efd);
void sigchld_unwatch(int efd) noexcept;

}  // namespace concurrence::asyncio::subprocess::detail
