// "import asyncio": everything of concurrence's asyncio.
//
//   #include <concurrence/asyncio.hpp>
//   namespace asyncio = concurrence::asyncio;
#pragma once

#include "concurrence/base/errors.hpp"
#include "concurrence/base/timeout.hpp"
#include "concurrence/bridge/run_coroutine_threadsafe.hpp"
#include "concurrence/bridge/run_in_executor.hpp"
#include "concurrence/bridge/wrap_future.hpp"
#include "concurrence/flow/as_completed.hpp"
#include "concurrence/flow/async_with.hpp"
#include "concurrence/flow/gather.hpp"
#include "concurrence/flow/outcome.hpp"
#include "concurrence/flow/shield.hpp"
#include "concurrence/flow/task_group.hpp"
#include "concurrence/flow/timeout.hpp"
#include "concurrence/flow/wait.hpp"
#include "concurrence/loop/event_loop.hpp"
#include "concurrence/loop/handle.hpp"
#include "concurrence/queues/queue.hpp"
#include "concurrence/run/run.hpp"
#include "concurrence/run/runner.hpp"
#include "concurrence/sync/barrier.hpp"
#include "concurrence/sync/condition.hpp"
#include "concurrence/sync/event.hpp"
#include "concurrence/sync/lock.hpp"
#include "concurrence/sync/semaphore.hpp"
#include "concurrence/task/coro.hpp"
#include "concurrence/task/current_task.hpp"
#include "concurrence/task/future.hpp"
#include "concurrence/task/sleep.hpp"
#include "concurrence/task/task.hpp"
