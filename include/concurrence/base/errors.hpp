// Exceptions with Python's names and messages.
//
// Python's hierarchy is kept where it matters to a `catch`:
//   - CancelledError derives from std::exception only (Python: BaseException), so a
//     `catch (const std::runtime_error&)` that means "except Exception" does not swallow
//     cancellation;
//   - everything else derives from std::runtime_error / std::invalid_argument.
#pragma once

#include <stdexcept>
#include <string>

namespace concurrence {

// Python's RuntimeError: an operation that is not valid in the current state.
class RuntimeError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Python's ValueError: an argument with the right type but a bad value.
class ValueError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

// Python's TimeoutError (asyncio.TimeoutError is an alias of it since 3.11).
class TimeoutError : public std::runtime_error {
public:
    TimeoutError() : std::runtime_error("") {}
    using std::runtime_error::runtime_error;
};

namespace asyncio {

using concurrence::RuntimeError;
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

}  // namespace asyncio

namespace threading {
using concurrence::RuntimeError;
using concurrence::ValueError;
}  // namespace threading

}  // namespace concurrence
