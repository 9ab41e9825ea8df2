// loop.add_signal_handler / remove_signal_handler (Python's unix_events). The process-wide part
// (the sigaction, which loops hear a signal) is signal_hub; this is the loop's part: a Handle
// per signal, scheduled on the ready queue when the hub marks its signal pending.
#include <signal.h>

#include <string>

#include "concurrence/loop/event_loop.hpp"
#include "loop/engine.hpp"
#include "loop/signal_hub.hpp"

namespace concurrence::asyncio {

static_assert(NSIG - 1 <= 64, "pending signals are one bit each in a 64-bit word");

void EventLoop::check_signal(int sig) {
    if (sig < 1 || sig >= NSIG) throw ValueError("invalid signal number " + std::to_string(sig));
}

void EventLoop::set_signal_handler(int sig, detail::HandleCore* h) {
    Engine& e = *engine_;
    try {
        detail::signal_hub::subscribe(sig, this);
    } catch (...) {
        h->release();
        throw;
    }
    detail::HandleCore*& slot = e.signal_handlers[sig];
    if (detail::HandleCore* old = std::exchange(slot, h)) {
        old->cancel();
        old->release();
    }
}

bool EventLoop::remove_signal_handler(int sig) {
    check_signal(sig);
    Engine& e = *engine_;
    auto it = e.signal_handlers.find(sig);
    if (it == e.signal_handlers.end()) return false;
    detail::HandleCore* h = it->second;
    e.signal_handlers.erase(it);
    detail::signal_hub::unsubscribe(sig, this);
    h->cancel();
    h->release();
    return true;
}

void EventLoop::remove_all_signal_handlers() noexcept {
    Engine& e = *engine_;
    auto handlers = std::move(e.signal_handlers);
    e.signal_handlers.clear();
    for (auto& [sig, h] : handlers) {
        detail::signal_hub::unsubscribe(sig, this);
        h->cancel();
        h->release();
    }
}

void EventLoop::signal_from_handler(int sig) noexcept {
    signals_pending_.fetch_or(std::uint64_t{1} << (sig - 1), std::memory_order_acq_rel);
    Engine& e = *engine_;
    if (!e.wakeup_pending.exchange(true, std::memory_order_acq_rel)) e.poller->wakeup();
}

// Signals of one kind that arrive together are one call (the kernel merges them too).
void EventLoop::dispatch_signals() {
    std::uint64_t pending = signals_pending_.exchange(0, std::memory_order_acq_rel);
    Engine& e = *engine_;
    for (int sig = 1; pending; ++sig, pending >>= 1) {
        if (!(pending & 1)) continue;
        auto it = e.signal_handlers.find(sig);
        if (it == e.signal_handlers.end() || it->second->cancelled()) continue;
        it->second->add_ref();  // the ready queue's reference
        schedule(it->second);
    }
}

}  // namespace concurrence::asyncio
