// "import threading": Python's threading module.
//
//     #include <concurrence/threading.hpp>
//     namespace threading = concurrence::threading;
#pragma once

#include "concurrence/threading/event.hpp"
#include "concurrence/threading/excepthook.hpp"
#include "concurrence/threading/lock.hpp"
#include "concurrence/threading/thread.hpp"
