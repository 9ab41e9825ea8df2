// Handing an exception that escaped a thread's target to threading::excepthook.
#pragma once

#include "concurrence/threading/thread.hpp"

namespace concurrence::threading::detail {

// Call inside a catch block: reports std::current_exception() through the current hook.
// Never throws: an exception from the hook itself is printed and dropped, as Python does.
void report_uncaught_exception(Thread* thread) noexcept;

}  // namespace concurrence::threading::detail
