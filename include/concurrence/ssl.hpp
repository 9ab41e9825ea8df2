// "import ssl": SSLContext, create_default_context, MemoryBIO, SSLObject and the SSL errors.
//
//   #include <concurrence/ssl.hpp>
//   namespace ssl = concurrence::ssl;
#pragma once

#include "concurrence/ssl/context.hpp"
#include "concurrence/ssl/errors.hpp"
#include "concurrence/ssl/memory_bio.hpp"
#include "concurrence/ssl/ssl_object.hpp"
