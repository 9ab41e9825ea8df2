// A coroutine function's name as reports show it ("dire_bonjour"), from what the
// compiler gives: g++'s std::source_location gives the full signature
// ("concurrence::asyncio::Coro<> {anonymous}::dire_bonjour(int)"), __builtin_FUNCTION the name.
#pragma once

#include <string>
#include <string_view>

namespace concurrence::detail {

std::string short_function_name(std::string_view signature);

}  // namespace concurrence::detail
