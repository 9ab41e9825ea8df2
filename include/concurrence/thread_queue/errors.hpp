// The queue module's exceptions: Python's queue.Empty, queue.Full and queue.ShutDown (3.13).
//
//     try { item = q.get_nowait(); }            # try: item = q.get_nowait()
//     catch (const queue::Empty&) { ... }       # except queue.Empty: ...
//
// Python raises them without a message; what() names them ("queue.Empty", ...), so that an
// uncaught one still says what it is. All three are Python Exception subclasses, hence
// std::runtime_error here (see base/errors.hpp). A bad argument is concurrence::ValueError,
// also reachable as queue::ValueError.
#pragma once

#include <stdexcept>

#include "concurrence/base/errors.hpp"

namespace concurrence::queue {

using concurrence::ValueError;

// get(block=false), get_nowait(), or a get whose timeout passed, on an empty queue.
class Empty : public std::runtime_error {
public:
    Empty() : std::runtime_error("queue.Empty") {}
};

// put(block=false), put_nowait(), or a put whose timeout passed, on a full queue.
class Full : public std::runtime_error {
public:
    Full() : std::runtime_error("queue.Full") {}
};

// A put on a queue that was shut down; a get on one shut down and empty (Python 3.13).
class ShutDown : public std::runtime_error {
public:
    ShutDown() : std::runtime_error("queue.ShutDown") {}
};

}  // namespace concurrence::queue
