// "import ssl": SSLContext, create_default_context, MemoryBIO, SSLObject, the SSL errors and the
// module's functions (OPENSSL_VERSION, DER_cert_to_PEM_cert, cert_time_to_seconds, RAND_bytes...).
//
//   #include <concurrence/ssl.hpp>
//   namespace ssl = concurrence::ssl;
#pragma once

#include "concurrence/ssl/context.hpp"
#include "concurrence/ssl/errors.hpp"
#include "concurrence/ssl/functions.hpp"
#include "concurrence/ssl/memory_bio.hpp"
#include "concurrence/ssl/ssl_object.hpp"
