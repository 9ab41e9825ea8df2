// current_thread(), main_thread(), the dummy threads, and the list of alive threads.
//
// What outlives main() is leaked on purpose: a daemon thread may still start, end or ask for
// current_thread() while static destructors run, and must not find them destroyed.
#include "threading/current.hpp"

#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <new>
#include <atomic>
#include <mutex>
#include <optional>
#include <type_traits>
#include <vector>

#include "threading/thread_state.hpp"

namespace concurrence::threading {

namespace detail {

namespace {

thread_local Thread* current = nullptr;

std::atomic<unsigned long> name_counter{1};

struct AliveThreads {
    std::mutex mutex;
    std::vector<std::shared_ptr<ThreadState>> states;  // in the order they became alive
    // Non-daemon threads started and not joined yet: exit() joins them (a thread leaves
    // `states` before its thread_local destructors run; it leaves this list once joined).
    std::vector<std::shared_ptr<ThreadState>> to_join_at_exit;
};

void forget_other_threads_after_fork() noexcept;

AliveThreads& alive_threads() {
    static auto* const alive = [] {
        pthread_atfork(nullptr, nullptr, &forget_other_threads_after_fork);
        return new AliveThreads;
    }();
    return *alive;
}

// In a child of fork(), only the forking thread exists. As CPython's threading._after_fork,
// the others are forgotten: the list holds only the calling thread again. Their states are
// left untouched (their mutexes may have been copied locked) and kept for ever, and the list's
// own mutex, which another thread may have held at the fork, is made anew.
void forget_other_threads_after_fork() noexcept {
    AliveThreads& alive = alive_threads();
    new (&alive.mutex) std::mutex;
    static auto* const forgotten = new std::vector<std::shared_ptr<ThreadState>>;
    const ThreadState* const self = current_state();
    std::vector<std::shared_ptr<ThreadState>> kept;
    for (auto& state : alive.states) {
        if (state.get() == self) {
            kept.push_back(std::move(state));
        } else {
            forgotten->push_back(std::move(state));
        }
    }
    alive.states = std::move(kept);
    for (auto& state : alive.to_join_at_exit) forgotten->push_back(std::move(state));
    alive.to_join_at_exit.clear();
}

// A thread we did not start gets a Thread the first time it asks for current_thread(); the
// thread_local's destructor marks it finished when the thread exits.
class DummyThread {
public:
    explicit DummyThread(std::shared_ptr<ThreadState> state)
        : state_(std::move(state)), view_(ThreadAccess::view(state_)) {}
    DummyThread(const DummyThread&) = delete;
    DummyThread& operator=(const DummyThread&) = delete;
    ~DummyThread() {
        remove_alive(state_.get());
        state_->mark_finished();
        if (current == &view_) current = nullptr;
    }
    Thread& view() { return view_; }

private:
    std::shared_ptr<ThreadState> state_;
    Thread view_;
};

thread_local std::optional<DummyThread> dummy;

}  // namespace

ThreadState* current_state() noexcept { return current ? ThreadAccess::state(*current) : nullptr; }

void set_current_thread(Thread* thread) noexcept { current = thread; }

void add_alive(std::shared_ptr<ThreadState> state) {
    auto& alive = alive_threads();
    std::lock_guard lock(alive.mutex);
    alive.states.push_back(std::move(state));
}

void remove_alive(const ThreadState* state) {
    auto& alive = alive_threads();
    std::lock_guard lock(alive.mutex);
    auto it = std::find_if(alive.states.begin(), alive.states.end(),
                           [&](const auto& s) { return s.get() == state; });
    if (it != alive.states.end()) alive.states.erase(it);
}

void add_to_join_at_exit(std::shared_ptr<ThreadState> state) {
    auto& alive = alive_threads();
    std::lock_guard lock(alive.mutex);
    alive.to_join_at_exit.push_back(std::move(state));
}

void remove_from_join_at_exit(const ThreadState* state) {
    auto& alive = alive_threads();
    std::lock_guard lock(alive.mutex);
    std::erase_if(alive.to_join_at_exit, [&](const auto& s) { return s.get() == state; });
}

std::shared_ptr<ThreadState> next_to_join_at_exit(const ThreadState* except) {
    auto& alive = alive_threads();
    std::lock_guard lock(alive.mutex);
    for (const auto& state : alive.to_join_at_exit)
        if (state.get() != except) return state;
    return nullptr;
}

std::vector<std::shared_ptr<ThreadState>> alive_states() {
    auto& alive = alive_threads();
    std::lock_guard lock(alive.mutex);
    return alive.states;
}

std::string new_name(const char* prefix) {
    return prefix + std::to_string(name_counter.fetch_add(1, std::memory_order_relaxed));
}

}  // namespace detail

Thread& main_thread() {
    // As in CPython, the main thread is the one that first uses the module: in practice main()'s,
    // as the initialiser below runs during static initialisation.
    static Thread* const main_view = [] {
        auto state = std::make_shared<detail::ThreadState>(detail::ThreadState::Kind::main, "MainThread", false);
        detail::add_alive(state);
        auto* view = new Thread(detail::ThreadAccess::view(std::move(state)));
        detail::current = view;
        return view;
    }();
    return *main_view;
}

namespace {
const struct MainThreadInit {
    MainThreadInit() { (void)main_thread(); }
} main_thread_init;
}  // namespace

Thread& current_thread() {
    if (detail::current) return *detail::current;
    (void)main_thread();  // if this is the first use of the module, this thread is the main one
    if (detail::current) return *detail::current;
    auto state = std::make_shared<detail::ThreadState>(detail::ThreadState::Kind::dummy,
                                                       detail::new_name("Dummy-"), true);
    detail::add_alive(state);
    detail::current = &detail::dummy.emplace(std::move(state)).view();
    return *detail::current;
}

unsigned long detail::ident_of(pthread_t thread) noexcept {
    if constexpr (std::is_pointer_v<pthread_t>) {
        return reinterpret_cast<unsigned long>(thread);
    } else {
        return static_cast<unsigned long>(thread);
    }
}

unsigned long get_ident() noexcept { return detail::ident_of(pthread_self()); }

unsigned long get_native_id() noexcept { return static_cast<unsigned long>(gettid()); }

std::size_t active_count() {
    auto& alive = detail::alive_threads();
    std::lock_guard lock(alive.mutex);
    return alive.states.size();
}

std::vector<Thread> enumerate() {
    std::vector<Thread> threads;
    for (auto& state : detail::alive_states()) threads.push_back(detail::ThreadAccess::view(std::move(state)));
    return threads;
}

}  // namespace concurrence::threading
