// current_thread(), main_thread(), the dummy threads, and the list of alive threads.
//
// What outlives main() is leaked on purpose: a daemon thread may still start, end or ask for
// current_thread() while static destructors run, and must not find them destroyed.
#include "threading/current.hpp"

#include <pthread.h>
#include <unistd.h>

#include <algorithm>
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
};

AliveThreads& alive_threads() {
    static auto* const alive = new AliveThreads;
    return *alive;
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

unsigned long get_ident() noexcept {
    const pthread_t self = pthread_self();
    if constexpr (std::is_pointer_v<pthread_t>) {
        return reinterpret_cast<unsigned long>(self);
    } else {
        return static_cast<unsigned long>(self);
    }
}

unsigned long get_native_id() noexcept { return static_cast<unsigned long>(gettid()); }

std::size_t active_count() {
    auto& alive = detail::alive_threads();
    std::lock_guard lock(alive.mutex);
    return alive.states.size();
}

std::vector<Thread> enumerate() {
    auto& alive = detail::alive_threads();
    std::lock_guard lock(alive.mutex);
    std::vector<Thread> threads;
    threads.reserve(alive.states.size());
    for (const auto& state : alive.states) threads.push_back(detail::ThreadAccess::view(state));
    return threads;
}

}  // namespace concurrence::threading
