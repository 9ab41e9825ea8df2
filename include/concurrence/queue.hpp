// "import queue": Python's queue module, queues between threads (for queues between tasks of
// one event loop, see asyncio::Queue in <concurrence/asyncio.hpp>).
//
//     #include <concurrence/queue.hpp>
//     namespace queue = concurrence::queue;
//     queue::Queue<int> q(10);    // also LifoQueue, PriorityQueue, SimpleQueue;
//                                 // queue::Empty, queue::Full, queue::ShutDown
#pragma once

#include "concurrence/thread_queue/errors.hpp"
#include "concurrence/thread_queue/queue.hpp"
#include "concurrence/thread_queue/simple_queue.hpp"
