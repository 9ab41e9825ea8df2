// "import contextvars": ContextVar, Token, Context, copy_context.
//
//   #include <concurrence/contextvars.hpp>
//   namespace contextvars = concurrence::contextvars;
#pragma once

#include "concurrence/contextvars/contextvars.hpp"
