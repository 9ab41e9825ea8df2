// A thread's lifecycle: start, run the target, report its exception, finish, be joined.
#include "concurrence/base/trace.hpp"
#include "threading/thread_state.hpp"

#include <pthread.h>

#include <chrono>
#include <cstdlib>
#include <system_error>

#include "threading/current.hpp"
#include "threading/uncaught.hpp"

namespace concurrence::threading::detail {

namespace {

// Gives the OS thread our name, for debuggers and top (as Python 3.14 does). The kernel keeps
// 15 bytes; cut at a UTF-8 character boundary so tools do not show a broken character.
void set_os_thread_name(const std::string& name) noexcept {
    constexpr std::size_t max_bytes = 15;
    std::size_t size = name.size();
    if (size > max_bytes) {
        size = max_bytes;
        while (size > 0 && (static_cast<unsigned char>(name[size]) & 0xC0) == 0x80) --size;
    }
    pthread_setname_np(pthread_self(), name.substr(0, size).c_str());
}

}  // namespace

ThreadState::ThreadState(std::string name, bool daemon, std::unique_ptr<Target> target)
    : kind_(Kind::started_here), name_(std::move(name)), daemon_(daemon), target_(std::move(target)) {}

ThreadState::ThreadState(Kind kind, std::string name, bool daemon)
    : kind_(kind), name_(std::move(name)), daemon_(daemon) {
    enter_running();
}

ThreadState::~ThreadState() {
    // Every owner joins or detaches before letting go; this only guards against a leaked thread.
    if (joinable_) pthread_detach(handle_);
}

void ThreadState::enter_running() {
    ident_.store(get_ident(), std::memory_order_relaxed);
    native_id_.store(get_native_id(), std::memory_order_relaxed);
    std::lock_guard lock(mutex_);
    phase_ = Phase::running;
}

void ThreadState::start(const std::shared_ptr<ThreadState>& self) {
    bool daemonic = false;
    {
        std::lock_guard lock(mutex_);
        if (phase_ != Phase::initial) throw RuntimeError("threads can only be started once");
        // Running from here on, as Python's start() promises when it returns.
        phase_ = Phase::running;
        daemonic = daemon_;
        os_name_ = name_;
        if (!daemonic) {
            static const bool registered = std::atexit(&ThreadState::wait_for_non_daemon_threads) == 0;
            (void)registered;
        }
    }
    add_alive(self);  // before the thread runs, so that enumerate() lists it once start() returns
    if (!daemonic) add_to_join_at_exit(self);
    if (!spawn(self)) {
        remove_alive(this);
        remove_from_join_at_exit(this);
        std::lock_guard lock(mutex_);
        phase_ = Phase::initial;
        throw RuntimeError("can't start new thread");
    }
    // Python's start() waits for the new thread to start (self._started.wait()), so a thread
    // started first begins its target first: the tutorial's "Bonjour!" comes before "Au
    // revoir!", as in Python (without the wait, 1 run in 4 to 12 printed them the other way).
    // The thread says so by publishing its kernel id, the first thing it does.
    while (native_id_.load(std::memory_order_acquire) == 0) native_id_.wait(0, std::memory_order_acquire);
}

bool ThreadState::spawn(const std::shared_ptr<ThreadState>& self) {
    // Attributes only for a stack size: without them, glibc takes its defaults as std::thread
    // does.
    pthread_attr_t attributes;
    const std::size_t stack_size = configured_stack_size();
    if (stack_size != 0) {
        if (pthread_attr_init(&attributes) != 0) return false;
        if (pthread_attr_setstacksize(&attributes, stack_size) != 0) {
            pthread_attr_destroy(&attributes);
            return false;
        }
    }
    bool created = false;
    {
        std::lock_guard lock(handle_mutex_);
        self_ = self;  // the thread's own reference, adopted in bootstrap()
        created = pthread_create(&handle_, stack_size != 0 ? &attributes : nullptr, &ThreadState::bootstrap, this) == 0;
        if (created) {
            joinable_ = true;
            ident_.store(ident_of(handle_), std::memory_order_relaxed);  // the thread stores it too
        } else {
            self_.reset();
        }
    }
    if (stack_size != 0) pthread_attr_destroy(&attributes);
    return created;
}

void* ThreadState::bootstrap(void* arg) {
    std::shared_ptr<ThreadState> self = std::move(static_cast<ThreadState*>(arg)->self_);
    Thread view = ThreadAccess::view(self);
    set_current_thread(&view);
    // os_name_ and self_ were written before pthread_create, which orders them before this.
    set_os_thread_name(self->os_name_);
    self->ident_.store(get_ident(), std::memory_order_relaxed);
    self->native_id_.store(get_native_id(), std::memory_order_release);
    self->native_id_.notify_all();  // native_id() may be waiting
    const bool traced = trace::detail::recording();
    if (traced) {
        trace::detail::name_lane(trace::detail::thread_lane(), view.name());
        trace::detail::record(trace::detail::Kind::thread_start, trace::detail::thread_lane());
    }

    try {
        self->target_->run();
    } catch (...) {
        report_uncaught_exception(&view);
    }
    if (traced && trace::detail::recording()) trace::detail::record(trace::detail::Kind::thread_end, trace::detail::thread_lane());
    // Python drops the target here too: what it holds is released before join() returns.
    self->target_.reset();

    remove_alive(self.get());
    set_current_thread(nullptr);
    {
        std::lock_guard lock(self->mutex_);
        self->phase_ = Phase::finished;
    }
    self->phase_changed_.notify_all();
    return nullptr;
}

void ThreadState::wait_for_non_daemon_threads() {
    const ThreadState* const exiting = current_state();
    while (std::shared_ptr<ThreadState> pending = next_to_join_at_exit(exiting)) {
        // Joined, as CPython's _shutdown does: the thread has run its thread_local destructors
        // (its threading::local values) before exit() goes on to the static ones. A child of
        // fork() has an empty list (see current.cpp).
        pending->wait_and_reap();
        remove_from_join_at_exit(pending.get());
    }
}

void ThreadState::join(std::optional<Delay> timeout) {
    if (kind_ == Kind::dummy) throw RuntimeError("cannot join a dummy thread");
    {
        std::lock_guard lock(mutex_);
        if (phase_ == Phase::initial)
            throw RuntimeError("cannot join thread before it is started");
    }
    if (current_state() == this) throw RuntimeError("cannot join current thread");
    if (timeout && timeout->is_nan()) throw ValueError("Invalid value NaN (not a number)");
    if (timeout) check_timeout_max(*timeout);
    const trace::detail::ScopedWait traced("join");
    if (!timeout) {
        wait_and_reap();
    } else if (wait_finished(timeout)) {
        reap();
    }
}

void ThreadState::wait_and_reap() {
    {
        // The OS join is the wait: one sleep, where waiting for the finished phase and then
        // joining would be two (the cost of a short thread is mostly such round trips).
        std::lock_guard lock(handle_mutex_);
        join_handle();
    }
    wait_finished(std::nullopt);  // at once if joined above; else joined elsewhere, or not ours
    remove_from_join_at_exit(this);
}

void ThreadState::let_go() noexcept {
    bool detach = false;
    {
        std::lock_guard lock(mutex_);
        if (phase_ == Phase::initial) return;  // never started: nothing runs
        detach = daemon_;
    }
    // A thread destroying its own Thread object cannot wait for itself.
    if (detach || current_state() == this) {
        std::lock_guard lock(handle_mutex_);
        if (joinable_) pthread_detach(handle_);
        joinable_ = false;
        return;
    }
    wait_and_reap();
}

bool ThreadState::wait_finished(std::optional<Delay> timeout) {
    const auto finished = [&] { return phase_ == Phase::finished; };
    const auto start = std::chrono::steady_clock::now();
    std::unique_lock lock(mutex_);
    if (!timeout) {
        phase_changed_.wait(lock, finished);
        return true;
    }
    const auto wait = std::chrono::nanoseconds(timeout->is_positive() ? timeout->nanoseconds() : 0);
    return phase_changed_.wait_until(lock, start + wait, finished);
}

void ThreadState::join_handle() noexcept {
    if (joinable_) pthread_join(handle_, nullptr);
    joinable_ = false;
}

void ThreadState::reap() {
    {
        std::lock_guard lock(handle_mutex_);
        join_handle();
    }
    remove_from_join_at_exit(this);
}

void ThreadState::mark_finished() {
    {
        std::lock_guard lock(mutex_);
        phase_ = Phase::finished;
    }
    phase_changed_.notify_all();
}

bool ThreadState::is_alive() const {
    std::lock_guard lock(mutex_);
    return phase_ == Phase::running;
}

std::string ThreadState::name() const {
    std::lock_guard lock(mutex_);
    return name_;
}

void ThreadState::set_name(std::string name) {
    // As Python 3.14, a thread renaming itself renames its OS thread too.
    if (current_state() == this) set_os_thread_name(name);
    std::lock_guard lock(mutex_);
    name_ = std::move(name);
}

bool ThreadState::daemon() const {
    std::lock_guard lock(mutex_);
    return daemon_;
}

void ThreadState::set_daemon(bool daemonic) {
    std::lock_guard lock(mutex_);
    // Python refuses once started, even after the thread has ended.
    if (phase_ != Phase::initial) throw RuntimeError("cannot set daemon status of active thread");
    daemon_ = daemonic;
}

std::optional<unsigned long> ThreadState::ident() const {
    const unsigned long ident = ident_.load(std::memory_order_relaxed);
    return ident ? std::optional(ident) : std::nullopt;
}

std::optional<unsigned long> ThreadState::native_id() const {
    bool started = false;
    {
        std::lock_guard lock(mutex_);
        started = kind_ == Kind::started_here && phase_ != Phase::initial;
    }
    unsigned long id = native_id_.load(std::memory_order_acquire);
    // Started, but the thread has not told its kernel id yet: it is about to.
    while (started && id == 0) {
        native_id_.wait(0, std::memory_order_acquire);
        id = native_id_.load(std::memory_order_acquire);
    }
    return id ? std::optional(id) : std::nullopt;
}

}  // namespace concurrence::threading::detail
