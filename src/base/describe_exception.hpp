// "Type: message" for an exception_ptr, as Python's traceback ends.
#pragma once
#include <exception>
#include <string>

namespace concurrence::detail {
std::string describe_exception(const std::exception_ptr& e);
// Python's repr of an exception: "ValueError('boom')".
std::string exception_repr(const std::exception_ptr& e);
// The exception's class name ("ValueError"), without the concurrence:: prefix.
std::string exception_type_name(const std::exception_ptr& e);
}
