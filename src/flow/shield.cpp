#include "concurrence/flow/shield.hpp"

#include "base/describe_exception.hpp"

namespace concurrence::asyncio::detail {

void report_shielded_exception(FutureBase& inner, std::exception_ptr error) {
    const std::string type = concurrence::detail::exception_type_name(error);
    inner.loop().call_exception_handler({type + " exception in shielded future", std::move(error), inner.repr()});
}

}  // namespace concurrence::asyncio::detail
