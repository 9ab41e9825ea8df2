// The TLS tests' certificates (tests/data/tls; regenerate with make_certs.sh there):
//   ca.pem          the CA that signed the next two
//   localhost.pem   key + certificate for localhost, 127.0.0.1 and ::1 (server authentication)
//   client.pem      key + certificate for CN=client (client authentication)
//   selfsigned.pem  key + self-signed certificate for localhost and 127.0.0.1
#pragma once

#include <filesystem>
#include <string>

namespace concurrence::testing {

// (A path join, not "+": g++ 12 -O2 warns wrongly about string concatenation here.)
inline std::string tls_file(const char* name) { return (std::filesystem::path(CONCURRENCE_TLS_DATA) / name).string(); }

}  // namespace concurrence::testing
