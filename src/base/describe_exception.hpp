// "Type: message" for an exception_ptr, as Python's traceback ends.
#pragma once
#include <exception>
#include <string>

namespace concurrence::detail {
std::string describe_exception(const std::exception_ptr& e);
}
