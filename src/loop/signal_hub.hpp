// The process's side of loop.add_signal_handler: one sigaction per signal, shared by every
// loop that asked for it. The handler only marks the signal pending in each subscribed loop
// and wakes it (async-signal-safe); the loop runs the callbacks on its own thread.
#pragma once

#include <signal.h>

namespace concurrence::asyncio {
class EventLoop;
}

namespace concurrence::asyncio::detail::signal_hub {

// loop wants sig from now on. The first subscriber installs the handler (SA_RESTART, as
// Python's siginterrupt(sig, False)) and keeps the action it replaces. Throws RuntimeError
// ("sig 9 cannot be caught") when the system refuses the signal, or when too many loops
// already watch it.
void subscribe(int sig, EventLoop* loop);
// The last subscriber restores the action that was there before the first. On return, no
// handler is still running with this loop in hand (the loop may be destroyed).
void unsubscribe(int sig, EventLoop* loop) noexcept;

// The action the hub will restore for sig, if it is `stale` (a handler that is going away,
// e.g. the Runner's Ctrl-C handler at the end of run()), becomes `instead`. True if the hub
// holds sig (the caller must then leave the current action alone).
bool replace_saved_action(int sig, void (*stale)(int), const struct sigaction& instead) noexcept;

// Python ignores SIGPIPE for the whole process (a write to a closed pipe or socket is an
// EPIPE error, not a killed process). Done once, when the first loop is made, unless the
// program has set its own action. Children get the default action back (subprocess).
void ignore_sigpipe_once() noexcept;

}  // namespace concurrence::asyncio::detail::signal_hub
