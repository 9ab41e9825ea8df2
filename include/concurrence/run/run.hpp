// asyncio::run(coro): see runner.hpp (Python's asyncio.run is a Runner used once).
#pragma once

#include "concurrence/run/runner.hpp"
