#include "concurrence/sync/semaphore.hpp"

#include "concurrence/base/errors.hpp"

namespace concurrence::asyncio {

Semaphore::Semaphore(std::int64_t value) : value_(value) {
    if (value < 0) throw ValueError("Semaphore initial value must be >= 0");
}

std::string Semaphore::repr() const {
    std::string state = (value_ == 0 || !waiters_.empty()) ? std::string("locked")
                                                          : "unlocked, value:" + std::to_string(value_);
    if (!waiters_.empty()) state += ", waiters:" + std::to_string(waiters_.size());
    return detail::object_repr(type_name(), this, state);
}

void BoundedSemaphore::check_release() const {
    if (value() >= bound_) throw ValueError("BoundedSemaphore released too many times");
}

}  // namespace concurrence::asyncio
