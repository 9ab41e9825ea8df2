// ThreadPoolExecutor's pool: submission, lazy workers, the workers' loop, breaking, shutdown.
#include "futures/thread_pool.hpp"

#include <sched.h>

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <thread>
#include <utility>

#include "base/describe_exception.hpp"
#include "futures/futex_wait.hpp"
#include "base/write_stderr.hpp"

namespace concurrence::futures::detail {

namespace {

using concurrence::detail::write_stderr;

// How long an idle worker polls the queue before it sleeps. A sleeping worker costs the next
// submit a futex wake (a system call, and the worker's own return from sleep): polling a while
// (some 50-100 us) lets a steady stream of submissions run without any. The poll yields the CPU
// now and then: with more busy threads than cores (a submitter and two workers on two cores),
// a worker that only spins takes the CPU from the thread that would give it work (W6: 0.16 ->
// 0.13 us per task).
constexpr int idle_spins = 2000;
constexpr int idle_yield_period = 16;

constexpr const char* broken_message = "A thread initializer failed, the thread pool is not usable anymore";

// Python's os.process_cpu_count(): the CPUs this process may run on.
int process_cpu_count() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
    return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

int checked_max_workers(const std::optional<int>& max_workers) {
    const int n = max_workers ? *max_workers : std::min(32, process_cpu_count() + 4);
    if (n <= 0) throw ValueError("max_workers must be greater than 0");
    return n;
}

// ThreadPoolExecutor._counter: numbers the executors that get the default prefix.
std::string default_prefix() {
    static std::atomic<int> counter{0};
    return "ThreadPoolExecutor-" + std::to_string(counter.fetch_add(1, std::memory_order_relaxed));
}

}  // namespace

ThreadPool::ThreadPool(ThreadPoolExecutor::Options options)
    : max_workers_(checked_max_workers(options.max_workers)),
      thread_name_prefix_(options.thread_name_prefix.empty() ? default_prefix() : std::move(options.thread_name_prefix)),
      initializer_(std::move(options.initializer)) {}

// ---- submitting

void ThreadPool::submit(StateCore* task) {
    std::unique_lock guard(shutdown_lock_);
    if (broken_ || shutdown_) {
        const std::optional<std::string> broken = broken_;
        guard.unlock();
        task->drop_task();
        task->release();  // the queue's two references
        task->release();
        if (broken) throw BrokenThreadPool(*broken);
        throw RuntimeError("cannot schedule new futures after shutdown");
    }
    queue_.push(task);
    if (thread_count_.load(std::memory_order_relaxed) < max_workers_) adjust_thread_count_locked();
    guard.unlock();
    idle_.wake_one();
}

// Python's _adjust_thread_count: an idle worker takes the task if there is one; otherwise a new
// worker starts, up to max_workers.
void ThreadPool::adjust_thread_count_locked() {
    int tokens = idle_tokens_.load(std::memory_order_relaxed);
    while (tokens > 0)
        if (idle_tokens_.compare_exchange_weak(tokens, tokens - 1, std::memory_order_acquire)) return;
    const int n = static_cast<int>(threads_.size());
    threading::Thread worker({.name = thread_name_prefix_ + "_" + std::to_string(n), .daemon = false},
                             [this] { worker_main(); });
    worker.start();
    threads_.push_back(std::move(worker));
    thread_count_.store(n + 1, std::memory_order_relaxed);
}

// Released before the task's result is published, so that a submit() made after result()
// returned sees the worker as idle (CPython releases it a moment later, which is racy).
void ThreadPool::release_idle_token(void* self) noexcept {
    auto* pool = static_cast<ThreadPool*>(self);
    // With every worker started, the tokens no longer decide anything: spare the atomic.
    if (pool->thread_count_.load(std::memory_order_relaxed) < pool->max_workers_)
        pool->idle_tokens_.fetch_add(1, std::memory_order_release);
}

// ---- the workers

void ThreadPool::worker_main() noexcept {
    if (initializer_) {
        try {
            initializer_();
        } catch (...) {
            // Python: LOGGER.critical('Exception in initializer:', exc_info=True)
            write_stderr("Exception in initializer:\n" + concurrence::detail::describe_exception(std::current_exception()) +
                         "\n");
            initializer_failed();
            return;
        }
    }
    while (StateCore* task = take_task()) {
        task->run_task(BeforePublish{&release_idle_token, this});
        task->release();
    }
}

WorkQueue::Pop ThreadPool::pop(StateCore*& out) noexcept {
    // The consumer lock is held for a few instructions: spin for it rather than sleep.
    for (int i = 0; !queue_.consumer_lock.try_lock(); ++i) {
        if (i == 100) {
            queue_.consumer_lock.lock();
            break;
        }
        cpu_relax();
    }
    QueueLink* former_dummy = nullptr;
    const WorkQueue::Pop result = queue_.try_pop(out, former_dummy);
    queue_.consumer_lock.unlock();
    if (result == WorkQueue::Pop::item) queue_.release_dummy(former_dummy);
    return result;
}

StateCore* ThreadPool::take_task() noexcept {
    StateCore* task = nullptr;
    for (;;) {
        WorkQueue::Pop got = pop(task);
        if (got == WorkQueue::Pop::item) return task;
        if (got == WorkQueue::Pop::empty && shutting_down_.load(std::memory_order_acquire)) return nullptr;
        if (got == WorkQueue::Pop::busy) {  // a submitter is between its two steps
            std::this_thread::yield();
            continue;
        }
        for (int i = 1; i <= idle_spins && queue_.looks_empty(); ++i) {
            if (shutting_down_.load(std::memory_order_relaxed)) break;
            if (i % idle_yield_period == 0)
                std::this_thread::yield();
            else
                cpu_relax();
        }
        if (!queue_.looks_empty() || shutting_down_.load(std::memory_order_relaxed)) continue;
        idle_.prepare_sleep();
        got = pop(task);
        if (got == WorkQueue::Pop::item) {
            idle_.cancel_sleep();
            return task;
        }
        if (got == WorkQueue::Pop::busy || shutting_down_.load(std::memory_order_seq_cst)) {
            idle_.cancel_sleep();
            continue;
        }
        idle_.sleep();
    }
}

// Python's _initializer_failed: the pool is broken; what is queued fails.
void ThreadPool::initializer_failed() {
    std::vector<StateCore*> drained;
    QueueLink* former_dummy = nullptr;
    {
        std::lock_guard guard(shutdown_lock_);
        broken_ = broken_message;
        former_dummy = drain_locked(drained);
    }
    if (former_dummy) queue_.release_dummy(former_dummy);
    for (StateCore* task : drained) {
        try {
            // (CPython calls set_exception on a cancelled future too, and dies of it.)
            if (task->set_running_or_notify_cancel())
                task->set_exception(std::make_exception_ptr(BrokenThreadPool(broken_message)));
        } catch (...) {
        }
        task->drop_task();
        task->release();
    }
}

QueueLink* ThreadPool::drain_locked(std::vector<StateCore*>& out) noexcept {
    StateCore* task = nullptr;
    QueueLink* former_dummy = nullptr;
    QueueLink* first_dummy = nullptr;  // the only one that may go away: the caller lets go of it
    queue_.consumer_lock.lock();
    // No push is half done: pushes happen under shutdown_lock_, which the caller holds.
    while (queue_.try_pop(task, former_dummy) == WorkQueue::Pop::item) {
        if (!first_dummy)
            first_dummy = former_dummy;
        else
            queue_.release_dummy(former_dummy);  // a drained task: `out` still holds it
        try {
            out.push_back(task);
        } catch (...) {
            task->release();  // out of memory: the task is lost
        }
    }
    queue_.consumer_lock.unlock();
    return first_dummy;
}

// ---- shutting down

void ThreadPool::shutdown(bool wait, bool cancel_futures) {
    std::vector<StateCore*> drained;
    QueueLink* former_dummy = nullptr;
    {
        std::lock_guard guard(shutdown_lock_);
        shutdown_ = true;
        shutting_down_.store(true, std::memory_order_seq_cst);
        if (cancel_futures) former_dummy = drain_locked(drained);
    }
    if (former_dummy) queue_.release_dummy(former_dummy);
    for (StateCore* task : drained) {
        // CPython only cancels; telling the waiters too is its pending fix (gh-109934).
        if (task->cancel()) {
            try {
                task->set_running_or_notify_cancel();
            } catch (...) {
            }
        }
        task->drop_task();
        task->release();
    }
    idle_.wake_all();
    // No thread starts after shutdown_ is set: threads_ no longer changes.
    if (wait)
        for (threading::Thread& t : threads_) t.join();
}

}  // namespace concurrence::futures::detail
