#include "concurrence/sync/event.hpp"

namespace concurrence::asyncio {

std::string Event::repr() const {
    std::string state = value_ ? "set" : "unset";
    if (!waiters_.empty()) state += ", waiters:" + std::to_string(waiters_.size());
    return detail::object_repr("asyncio::Event", this, state);
}

}  // namespace concurrence::asyncio
