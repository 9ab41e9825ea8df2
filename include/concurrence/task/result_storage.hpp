// Storage for "a T or an exception", whose state the owner keeps (FutureBase::state_):
// 8 bytes plus T, not a std::variant's extra tag.
#pragma once

#include <exception>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

#include "concurrence/task/future_core.hpp"

namespace concurrence::asyncio::detail {

template <class T>
class ResultStorage {
public:
    static_assert(!std::is_reference_v<T>, "a coroutine returns a value, not a reference");
    using value_type = T;

    ResultStorage() {}
    ~ResultStorage() {}
    ResultStorage(const ResultStorage&) = delete;

    template <class U>
    void emplace_value(U&& v) {
        ::new (static_cast<void*>(std::addressof(value_))) T(std::forward<U>(v));
    }
    void emplace_error(std::exception_ptr e) { ::new (static_cast<void*>(&error_)) std::exception_ptr(std::move(e)); }
    void destroy(FutureState s) {
        if (s == FutureState::finished)
            value_.~T();
        else if (s == FutureState::failed || s == FutureState::cancelled)
            error_.~exception_ptr();
    }
    T& value() { return value_; }
    const std::exception_ptr& error() const { return error_; }

private:
    union {
        T value_;
        std::exception_ptr error_;
    };
};

template <>
class ResultStorage<void> {
public:
    using value_type = void;
    ResultStorage() {}
    ~ResultStorage() {}
    ResultStorage(const ResultStorage&) = delete;
    void emplace_error(std::exception_ptr e) { ::new (static_cast<void*>(&error_)) std::exception_ptr(std::move(e)); }
    void destroy(FutureState s) {
        if (s == FutureState::failed || s == FutureState::cancelled) error_.~exception_ptr();
    }
    const std::exception_ptr& error() const { return error_; }
    void value() {}

private:
    union {
        std::exception_ptr error_;
    };
};

}  // namespace concurrence::asyncio::detail
