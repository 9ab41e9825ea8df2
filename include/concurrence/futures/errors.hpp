// concurrent.futures' exceptions, with Python's hierarchy:
//
//     except concurrent.futures.CancelledError:   →   catch (const futures::CancelledError&)
//     except concurrent.futures.TimeoutError:     →   catch (const futures::TimeoutError&)
//
//   Error : std::runtime_error             (Python: Error(Exception))
//     CancelledError, InvalidStateError
//   BrokenExecutor : RuntimeError          (Python: BrokenExecutor(RuntimeError))
//     BrokenThreadPool
//   TimeoutError = concurrence::TimeoutError   (Python 3.11: the builtin TimeoutError)
//
// futures::CancelledError is not asyncio's CancelledError (concurrence::asyncio::CancelledError),
// as in Python since 3.8; it is an ordinary Exception, so `catch (const std::runtime_error&)`
// catches it, as `except Exception:` does in Python.
//
// Thread safety: exceptions are values; nothing is shared.
#pragma once

#include <stdexcept>
#include <string>

#include "concurrence/base/errors.hpp"

namespace concurrence::futures {

using concurrence::RuntimeError;
using concurrence::TimeoutError;
using concurrence::ValueError;

// Base class of the future-related exceptions.
class Error : public std::runtime_error {
public:
    Error() : std::runtime_error("") {}
    using std::runtime_error::runtime_error;
};

// The future was cancelled (result() and exception() of a cancelled future throw it).
class CancelledError : public Error {
public:
    using Error::Error;
};

// The operation is not allowed in the future's state (set_result() on a done future).
class InvalidStateError : public Error {
public:
    using Error::Error;
};

// The executor cannot run anything any more after a severe failure.
class BrokenExecutor : public RuntimeError {
public:
    BrokenExecutor() : RuntimeError("") {}
    using RuntimeError::RuntimeError;
};

// A worker thread of a ThreadPoolExecutor failed in its initializer.
class BrokenThreadPool : public BrokenExecutor {
public:
    using BrokenExecutor::BrokenExecutor;
};

}  // namespace concurrence::futures
