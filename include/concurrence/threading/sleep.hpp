// Python's time.sleep(secs), the blocking sleep of a thread (asyncio code awaits
// asyncio::sleep instead). A number of seconds or any std::chrono duration:
//
//     concurrence::time::sleep(2);      // time.sleep(2)
//     concurrence::time::sleep(500ms);
//
// As Python: ValueError("sleep length must be non-negative") for a negative length, ValueError
// for NaN; a signal handler that returns does not cut the sleep short (PEP 475). Traces show the
// thread waiting meanwhile.
#pragma once

#include "concurrence/base/timeout.hpp"

namespace concurrence::time {

void sleep(Delay length);

}  // namespace concurrence::time
