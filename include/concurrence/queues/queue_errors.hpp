// The queues' exceptions (Python's asyncio.QueueEmpty, QueueFull, QueueShutDown).
#pragma once

#include <stdexcept>

namespace concurrence::asyncio {

// get_nowait() on an empty queue.
class QueueEmpty : public std::runtime_error {
public:
    QueueEmpty() : std::runtime_error("Queue is empty") {}
};

// put_nowait() on a full queue.
class QueueFull : public std::runtime_error {
public:
    QueueFull() : std::runtime_error("Queue is full") {}
};

// A put on a queue that was shut down, or a get on one shut down and empty (Python 3.13).
class QueueShutDown : public std::runtime_error {
public:
    QueueShutDown() : std::runtime_error("Queue is shut down") {}
};

}  // namespace concurrence::asyncio
