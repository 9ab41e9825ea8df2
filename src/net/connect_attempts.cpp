#include "net/connect_attempts.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <utility>

#include "concurrence/base/errors.hpp"
#include "concurrence/flow/timeout.hpp"
#include "concurrence/net/sock_ops.hpp"
#include "concurrence/task/future.hpp"
#include "concurrence/task/task.hpp"
#include "net/bind_error.hpp"

namespace concurrence::net::detail {

asyncio::Coro<Socket> connect_one(asyncio::EventLoop& loop, AddrInfo info, std::optional<Address> local_addr,
                                  ConnectErrors errors) {
    std::exception_ptr error;
    try {
        Socket sock(info.family, info.type, info.proto);
        sock.setblocking(false);
        if (local_addr) {
            try {
                sock.bind(*local_addr);
            } catch (const OSError& e) {
                std::rethrow_exception(bind_error(e, *local_addr));
            }
        }
        co_await loop.sock_connect(sock, info.address);
        co_return sock;
    } catch (const OSError&) {
        error = std::current_exception();
    }
    errors->push_back(error);
    std::rethrow_exception(error);
}

std::vector<AddrInfo> interleave_addrinfos(std::vector<AddrInfo> infos, int first_address_family_count) {
    // Grouped by family, in the order the families first appear.
    std::vector<std::vector<AddrInfo>> by_family;
    for (AddrInfo& info : infos) {
        auto group = std::find_if(by_family.begin(), by_family.end(),
                                  [&](const std::vector<AddrInfo>& g) { return g.front().family == info.family; });
        if (group == by_family.end())
            by_family.push_back({std::move(info)});
        else
            group->push_back(std::move(info));
    }
    std::vector<AddrInfo> reordered;
    std::vector<std::size_t> next(by_family.size(), 0);
    if (first_address_family_count > 1 && !by_family.empty()) {
        const std::size_t head = std::min(by_family[0].size(), static_cast<std::size_t>(first_address_family_count - 1));
        for (; next[0] < head; ++next[0]) reordered.push_back(std::move(by_family[0][next[0]]));
    }
    for (bool more = true; more;) {
        more = false;
        for (std::size_t f = 0; f < by_family.size(); ++f) {
            if (next[f] >= by_family[f].size()) continue;
            reordered.push_back(std::move(by_family[f][next[f]++]));
            more = true;
        }
    }
    return reordered;
}

namespace {

// What the attempts of one race share.
struct Race {
    std::optional<Socket> winner;
    std::vector<bool> failed;     // per attempt
    std::size_t finished = 0;     // attempts that ended (won or failed)
    std::optional<asyncio::Future<void>> changed;  // the race's wait: done when an attempt ends
    void wake() {
        if (changed && !changed->done()) changed->set_result();
    }
};

asyncio::Coro<> run_attempt(asyncio::EventLoop& loop, AddrInfo info, std::optional<Address> local_addr,
                            ConnectErrors errors, std::shared_ptr<Race> race, std::size_t index) {
    try {
        Socket sock = co_await connect_one(loop, std::move(info), std::move(local_addr), errors);
        // Two connected at once: the later one is closed here (Python cancels it earlier).
        if (!race->winner) race->winner = std::move(sock);
    } catch (const OSError&) {
        race->failed[index] = true;
    }
    ++race->finished;
    race->wake();
}

}  // namespace

asyncio::Coro<std::optional<Socket>> connect_staggered(asyncio::EventLoop& loop, std::vector<AddrInfo> infos,
                                                       std::optional<Address> local_addr, ConnectErrors errors,
                                                       double delay) {
    auto race = std::make_shared<Race>();
    race->failed.assign(infos.size(), false);
    std::vector<asyncio::Task<void>> attempts;
    double last_start = 0;
    auto start_next = [&] {
        const std::size_t index = attempts.size();
        attempts.push_back(loop.create_task(run_attempt(loop, infos[index], local_addr, errors, race, index)));
        last_start = loop.time();
    };
    std::exception_ptr error;
    try {
        if (!infos.empty()) start_next();
        while (!race->winner && race->finished < infos.size()) {
            race->changed = loop.create_future<void>();
            asyncio::Future<void> changed = *race->changed;
            if (attempts.size() < infos.size()) {
                // The next attempt starts when the last one failed, or after `delay`.
                const double left = last_start + delay - loop.time();
                if (race->failed[attempts.size() - 1] || left <= 0) {
                    start_next();
                    continue;
                }
                try {
                    co_await asyncio::wait_for(changed, left);
                } catch (const TimeoutError&) {
                }
            } else {
                co_await changed;
            }
        }
    } catch (...) {
        error = std::current_exception();  // cancelled: the attempts go too
    }
    // Python's finally: the other attempts are cancelled (each closes its socket at its next
    // step; what they share is theirs too, so none is awaited: a cancellation of this race is
    // not held up).
    for (asyncio::Task<void>& attempt : attempts) attempt.cancel();
    if (error) std::rethrow_exception(error);
    co_return std::move(race->winner);
}

}  // namespace concurrence::net::detail
