#pragma once

#include "concurrence/loop/event_loop.hpp"

namespace concurrence::asyncio::detail {

// Honours CONCURRENCE_DUMP_SIGNAL for a loop asyncio::run (a Runner) made; a bad value is
// reported on stderr and ignored.
void dump_call_graphs_from_environment(EventLoop& loop);

}  // namespace concurrence::asyncio::detail
