// concurrent.futures.Future's shared state: the lock bit, waiting, completion, callbacks.
#include "concurrence/futures/future_state.hpp"

#include <cxxabi.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "base/describe_exception.hpp"
#include "futures/futex_wait.hpp"
#include "futures/waiter.hpp"
#include "base/write_stderr.hpp"

namespace concurrence::futures::detail {

namespace {

using concurrence::detail::write_stderr;

// Spins before sleeping on a held lock bit: it is held for a few instructions only.
constexpr int lock_spins = 200;
// Spins before sleeping in result(): a worker often finishes within a few hundred nanoseconds,
// and a futex sleep and wake cost microseconds on both sides.
constexpr int done_spins = 400;

std::string describe(const std::exception_ptr& e) { return concurrence::detail::describe_exception(e); }

}  // namespace

std::string type_name(const std::type_info& type) {
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> out(abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), std::free);
    std::string name = status == 0 && out ? std::string(out.get()) : std::string(type.name());
    if (name == "std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >") return "std::string";
    const std::string prefix = "concurrence::";
    if (name.rfind(prefix, 0) == 0) name.erase(0, prefix.size());
    return name;
}

StateCore::~StateCore() {
    DoneCallbackNode* node = more_callbacks_;
    while (node) delete std::exchange(node, node->next);
}

void StateCore::run_task(BeforePublish) noexcept {}

const char* StateCore::status_name(Status s) noexcept {
    switch (s) {
        case Status::pending: return "PENDING";
        case Status::running: return "RUNNING";
        case Status::cancelled: return "CANCELLED";
        case Status::cancelled_and_notified: return "CANCELLED_AND_NOTIFIED";
        case Status::finished: return "FINISHED";
    }
    return "?";
}

std::string StateCore::repr() const {
    const Status s = status();
    char address[2 + 2 * sizeof(void*) + 1];
    std::snprintf(address, sizeof address, "%#lx", static_cast<unsigned long>(reinterpret_cast<std::uintptr_t>(this)));
    std::string text = std::string("<Future at ") + address + " state=";
    switch (s) {
        case Status::pending: text += "pending"; break;
        case Status::running: text += "running"; break;
        case Status::cancelled:
        case Status::cancelled_and_notified: text += "cancelled"; break;
        case Status::finished:
            if (exception_) {
                std::string type = concurrence::detail::exception_type_name(exception_);
                if (type.rfind("futures::", 0) == 0) type.erase(0, 9);
                text += "finished raised " + type;
            } else {
                text += "finished returned " + result_type_name();
            }
            break;
    }
    return text + ">";
}

// ---- the lock bit

int StateCore::lock_slow() noexcept {
    int w = word_.load(std::memory_order_relaxed);
    for (int spins = 0;;) {
        if (!(w & locked_bit)) {
            if (word_.compare_exchange_weak(w, w | locked_bit, std::memory_order_acquire, std::memory_order_relaxed))
                return w | locked_bit;
            continue;
        }
        if (spins < lock_spins) {
            ++spins;
            cpu_relax();
            w = word_.load(std::memory_order_relaxed);
            continue;
        }
        if (!(w & lock_waiters_bit)) {
            if (!word_.compare_exchange_weak(w, w | lock_waiters_bit, std::memory_order_relaxed)) continue;
            w |= lock_waiters_bit;
        }
        futex_wait(word_, w, -1);
        w = word_.load(std::memory_order_relaxed);
    }
}

void StateCore::unlock(Status status) noexcept {
    int next = static_cast<int>(status) | (has_listeners_locked() ? listeners_bit : 0);
    int old = word_.load(std::memory_order_relaxed);
    // While we hold the bit, others only add the two sleeper flags: keep "sleepers" while the
    // future is not done (they wait for done, not for this change).
    const bool now_done = is_done(status);
    while (!word_.compare_exchange_weak(old, next | (now_done ? 0 : (old & sleepers_bit)), std::memory_order_release,
                                        std::memory_order_relaxed)) {
    }
    if ((old & lock_waiters_bit) || (now_done && (old & sleepers_bit))) futex_wake_all(word_);
}

int StateCore::lock_unless_done() {
    const int w = lock();
    const Status s = status_of(w);
    if (is_done(s)) {
        unlock(s);
        throw InvalidStateError(std::string(status_name(s)) + ": " + repr());
    }
    return w;
}

// ---- completion

void StateCore::finish_locked(int word, std::exception_ptr error) noexcept {
    if (error) exception_ = std::move(error);
    bool callbacks = false;
    if (word & listeners_bit) {
        if (waiters_) notify_waiters_locked(Status::finished);
        callbacks = static_cast<bool>(first_callback_);
    }
    unlock(Status::finished);
    if (callbacks) run_callbacks();
}

void StateCore::set_exception(std::exception_ptr e) {
    if (!e) throw ValueError("set_exception() needs an exception");
    const int w = lock_unless_done();
    finish_locked(w, std::move(e));
}

bool StateCore::cancel() {
    const Status seen = status();
    if (seen == Status::running || seen == Status::finished) return false;  // both are final for cancel()
    if (seen != Status::pending) return true;
    const int w = lock();
    const Status s = status_of(w);
    if (s != Status::pending) {
        unlock(s);
        return s == Status::cancelled || s == Status::cancelled_and_notified;
    }
    // Python's cancel() wakes result() but tells wait()/as_completed() nothing yet: that is
    // set_running_or_notify_cancel()'s job.
    const bool callbacks = static_cast<bool>(first_callback_);
    unlock(Status::cancelled);
    if (callbacks) run_callbacks();
    return true;
}

bool StateCore::set_running_or_notify_cancel() {
    int w = static_cast<int>(Status::pending);
    if (word_.compare_exchange_strong(w, static_cast<int>(Status::running), std::memory_order_acq_rel,
                                      std::memory_order_relaxed))
        return true;
    w = lock();
    const Status s = status_of(w);
    if (s == Status::cancelled) {
        if (waiters_) notify_waiters_locked(Status::cancelled_and_notified);
        unlock(Status::cancelled_and_notified);
        return false;
    }
    if (s == Status::pending) {
        unlock(Status::running);
        return true;
    }
    unlock(s);
    // Python logs this at CRITICAL level before raising.
    write_stderr("Future " + std::to_string(reinterpret_cast<std::uintptr_t>(this)) + " in unexpected state: " +
                 status_name(s) + "\n");
    throw RuntimeError("Future in unexpected state");
}

void StateCore::notify_waiters_locked(Status status) noexcept {
    for (WaiterLink* link = waiters_; link; link = link->next) {
        if (status == Status::cancelled_and_notified)
            link->waiter->add_cancelled(link->index);
        else if (exception_)
            link->waiter->add_exception(link->index);
        else
            link->waiter->add_result(link->index);
    }
}

// ---- waiting

int StateCore::wait_done(const std::optional<Delay>& timeout) const {
    int w = word_.load(std::memory_order_acquire);
    if (is_done(status_of(w)) || (timeout && !timeout->is_positive())) return w;
    const std::int64_t deadline = deadline_of(timeout);
    for (int spins = 0;;) {
        if (is_done(status_of(w))) return w;
        if (spins < done_spins) {
            ++spins;
            cpu_relax();
            w = word_.load(std::memory_order_acquire);
            continue;
        }
        if (passed(deadline)) return w;
        if (!(w & sleepers_bit)) {
            if (!word_.compare_exchange_weak(w, w | sleepers_bit, std::memory_order_acquire, std::memory_order_acquire))
                continue;
            w |= sleepers_bit;
        }
        futex_wait(word_, w, deadline);
        w = word_.load(std::memory_order_acquire);
    }
}

void StateCore::wait_for_result_slow(const std::optional<Delay>& timeout) const {
    const Status s = status_of(wait_done(timeout));
    if (s == Status::cancelled || s == Status::cancelled_and_notified) throw CancelledError();
    if (s != Status::finished) throw TimeoutError();
    if (exception_) std::rethrow_exception(exception_);
}

std::exception_ptr StateCore::wait_for_exception(const std::optional<Delay>& timeout) const {
    const Status s = status_of(wait_done(timeout));
    if (s == Status::cancelled || s == Status::cancelled_and_notified) throw CancelledError();
    if (s != Status::finished) throw TimeoutError();
    return exception_;
}

// ---- callbacks

void StateCore::add_done_callback(DoneCallback callback) {
    int w = lock();
    if (!is_done(status_of(w))) {
        if (!first_callback_) {
            first_callback_ = std::move(callback);
            unlock(status_of(w));
            return;
        }
        unlock(status_of(w));
        // A second callback: allocate its node without holding the lock, then look again.
        auto node = std::make_unique<DoneCallbackNode>();
        node->callback = std::move(callback);
        w = lock();
        if (!is_done(status_of(w))) {
            DoneCallbackNode** tail = &more_callbacks_;
            while (*tail) tail = &(*tail)->next;
            *tail = node.release();
            unlock(status_of(w));
            return;
        }
        unlock(status_of(w));
        run_callback(node->callback);
        return;
    }
    unlock(status_of(w));
    run_callback(callback);
}

void StateCore::run_callback(DoneCallback& callback) noexcept {
    try {
        callback(*this);
    } catch (...) {
        const std::exception_ptr e = std::current_exception();
        try {
            write_stderr("exception calling callback for " + repr() + "\n" + describe(e) + "\n");
        } catch (...) {
        }
    }
}

// Once done, the callbacks belong to the thread that completed the future: add_done_callback
// no longer stores any. Each is let go after its call (Python keeps them; nothing can tell).
void StateCore::run_callbacks() noexcept {
    run_callback(first_callback_);
    first_callback_.reset();
    DoneCallbackNode* node = std::exchange(more_callbacks_, nullptr);
    while (node) {
        run_callback(node->callback);
        delete std::exchange(node, node->next);
    }
}

// ---- waiters

Status StateCore::add_waiter(WaiterLink& link) {
    const int w = lock();
    const Status s = status_of(w);
    if (s == Status::finished || s == Status::cancelled_and_notified) {
        const bool failed = s == Status::finished && exception_;
        unlock(s);
        if (s == Status::cancelled_and_notified)
            link.waiter->add_cancelled(link.index);
        else if (failed)
            link.waiter->add_exception(link.index);
        else
            link.waiter->add_result(link.index);
        return s;
    }
    link.prev = nullptr;
    link.next = waiters_;
    if (waiters_) waiters_->prev = &link;
    waiters_ = &link;
    link.linked = true;
    unlock(s);
    return s;
}

void StateCore::remove_waiter(WaiterLink& link) noexcept {
    if (!link.linked) return;
    const int w = lock();
    if (link.prev)
        link.prev->next = link.next;
    else
        waiters_ = link.next;
    if (link.next) link.next->prev = link.prev;
    link.prev = link.next = nullptr;
    link.linked = false;
    unlock(status_of(w));
}

}  // namespace concurrence::futures::detail
