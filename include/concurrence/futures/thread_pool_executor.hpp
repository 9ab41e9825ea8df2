// concurrent.futures.ThreadPoolExecutor: runs calls on a pool of worker threads.
//
//     with ThreadPoolExecutor(max_workers=4, thread_name_prefix="io") as ex:
//         f = ex.submit(fetch, url)
//     →   {
//             futures::ThreadPoolExecutor ex({.max_workers = 4, .thread_name_prefix = "io"});
//             futures::Future<Page> f = ex.submit(fetch, url);
//         }   // the destructor is shutdown(wait=true), as leaving the `with` block
//
//     ThreadPoolExecutor(8)                          →   futures::ThreadPoolExecutor ex(8);
//     ex.map(fn, items, timeout=5)                   →   for (auto r : ex.map(fn, items, 5)) ...
//     ThreadPoolExecutor(initializer=f, initargs=(1,))  →  ex({.initializer = [] { f(1); }})
//
// Python's keyword arguments are Options fields (designated initialisers); initargs are bound
// into the initializer with a lambda. max_workers defaults to min(32, CPUs available + 4);
// 0 or less throws ValueError "max_workers must be greater than 0".
//
// submit(fn, args...) returns a Future of fn's result type (cv and references removed; void
// stays void). fn and args are copied or moved in and invoked as rvalues, exactly as by
// std::thread. An exception escaping fn is stored in the future, nowhere else. Tasks start in
// submission order. A task whose future was cancelled before it started is skipped.
// submit() throws RuntimeError "cannot schedule new futures after shutdown", or BrokenThreadPool
// once an initializer failed.
//
// Workers start lazily, as in CPython: a submit() reuses an idle worker if there is one and
// otherwise starts a new one, up to max_workers. They are named "<prefix>_<n>", the prefix
// being thread_name_prefix or "ThreadPoolExecutor-<k>" (k counts such executors). An
// initializer runs once at the start of each worker; if one throws, it is reported on stderr
// ("Exception in initializer:"), the pool breaks: queued futures fail with BrokenThreadPool("A
// thread initializer failed, the thread pool is not usable anymore") and so does every later
// submit().
//
// shutdown(wait=true, cancel_futures=false): no more submissions; with cancel_futures the queued
// tasks are cancelled (and, unlike CPython 3.13, waiters in wait()/as_completed() are told at
// once: CPython gh-109934); workers finish what is queued and exit; with wait, returns when they
// have. May be called again. The destructor calls shutdown(true) (and so must not run in one of
// the pool's own tasks). A moved-from executor may only be destroyed.
//
// Design notes (why it is fast; W6 in bench/w6_pool.cpp):
//   - One allocation per task, from a per-thread free list (state_allocator.hpp): the future's
//     state holds the callable (task_state.hpp) and is the node of the work queue.
//   - The queue is intrusive and lock-free for submitters (one atomic exchange per push); the
//     workers take turns at the other end (src/futures/work_queue.hpp). What submitters write
//     and what workers poll sit on separate cache lines.
//   - submit() makes a system call only when a worker sleeps; an idle worker spins a little
//     before it sleeps, and completing a future nobody sleeps on makes no call either.
//
// Thread safety: every method may be called from any thread (submit from several at once).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <ranges>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "concurrence/base/errors.hpp"
#include "concurrence/base/timeout.hpp"
#include "concurrence/futures/errors.hpp"
#include "concurrence/futures/future.hpp"
#include "concurrence/futures/map_results.hpp"
#include "concurrence/futures/task_state.hpp"

namespace concurrence::futures {

namespace detail {
class ThreadPool;
}

class ThreadPoolExecutor {
public:
    // Python's keyword arguments. (The `= {}` let `{.max_workers = 4}` leave out the others.)
    struct Options {
        std::optional<int> max_workers = {};        // none: min(32, CPUs + 4)
        std::string thread_name_prefix = {};        // empty: "ThreadPoolExecutor-<k>"
        std::function<void()> initializer = {};     // run at the start of each worker
    };

    ThreadPoolExecutor();
    explicit ThreadPoolExecutor(Options options);
    explicit ThreadPoolExecutor(int max_workers);
    ThreadPoolExecutor(ThreadPoolExecutor&&) noexcept;
    ThreadPoolExecutor& operator=(ThreadPoolExecutor&&) = delete;
    ThreadPoolExecutor(const ThreadPoolExecutor&) = delete;
    ThreadPoolExecutor& operator=(const ThreadPoolExecutor&) = delete;
    ~ThreadPoolExecutor();

    template <class F, class... Args>
        requires std::invocable<std::decay_t<F>, std::decay_t<Args>...>
    auto submit(F&& fn, Args&&... args) {
        using R = std::remove_cvref_t<std::invoke_result_t<std::decay_t<F>, std::decay_t<Args>...>>;
        auto* task = new detail::TaskState<R, std::decay_t<F>, std::decay_t<Args>...>(std::forward<F>(fn),
                                                                                      std::forward<Args>(args)...);
        Future<R> future(task, detail::adopt_ref);  // the first reference; the queue has the others
        enqueue(task);
        return future;
    }

    // Python's map(fn, *iterables, timeout=None): submits fn(a, b, ...) now for each tuple of
    // items taken in step from the iterables, stopping at the shortest (as zip()); iterating the
    // result waits for each in turn (map_results.hpp). A last argument that is not a range is
    // the timeout:
    //     pool.map(f, xs)    pool.map(f, xs, 5)    pool.map(pow, bases, exponents, 0.5)
    // (Python's chunksize does nothing for threads; it has no C++ spelling.)
    template <class F, class... Args>
        requires(sizeof...(Args) >= 1)
    auto map(F&& fn, Args&&... args) {
        constexpr std::size_t n = sizeof...(Args);
        using Last = std::remove_cvref_t<std::tuple_element_t<n - 1, std::tuple<Args...>>>;
        auto all = std::forward_as_tuple(args...);
        if constexpr (std::ranges::input_range<Last>) {
            return map_ranges(fn, std::nullopt, all, std::make_index_sequence<n>{});
        } else {
            static_assert(n >= 2, "map(fn, iterables..., timeout): give at least one iterable");
            return map_ranges(fn, std::optional<Delay>(std::get<n - 1>(all)), all, std::make_index_sequence<n - 1>{});
        }
    }

    void shutdown(bool wait = true, bool cancel_futures = false);

    // Python's _max_workers.
    [[nodiscard]] int max_workers() const noexcept;

private:
    template <class F, class Tuple, std::size_t... I>
    auto map_ranges(F& fn, std::optional<Delay> timeout, Tuple& ranges, std::index_sequence<I...>) {
        static_assert((std::ranges::input_range<std::tuple_element_t<I, Tuple>> && ...),
                      "map(fn, iterables..., timeout): every argument but a last timeout must be a range");
        static_assert(std::invocable<std::decay_t<F>,
                                     std::ranges::range_value_t<std::remove_reference_t<std::tuple_element_t<I, Tuple>>>...>,
                      "map(fn, iterables...): fn cannot be called with one item of each iterable");
        using R = std::remove_cvref_t<std::invoke_result_t<
            std::decay_t<F>, std::ranges::range_value_t<std::remove_reference_t<std::tuple_element_t<I, Tuple>>>...>>;
        const auto deadline = MapResults<R>::deadline_after(timeout);  // Python: before submitting
        std::vector<Future<R>> fs;
        if constexpr (sizeof...(I) == 1 && std::ranges::sized_range<std::tuple_element_t<0, Tuple>>)
            fs.reserve(std::ranges::size(std::get<0>(ranges)));
        auto its = std::make_tuple(std::ranges::begin(std::get<I>(ranges))...);
        const auto ends = std::make_tuple(std::ranges::end(std::get<I>(ranges))...);
        while (((std::get<I>(its) != std::get<I>(ends)) && ...)) {
            fs.push_back(submit(fn, *std::get<I>(its)...));
            (++std::get<I>(its), ...);
        }
        return MapResults<R>(std::move(fs), deadline);
    }

    // Queues `task`, whose other references it takes (and drops when it throws).
    void enqueue(detail::StateCore* task);

    std::unique_ptr<detail::ThreadPool> pool_;
};

}  // namespace concurrence::futures
