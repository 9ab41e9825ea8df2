// asyncio::Outcome<T>: a value or the exception that took its place. What
// gather(return_exceptions, ...) returns for each awaitable, where Python puts either the
// result or the exception object in its list.
#pragma once

#include <exception>
#include <utility>
#include <variant>

#include "concurrence/base/errors.hpp"

namespace concurrence::asyncio {

template <class T>
class Outcome {
public:
    explicit Outcome(T value) : v_(std::in_place_index<0>, std::move(value)) {}
    explicit Outcome(std::exception_ptr error) : v_(std::in_place_index<1>, std::move(error)) {}

    bool has_value() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }
    // The value; rethrows the exception if there is one.
    T& value() & {
        if (!has_value()) std::rethrow_exception(std::get<1>(v_));
        return std::get<0>(v_);
    }
    const T& value() const& {
        if (!has_value()) std::rethrow_exception(std::get<1>(v_));
        return std::get<0>(v_);
    }
    T&& value() && { return std::move(value()); }
    // The exception, or null for a value.
    std::exception_ptr exception() const noexcept { return has_value() ? nullptr : std::get<1>(v_); }
    // True if the exception is an E (Python's isinstance(result, E)).
    template <class E>
    bool holds() const {
        return !has_value() && exception_is<E>(std::get<1>(v_));
    }

private:
    std::variant<T, std::exception_ptr> v_;
};

}  // namespace concurrence::asyncio
