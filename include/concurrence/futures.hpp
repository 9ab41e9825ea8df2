// "import concurrent.futures": Python's concurrent.futures (the thread parts).
//
//     #include <concurrence/futures.hpp>
//     namespace futures = concurrence::futures;
//
//     futures::ThreadPoolExecutor pool(4);
//     futures::Future<int> f = pool.submit([](int x) { return x * x; }, 7);
//     int v = f.result();
#pragma once

#include "concurrence/futures/as_completed.hpp"
#include "concurrence/futures/errors.hpp"
#include "concurrence/futures/executor.hpp"
#include "concurrence/futures/future.hpp"
#include "concurrence/futures/map_results.hpp"
#include "concurrence/futures/thread_pool_executor.hpp"
#include "concurrence/futures/wait.hpp"
