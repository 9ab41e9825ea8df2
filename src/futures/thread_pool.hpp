// The state of a ThreadPoolExecutor and its workers' loop (CPython's concurrent/futures/thread.py:
// ThreadPoolExecutor's fields, _worker, _adjust_thread_count, _initializer_failed, shutdown).
//
// The workers use the pool through a plain pointer: the executor's destructor joins them
// before the pool goes away.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "concurrence/futures/future_state.hpp"
#include "concurrence/futures/thread_pool_executor.hpp"
#include "concurrence/threading/lock.hpp"
#include "concurrence/threading/thread.hpp"
#include "futures/idle_workers.hpp"
#include "futures/work_queue.hpp"

namespace concurrence::futures::detail {

class ThreadPool {
public:
    explicit ThreadPool(ThreadPoolExecutor::Options options);
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    void submit(StateCore* task);
    void shutdown(bool wait, bool cancel_futures);
    int max_workers() const noexcept { return max_workers_; }

private:
    void adjust_thread_count_locked();
    void worker_main() noexcept;
    // The next task for this worker; null when the pool shuts down and the queue is empty.
    StateCore* take_task() noexcept;
    WorkQueue::Pop pop(StateCore*& out) noexcept;
    void initializer_failed();
    // Under shutdown_lock_: empties the queue into `out` (the popper's references); returns the
    // former dummy, for the caller to release once it holds no lock (or null).
    QueueLink* drain_locked(std::vector<StateCore*>& out) noexcept;
    // BeforePublish: Python's _idle_semaphore.release() after each work item.
    static void release_idle_token(void* self) noexcept;

    // Cache lines apart: what the submitter writes at each submit, what the workers poll, what
    // the workers write. (A worker polling a line that submit() writes would cost every submit a
    // cache miss.)
    const int max_workers_;
    const std::string thread_name_prefix_;
    const std::function<void()> initializer_;
    std::atomic<bool> shutting_down_{false};  // shutdown_, for the workers
    std::atomic<int> thread_count_{0};        // threads_.size(), for the workers

    alignas(64) std::atomic<int> idle_tokens_{0};  // Python's _idle_semaphore

    alignas(64) threading::Lock shutdown_lock_;  // Python's _shutdown_lock: guards what follows
    bool shutdown_ = false;
    std::optional<std::string> broken_;
    std::vector<threading::Thread> threads_;

    alignas(64) WorkQueue queue_;
    IdleWorkers idle_;
};

}  // namespace concurrence::futures::detail
