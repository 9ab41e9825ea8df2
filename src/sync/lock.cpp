#include "concurrence/sync/lock.hpp"

#include "concurrence/base/errors.hpp"

namespace concurrence::asyncio {

void Lock::throw_not_acquired() { throw RuntimeError("Lock is not acquired."); }

std::string Lock::repr() const {
    std::string state = locked_ ? "locked" : "unlocked";
    if (!waiters_.empty()) state += ", waiters:" + std::to_string(waiters_.size());
    return detail::object_repr("asyncio::Lock", this, state);
}

}  // namespace concurrence::asyncio
