#include "concurrence/loop/event_loop.hpp"

#include <time.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <typeinfo>

#include "io/poller.hpp"
#include "base/describe_exception.hpp"
#include "loop/timer_heap.hpp"

namespace concurrence::asyncio {

namespace {
[[gnu::tls_model("initial-exec")]] thread_local EventLoop* t_running_loop = nullptr;
}

EventLoop& get_running_loop() {
    if (!t_running_loop) throw RuntimeError("no running event loop");
    return *t_running_loop;
}
EventLoop* running_loop_or_null() noexcept { return t_running_loop; }

struct EventLoop::Engine {
    detail::TimerHeap timers;
    std::uint64_t next_seq = 1;
    std::size_t cancelled_timers = 0;
    std::unique_ptr<io::Poller> poller = io::make_default_poller();

    // call_soon_threadsafe: handles posted by other threads, linked through next_ready_.
    std::mutex posted_mutex;
    detail::Runnable* posted_head = nullptr;
    detail::Runnable** posted_tail = &posted_head;
    std::atomic<bool> wakeup_pending{false};
};

EventLoop::EventLoop() : engine_(std::make_unique<Engine>()) {}

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
    if (ns <= 0) return 0;
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
        h->next_ready_ = nullptr;
        *e.posted_tail = h;
        e.posted_tail = &h->next_ready_;
    }
    // One write per batch: the loop clears the flag before it drains the list, so a post
    // that sees the flag still set is drained by that pass.
    if (!e.wakeup_pending.exchange(true, std::memory_order_acq_rel)) e.poller->wakeup();
}

void EventLoop::stop() { stopping_ = true; }

void EventLoop::run_forever() {
    check_open();
    if (running_) throw RuntimeError("This event loop is already running");
    if (t_running_loop) throw RuntimeError("Cannot run the event loop while another loop is running");
    running_ = true;
    t_running_loop = this;
    struct Reset {
        EventLoop* loop;
        ~Reset() {
            loop->running_ = false;
            loop->stopping_ = false;
            t_running_loop = nullptr;
        }
    } reset{this};
    for (;;) {
        run_once();
        if (stopping_) break;
    }
}

void EventLoop::run_once() {
    Engine& e = *engine_;

    std::int64_t timeout = -1;
    if (!ready_.empty() || stopping_) {
        timeout = 0;
    } else if (!e.timers.empty()) {
        const std::int64_t left = e.timers.top().when - now_ns();
        timeout = left > 0 ? left : 0;
    }
    if (e.poller->poll(timeout) || e.wakeup_pending.load(std::memory_order_acquire)) {
        e.wakeup_pending.store(false, std::memory_order_release);
        detail::Runnable* posted;
        {
            std::lock_guard guard(e.posted_mutex);
            posted = e.posted_head;
            e.posted_head = nullptr;
            e.posted_tail = &e.posted_head;
        }
        while (posted) {
            detail::Runnable* next = posted->next_ready_;
            ready_.push(posted);
            posted = next;
        }
    }

    if (!e.timers.empty()) {
        const std::int64_t now = now_ns();
        while (!e.timers.empty() && e.timers.top().when <= now) {
            const detail::TimerEntry t = e.timers.pop();
            if (t.target->timer_stale(t.seq)) {
                if (e.cancelled_timers) --e.cancelled_timers;
                t.target->timer_release();
            } else {
                t.target->timer_fired(*this, t.seq);
            }
        }
    }

    for (detail::Runnable* r = ready_.take_all(); r;) {
        detail::Runnable* next = r->next_ready_;
        r->run();
        r = next;
    }
}

void EventLoop::close() {
    if (running_) throw RuntimeError("Cannot close a running event loop");
    if (closed_) return;
    closed_ = true;
    Engine& e = *engine_;
    for (detail::Runnable* r = ready_.take_all(); r;) {
        detail::Runnable* next = r->next_ready_;
        r->discard_ready();
        r = next;
    }
    {
        std::lock_guard guard(e.posted_mutex);
        for (detail::Runnable* r = e.posted_head; r;) {
            detail::Runnable* next = r->next_ready_;
            r->discard_ready();
            r = next;
        }
        e.posted_head = nullptr;
        e.posted_tail = &e.posted_head;
    }
    for (const detail::TimerEntry& t : e.timers.entries()) t.target->timer_release();
    e.timers.entries().clear();
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
