// ThreadPoolExecutor: the public face of detail::ThreadPool.
#include "concurrence/futures/thread_pool_executor.hpp"

#include "futures/thread_pool.hpp"

namespace concurrence::futures {

ThreadPoolExecutor::ThreadPoolExecutor() : ThreadPoolExecutor(Options{}) {}

ThreadPoolExecutor::ThreadPoolExecutor(int max_workers) : ThreadPoolExecutor(Options{.max_workers = max_workers}) {}

ThreadPoolExecutor::ThreadPoolExecutor(Options options)
    : pool_(std::make_unique<detail::ThreadPool>(std::move(options))) {}

ThreadPoolExecutor::ThreadPoolExecutor(ThreadPoolExecutor&&) noexcept = default;

ThreadPoolExecutor::~ThreadPoolExecutor() {
    if (pool_) pool_->shutdown(true, false);
}

void ThreadPoolExecutor::shutdown(bool wait, bool cancel_futures) { pool_->shutdown(wait, cancel_futures); }

int ThreadPoolExecutor::max_workers() const noexcept { return pool_->max_workers(); }

void ThreadPoolExecutor::enqueue(detail::StateCore* task) { pool_->submit(task); }

}  // namespace concurrence::futures
