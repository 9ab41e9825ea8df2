// The streams' exceptions, with Python's names and messages.
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>

namespace concurrence::asyncio {

// Python's EOFError.
class EOFError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// readexactly() or readuntil() met the end of the stream first; partial() is what was read.
// what(): "3 bytes read on a total of 10 expected bytes" (expected: "undefined" for readuntil).
class IncompleteReadError : public EOFError {
public:
    // Python writes 'undefined' when expected is None (not "None": its str() of the error).
    IncompleteReadError(std::string partial, std::optional<std::size_t> expected)
        : EOFError(std::to_string(partial.size()) + " bytes read on a total of " +
                   (expected ? std::to_string(*expected) : std::string("undefined")) + " expected bytes"),
          partial_(std::move(partial)),
          expected_(expected) {}
    const std::string& partial() const noexcept { return partial_; }
    std::optional<std::size_t> expected() const noexcept { return expected_; }

private:
    std::string partial_;
    std::optional<std::size_t> expected_;
};

// readuntil() found no separator within the stream's limit; consumed() bytes would have to be
// consumed to go on (they are left in the buffer).
class LimitOverrunError : public std::runtime_error {
public:
    LimitOverrunError(const std::string& message, std::size_t consumed)
        : std::runtime_error(message), consumed_(consumed) {}
    std::size_t consumed() const noexcept { return consumed_; }

private:
    std::size_t consumed_;
};

}  // namespace concurrence::asyncio
