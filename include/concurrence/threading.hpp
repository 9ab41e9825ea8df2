// "import threading": Python's threading module.
//
//     #include <concurrence/threading.hpp>
//     namespace threading = concurrence::threading;
#pragma once

#include "concurrence/base/trace.hpp"
#include "concurrence/threading/barrier.hpp"
#include "concurrence/threading/condition.hpp"
#include "concurrence/threading/event.hpp"
#include "concurrence/threading/excepthook.hpp"
#include "concurrence/threading/local.hpp"
#include "concurrence/threading/lock.hpp"
#include "concurrence/threading/rlock.hpp"
#include "concurrence/threading/semaphore.hpp"
#include "concurrence/threading/sleep.hpp"
#include "concurrence/threading/thread.hpp"
#include "concurrence/threading/timer.hpp"
