// Exceptions with Python's names and messages.
//
// Python's hierarchy is kept where it matters to a `catch`:
//   - CancelledError derives from std::exception only (Python: BaseException), so a
//     `catch (const std::runtime_error&)` that means "except Exception" does not swallow
//     cancellation;
//   - every other exception (Python's `Exception` subclasses) derives from std::runtime_error,
//     so `catch (const std::runtime_error&)` is `except Exception:`.
#pragma once

#include <exception>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "concurrence/base/os_error.hpp"

namespace concurrence {

// Python's RuntimeError: an operation that is not valid in the current state.
class RuntimeError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Python's NotImplementedError (a RuntimeError there too): an operation this object does not
// have (e.g. write() on a read pipe's transport).
class NotImplementedError : public RuntimeError {
public:
    using RuntimeError::RuntimeError;
};

// Python's ValueError: an argument with the right type but a bad value.
class ValueError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Python's TypeError: an argument of the wrong kind where the C++ type cannot tell (e.g. an
// AF_UNIX path given for an IP endpoint).
class TypeError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Python's OverflowError: a number too large for what it is used for (e.g. a timeout past
// threading::TIMEOUT_MAX).
class OverflowError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Python's isinstance(e, E) for a stored exception (false for a null pointer).
template <class E>
bool exception_is(const std::exception_ptr& e) {
    if (!e) return false;
    try {
        std::rethrow_exception(e);
    } catch (const E&) {
        return true;
    } catch (...) {
        return false;
    }
}

// Python's ExceptionGroup: several exceptions raised together (a TaskGroup's failures).
// what() is Python's str(): "message (N sub-exceptions)".
class ExceptionGroup : public std::runtime_error {
public:
    ExceptionGroup(const std::string& message, std::vector<std::exception_ptr> exceptions)
        : std::runtime_error(message + " (" + std::to_string(exceptions.size()) +
                             (exceptions.size() == 1 ? " sub-exception)" : " sub-exceptions)")),
          message_(message),
          exceptions_(std::move(exceptions)) {}
    const std::string& message() const noexcept { return message_; }
    const std::vector<std::exception_ptr>& exceptions() const noexcept { return exceptions_; }

    // The sub-exceptions of type E (nested groups searched too): what `except* E` would catch.
    template <class E>
    std::vector<std::exception_ptr> matching() const {
        std::vector<std::exception_ptr> out;
        for (const std::exception_ptr& e : exceptions_) {
            try {
                std::rethrow_exception(e);
            } catch (const E&) {
                out.push_back(e);
            } catch (const ExceptionGroup& nested) {
                for (std::exception_ptr& inner : nested.matching<E>()) out.push_back(std::move(inner));
            } catch (...) {
            }
        }
        return out;
    }

private:
    std::string message_;
    std::vector<std::exception_ptr> exceptions_;
};

// Python's StopAsyncIteration: an asynchronous iterator has nothing more (an async
// generator's anext(), asend() and athrow() at its end). An `Exception` in Python.
class StopAsyncIteration : public std::runtime_error {
public:
    StopAsyncIteration() : std::runtime_error("") {}
};

// Python's GeneratorExit (a BaseException): thrown into an async generator at its `co_yield`
// by aclose(). Not a std::runtime_error, so `catch (const std::runtime_error&)` (Python's
// `except Exception:`) lets it pass, as Python's does.
class GeneratorExit : public std::exception {
public:
    const char* what() const noexcept override { return ""; }
};

// Python's KeyboardInterrupt (a BaseException): SIGINT stopped asyncio::run. Not a
// std::runtime_error, so `catch (const std::runtime_error&)` does not swallow it. Left
// uncaught, the process ends as Python's does: killed by SIGINT.
class KeyboardInterrupt : public std::exception {
public:
    const char* what() const noexcept override { return "KeyboardInterrupt"; }
};

namespace asyncio {

using concurrence::exception_is;
using concurrence::ExceptionGroup;
using concurrence::GeneratorExit;
using concurrence::KeyboardInterrupt;
using concurrence::OSError;
using concurrence::RuntimeError;
using concurrence::StopAsyncIteration;
using concurrence::TimeoutError;
using concurrence::ValueError;

// asyncio.CancelledError: the operation was cancelled. Like Python's (a BaseException),
// it is not a std::runtime_error: catch it by name, or as std::exception.
class CancelledError : public std::exception {
public:
    CancelledError() = default;
    explicit CancelledError(std::string message) : message_(std::move(message)) {}
    const char* what() const noexcept override { return message_.c_str(); }

private:
    std::string message_;
};

// asyncio.InvalidStateError: a Future/Task operation in the wrong state
// (e.g. result() before the result is set).
class InvalidStateError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// asyncio.SendfileNotAvailableError: the system's sendfile cannot send this file on this
// socket (a RuntimeError, as in Python); sock_sendfile falls back to reading and sending.
class SendfileNotAvailableError : public RuntimeError {
public:
    using RuntimeError::RuntimeError;
};

}  // namespace asyncio

namespace threading {
using concurrence::RuntimeError;
using concurrence::ValueError;
}  // namespace threading

}  // namespace concurrence
