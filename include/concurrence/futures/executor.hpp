// concurrent.futures.Executor: what code that runs callables on "some executor" relies on.
//
//     def run(executor: Executor): executor.submit(fn).result()
//     →   template <futures::Executor E> void run(E& executor) { executor.submit(fn).result(); }
//
// Python's Executor is an abstract base class; here it is a concept, because submit() is a
// template (it returns a Future of the callable's own result type, with no type erasure and no
// second allocation). An executor has submit(fn, args...) → Future<R> and shutdown(wait).
// ThreadPoolExecutor satisfies it.
#pragma once

#include <concepts>

#include "concurrence/futures/future.hpp"

namespace concurrence::futures {

template <class E>
concept Executor = requires(E& executor, int (*fn)(int)) {
    { executor.submit(fn, 1) } -> std::same_as<Future<int>>;
    executor.shutdown(true);
};

}  // namespace concurrence::futures
