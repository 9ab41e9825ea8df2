#include "concurrence/loop/event_loop.hpp"

#include <time.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <cstdlib>
#include <string_view>
#include <typeinfo>
#include <unordered_map>

#include "io/poller.hpp"
#include "loop/engine.hpp"
#include "loop/fd_watch.hpp"
#include "loop/signal_hub.hpp"
#include "base/describe_exception.hpp"
#include "concurrence/base/trace.hpp"
#include "loop/timer_queue.hpp"

namespace concurrence::asyncio {

EventLoop& get_running_loop() {
    if (!detail::t_running_loop) throw RuntimeError("no running event loop");
    return *detail::t_running_loop;
}


namespace {
// PYTHONASYNCIODEBUG's counterpart: read once per process.
bool debug_from_environment() {
    static const bool on = [] {
        const char* v = std::getenv("CONCURRENCE_DEBUG");
        return v && *v && std::string_view(v) != "0";
    }();
    return on;
}
}  // namespace

namespace {
std::atomic<std::uint64_t> loop_serials{0};
}

static_assert(static_cast<int>(Backend::automatic) == static_cast<int>(io::Kind::automatic) &&
              static_cast<int>(Backend::io_uring) == static_cast<int>(io::Kind::io_uring) &&
              static_cast<int>(Backend::epoll) == static_cast<int>(io::Kind::epoll));

std::string_view EventLoop::backend_name() const { return engine_->poller->name(); }

EventLoop::EventLoop(Backend backend)
    : engine_(std::make_unique<Engine>(backend)),
      postbox_(std::make_shared<detail::LoopPostbox>(this)),
      serial_(loop_serials.fetch_add(1, std::memory_order_relaxed) + 1),
      debug_(debug_from_environment()) {
    detail::signal_hub::ignore_sigpipe_once();
}

void EventLoop::interrupt_from_signal() noexcept {
    interrupt_pending_.store(true, std::memory_order_release);
    Engine& e = *engine_;
    if (!e.wakeup_pending.exchange(true, std::memory_order_acq_rel)) e.poller->wakeup();
}

EventLoop::~EventLoop() {
    if (!closed_) close();
}

std::int64_t EventLoop::now_ns() const {
    timespec ts;
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::int64_t EventLoop::seconds_to_ns(double when) {
    if (std::isnan(when)) throw ValueError("Invalid value NaN (not a number)");
    const double ns = std::ceil(when * 1e9);
    if (ns >= static_cast<double>(Delay::max_ns)) return Delay::max_ns;
    if (ns <= -static_cast<double>(Delay::max_ns)) return -Delay::max_ns;
    return static_cast<std::int64_t>(ns);
}

std::uint64_t EventLoop::add_timer(std::int64_t when_ns, detail::Runnable* target) {
    const std::uint64_t seq = engine_->next_seq++;
    engine_->timers.push({when_ns, seq, target});
    return seq;
}

void EventLoop::note_timer_cancelled() {
    Engine& e = *engine_;
    ++e.cancelled_timers;
    if (e.timers.size() > 100 && e.cancelled_timers * 2 > e.timers.size()) {
        e.timers.remove_if([](const detail::TimerEntry& t) {
            if (!t.target->timer_stale(t.seq)) return false;
            t.target->timer_release();
            return true;
        });
        e.cancelled_timers = 0;
    }
}

void EventLoop::post_threadsafe(detail::HandleCore* h) {
    Engine& e = *engine_;
    {
        std::lock_guard guard(e.posted_mutex);
        if (closed_.load(std::memory_order_relaxed)) {  // closed meanwhile: close() drained under this lock
            h->release();
            h->release();
            throw RuntimeError("Event loop is closed");
        }
        e.posted.push_back(h);
        posted_pending_.store(true, std::memory_order_release);
    }
    // One write per batch: the loop clears the flag before it drains the list, so a post
    // that sees the flag still set is drained by that pass.
    if (!e.wakeup_pending.exchange(true, std::memory_order_acq_rel)) e.poller->wakeup();
}

bool EventLoop::post_if_open(const std::function<detail::HandleCore*()>& make) {
    Engine& e = *engine_;
    {
        std::lock_guard guard(e.posted_mutex);
        if (closed_.load(std::memory_order_relaxed)) return false;
        e.posted.push_back(make());
        posted_pending_.store(true, std::memory_order_release);
    }
    if (!e.wakeup_pending.exchange(true, std::memory_order_acq_rel)) e.poller->wakeup();
    return true;
}

void EventLoop::take_posted() {
    Engine& e = *engine_;
    {
        std::lock_guard guard(e.posted_mutex);
        e.draining.swap(e.posted);
        posted_pending_.store(false, std::memory_order_relaxed);
    }
    for (detail::Runnable* r : e.draining) ready_.push(r);
    e.draining.clear();
}

io::Poller& EventLoop::poller() { return *engine_->poller; }

void EventLoop::claim_fd(int fd, detail::FdOwner* owner) {
    ensure_fd_no_transport(fd);
    if (engine_->fd_watches.count(fd)) {  // Python's _ensure_fd_no_transport does not look
        clear_fd_callback(fd, false);     // at readers; a transport replaces them (as its
        clear_fd_callback(fd, true);      // selector registration would)
    }
    engine_->transport_fds.emplace(fd, owner);
}

void EventLoop::release_fd(int fd) noexcept { engine_->transport_fds.erase(fd); }

void EventLoop::ensure_fd_no_transport(int fd) const {
    if (fd < 0) throw ValueError("Invalid file descriptor: " + std::to_string(fd));
    auto it = engine_->transport_fds.find(fd);
    if (it != engine_->transport_fds.end())
        throw RuntimeError("File descriptor " + std::to_string(fd) + " is used by transport");
}

void EventLoop::set_fd_callback(int fd, bool writer, detail::HandleCore* h) {
    Engine& e = *engine_;
    try {
        ensure_fd_no_transport(fd);
        auto it = e.fd_watches.find(fd);
        if (it == e.fd_watches.end()) {
            auto watch = std::make_unique<detail::FdWatch>(*this, fd);
            e.poller->add(fd, writer ? io::writable : io::readable, io::Trigger::level, watch.get());
            it = e.fd_watches.emplace(fd, std::move(watch)).first;
            it->second->set(writer, h);
            return;
        }
        detail::FdWatch& watch = *it->second;
        const std::uint32_t before = watch.interest();
        const std::uint32_t after = before | (writer ? io::writable : io::readable);
        if (after != before) e.poller->modify(fd, after, io::Trigger::level, &watch);
        if (detail::HandleCore* old = watch.set(writer, h)) {
            old->cancel();
            old->release();
        }
    } catch (...) {
        h->release();
        throw;
    }
}

bool EventLoop::clear_fd_callback(int fd, bool writer) {
    // Python's _remove_reader: False on a closed loop. (close() drops the callbacks itself;
    // one whose captures' destructors remove callbacks must not reach a map being cleared.)
    if (closed_.load(std::memory_order_relaxed)) return false;
    Engine& e = *engine_;
    auto it = e.fd_watches.find(fd);
    if (it == e.fd_watches.end()) return false;
    detail::FdWatch& watch = *it->second;
    detail::HandleCore* old = watch.set(writer, nullptr);
    if (!old) return false;
    old->cancel();  // already scheduled this iteration: it must not run (Python cancels it)
    std::unique_ptr<detail::FdWatch> forgotten;
    if (watch.interest() == 0) {
        e.poller->remove(fd);
        forgotten = std::move(it->second);
        e.fd_watches.erase(it);
    } else {
        try {
            e.poller->modify(fd, watch.interest(), io::Trigger::level, &watch);
        } catch (...) {  // the descriptor was closed under us: forget it
            e.poller->remove(fd);
            forgotten = std::move(it->second);
            e.fd_watches.erase(it);
        }
    }
    // Last, once the bookkeeping is done: destroying the callback destroys its captures, whose
    // destructors may add or remove callbacks (of this descriptor too).
    old->release();
    forgotten.reset();
    return true;
}

void EventLoop::check_can_run() const {
    check_open();
    if (running_) throw RuntimeError("This event loop is already running");
    if (detail::t_running_loop) throw RuntimeError("Cannot run the event loop while another loop is running");
}

void EventLoop::stop() { stopping_ = true; }

void EventLoop::run_once(Engine& e, const io::Poller& poller) {
    // With something ready and nothing else to look at (no descriptor watched, no timer,
    // nothing posted), steps 1-3 would find nothing: the iteration is the batch alone.
    // (stop() changes nothing there: it only makes the poll's timeout 0.)
    if (ready_.empty() || poller.watches_io() || !e.timers.empty() ||
        e.wakeup_pending.load(std::memory_order_acquire))
        collect_events(e);
    if (debug_ || trace::detail::recording()) [[unlikely]] {
        run_ready_observed();
        return;
    }

    // Only what was ready when the iteration began: what these schedule waits for the next one.
    constexpr std::size_t prefetch_distance = 8;
    for (std::size_t n = ready_.size(); n > 0; --n) {
        detail::Runnable* r = ready_.pop();
        if (n > prefetch_distance) __builtin_prefetch(ready_.peek(prefetch_distance - 1));
        r->run();
    }
}

void EventLoop::run_forever() {
    check_can_run();
    running_ = true;
    running_in_a_thread_.store(true, std::memory_order_relaxed);
    detail::t_running_loop = this;
    detail::t_running_serial = serial_;
    struct Reset {
        EventLoop* loop;
        ~Reset() {
            loop->running_ = false;
            loop->running_in_a_thread_.store(false, std::memory_order_relaxed);
            loop->stopping_ = false;
            detail::t_running_loop = nullptr;
            detail::t_running_serial = 0;
        }
    } reset{this};
    // The engine and its poller stay in place while the loop runs: found once, not reloaded
    // through two pointers at every iteration (a callback might change anything they point to).
    Engine& e = *engine_;
    const io::Poller& poller = *e.poller;
    do {
        run_once(e, poller);
    } while (!stopping_);
}

void EventLoop::collect_events(Engine& e) {
    std::int64_t timeout = -1;
    if (!ready_.empty() || stopping_) {
        timeout = 0;
    } else if (!e.timers.empty()) {
        const std::int64_t left = e.timers.earliest() - now_ns();
        timeout = left > 0 ? left : 0;
    }
    const bool must_poll = timeout != 0 || e.poller->watches_io();
    bool woken = false;
    if (must_poll) {
        // A wait of the loop's thread in traces, when it may block.
        const trace::detail::ScopedWait traced(timeout != 0 && trace::detail::recording() ? "poll" : nullptr);
        woken = e.poller->poll(timeout);
    }
    if (woken || e.wakeup_pending.load(std::memory_order_acquire)) {
        e.wakeup_pending.store(false, std::memory_order_release);
        take_posted();
        if (interrupt_pending_.exchange(false, std::memory_order_acq_rel) && interrupt_callback_) interrupt_callback_();
        if (signals_pending_.load(std::memory_order_acquire)) dispatch_signals();
    }

    if (!e.timers.empty()) {
        e.timers.pop_due(now_ns(), [&](const detail::TimerEntry& t) {
            if (t.target->timer_stale(t.seq)) {
                if (e.cancelled_timers) --e.cancelled_timers;
                t.target->timer_release();
            } else {
                t.target->timer_fired(*this, t.seq);
            }
        });
    }
}

void EventLoop::close() {
    if (running_) throw RuntimeError("Cannot close a running event loop");
    if (closed_) return;
    asyncgens_.clear();  // generators that outlive the loop must not reach it
    Engine& e = *engine_;
    {
        std::lock_guard guard(postbox_->mutex_);
        postbox_->loop_ = nullptr;
    }
    // Python's close(): the default executor is told to stop, not waited for; its threads are
    // joined when the loop is destroyed (the executor's destructor).
    executor_shutdown_called_ = true;
    if (default_executor_) detail::shutdown_without_waiting(*default_executor_);
    while (!ready_.empty()) ready_.pop()->discard_ready();
    {
        std::lock_guard guard(e.posted_mutex);
        closed_.store(true, std::memory_order_relaxed);  // under the lock: posters see it or are drained here
        for (detail::Runnable* r : e.posted) r->discard_ready();
        e.posted.clear();
        posted_pending_.store(false, std::memory_order_relaxed);
    }
    remove_all_signal_handlers();  // as Python's close(): the process's actions come back
    for (auto& [fd, watch] : e.fd_watches) e.poller->remove(fd);
    e.fd_watches.clear();
    // Transports still open let go of their sockets (and of themselves).
    std::vector<detail::FdOwner*> owners;
    for (auto& [fd, owner] : e.transport_fds) owners.push_back(owner);
    e.transport_fds.clear();
    for (detail::FdOwner* owner : owners) owner->loop_closing();
    std::vector<detail::Runnable*> timer_targets;
    e.timers.for_each([&](const detail::TimerEntry& t) { timer_targets.push_back(t.target); });
    e.timers.clear();
    for (detail::Runnable* t : timer_targets) t->timer_release();
    // Tasks still pending are let go: each is destroyed when its last Task handle is.
    std::vector<detail::Runnable*> pending = tasks_.take_all();
    for (detail::Runnable* t : pending) t->abandon();
}

void EventLoop::call_exception_handler(const ExceptionContext& context) {
    if (!exception_handler_) {
        default_exception_handler(context);
        return;
    }
    try {
        exception_handler_(*this, context);
    } catch (...) {
        default_exception_handler({"Unhandled error in exception handler", std::current_exception()});
        default_exception_handler(context);
    }
}

void EventLoop::default_exception_handler(const ExceptionContext& context) {
    std::string text = context.message.empty() ? "Unhandled exception in event loop" : context.message;
    if (!context.future.empty()) text += "\nfuture: " + context.future;
    if (context.exception) text += "\n" + concurrence::detail::describe_exception(context.exception);
    std::fprintf(stderr, "%s\n", text.c_str());
    std::fflush(stderr);
}

// ---- handles

namespace detail {

void HandleCore::run() {
    if (!cancelled()) {
        try {
            invoke();
        } catch (...) {
            if (EventLoop* running = running_loop_or_null())
                running->call_exception_handler({"Exception in callback", std::current_exception()});
            else
                EventLoop::default_exception_handler({"Exception in callback", std::current_exception()});
        }
    }
    release();
}

void HandleCore::timer_fired(EventLoop& owner, std::uint64_t) {
    is_timer = false;  // out of the heap: cancel() no longer counts it as a stale entry
    owner.schedule(this);  // the timer's reference now belongs to the ready queue
}

bool HandleCore::cancel() {
    if (cancelled_.exchange(true, std::memory_order_relaxed)) return false;
    if (is_timer && loop) loop->note_timer_cancelled();
    return true;
}

}  // namespace detail
}  // namespace concurrence::asyncio
