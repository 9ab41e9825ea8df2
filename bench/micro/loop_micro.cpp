// Google Benchmark micro-benchmarks of the asyncio core: the cost of one callback, one task,
// one yield, one timer, one future. Each runs in a few hundred milliseconds; not part of
// `make test`. Run: build/release/bench/bench_micro [--benchmark_filter=Timer]
//
// Batched benchmarks (call_soon, timers) report items_per_second: one item = one callback
// or one timer; the others time one operation per iteration.
#include <benchmark/benchmark.h>

#include <concurrence/asyncio.hpp>

#include <cstdint>
#include <vector>

namespace asyncio = concurrence::asyncio;
namespace contextvars = concurrence::contextvars;

namespace {

constexpr int kBatch = 1000;

// Runs the loop until every callback scheduled so far (and the stop) has run.
void run_pending(asyncio::EventLoop& loop) {
    loop.call_soon([&loop] { loop.stop(); });
    loop.run_forever();
}

// call_soon throughput: schedule kBatch callbacks, then one loop iteration runs them all.
void BM_call_soon(benchmark::State& state) {
    asyncio::EventLoop loop;
    std::int64_t calls = 0;
    for (auto _ : state) {
        for (int i = 0; i < kBatch; ++i) loop.call_soon([&calls] { ++calls; });
        run_pending(loop);
    }
    if (calls != static_cast<std::int64_t>(state.iterations()) * kBatch) state.SkipWithError("lost callbacks");
    state.SetItemsProcessed(calls);
}
BENCHMARK(BM_call_soon);

asyncio::Coro<int> trivial(int i) { co_return i; }

// create_task + await of a coroutine that returns at once: task start, completion, wake-up.
asyncio::Coro<> create_task_loop(benchmark::State& state) {
    std::int64_t sum = 0;
    for (auto _ : state) sum += co_await asyncio::create_task(trivial(1));
    benchmark::DoNotOptimize(sum);
}
void BM_create_task_await(benchmark::State& state) {
    asyncio::run(create_task_loop(state));
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_create_task_await);

// The same with Python 3.12's eager_task_factory: the task finishes inside create_task, so
// neither its step nor the awaiter's wake-up goes through the ready queue.
void BM_create_task_await_eager(benchmark::State& state) {
    asyncio::run([](benchmark::State& s) -> asyncio::Coro<> {
        asyncio::get_running_loop().set_task_factory(asyncio::eager_task_factory);
        co_await create_task_loop(s);
    }(state));
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_create_task_await_eager);

// Awaiting a coroutine directly (no task): the cost of a Coro frame and its resumption.
asyncio::Coro<> await_coro_loop(benchmark::State& state) {
    std::int64_t sum = 0;
    for (auto _ : state) sum += co_await trivial(1);
    benchmark::DoNotOptimize(sum);
}
void BM_await_coro(benchmark::State& state) {
    asyncio::run(await_coro_loop(state));
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_await_coro);

// One step of an async generator (`async for`): the consumer jumps into the body, which
// yields back; no allocation, no trip through the loop.
asyncio::AsyncGenerator<std::int64_t> counting() {
    for (std::int64_t i = 0;; ++i) co_yield i;
}
asyncio::Coro<> async_for_loop(benchmark::State& state) {
    auto gen = counting();
    std::int64_t sum = 0;
    for (auto _ : state) sum += *co_await gen.next();
    benchmark::DoNotOptimize(sum);
}
void BM_async_generator_step(benchmark::State& state) {
    asyncio::run(async_for_loop(state));
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_async_generator_step);

// A generator's whole life: made, one value taken, run to its end.
asyncio::AsyncGenerator<int> one_value() { co_yield 1; }
asyncio::Coro<> generator_life_loop(benchmark::State& state) {
    std::int64_t sum = 0;
    for (auto _ : state) {
        auto gen = one_value();
        while (auto v = co_await gen.next()) sum += *v;
    }
    benchmark::DoNotOptimize(sum);
}
void BM_async_generator_life(benchmark::State& state) {
    asyncio::run(generator_life_loop(state));
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_async_generator_life);

// contextvars: a read and a set+reset in a task whose context holds a few variables, and
// create_task + await when the creator's context is not empty (the copy Python makes).
asyncio::Coro<> context_get_loop(benchmark::State& state, contextvars::ContextVar<std::int64_t>* var) {
    var->set(1);
    std::int64_t sum = 0;
    for (auto _ : state) sum += var->get();
    benchmark::DoNotOptimize(sum);
    co_return;
}
void BM_context_var_get(benchmark::State& state) {
    contextvars::ContextVar<std::int64_t> var("bench_get");
    asyncio::run(context_get_loop(state, &var));
}
BENCHMARK(BM_context_var_get);

asyncio::Coro<> context_set_loop(benchmark::State& state, contextvars::ContextVar<std::int64_t>* var) {
    std::int64_t i = 0;
    for (auto _ : state) {
        auto token = var->set(++i);
        var->reset(token);
    }
    co_return;
}
void BM_context_var_set_reset(benchmark::State& state) {
    contextvars::ContextVar<std::int64_t> var("bench_set");
    asyncio::run(context_set_loop(state, &var));
}
BENCHMARK(BM_context_var_set_reset);

asyncio::Coro<> create_task_in_context_loop(benchmark::State& state, contextvars::ContextVar<std::int64_t>* var) {
    var->set(1);
    co_await create_task_loop(state);
}
void BM_create_task_await_with_context(benchmark::State& state) {
    contextvars::ContextVar<std::int64_t> var("bench_task");
    asyncio::run(create_task_in_context_loop(state, &var));
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_create_task_await_with_context);

// sleep(0): the task goes to the back of the ready queue and the loop resumes it at its next
// iteration (one poll with a zero timeout included).
asyncio::Coro<> yield_loop(benchmark::State& state) {
    for (auto _ : state) co_await asyncio::sleep(0);
}
void BM_sleep0_round_trip(benchmark::State& state) {
    asyncio::run(yield_loop(state));
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_sleep0_round_trip);

// Timer arm + fire: kBatch call_later(0) timers, all due at the next iteration.
void BM_timer_arm_fire(benchmark::State& state) {
    asyncio::EventLoop loop;
    std::int64_t fired = 0;
    for (auto _ : state) {
        for (int i = 0; i < kBatch; ++i) loop.call_later(0, [&fired] { ++fired; });
        // Due after every timer above (same or later deadline, later sequence number): the
        // iteration that runs it has run them all.
        loop.call_later(0, [&loop] { loop.stop(); });
        loop.run_forever();
    }
    if (fired != static_cast<std::int64_t>(state.iterations()) * kBatch) state.SkipWithError("lost timers");
    state.SetItemsProcessed(fired);
}
BENCHMARK(BM_timer_arm_fire);

// Timer arm + cancel: kBatch call_later(60 s) then cancel; the heap purges cancelled timers
// itself once they are half of it, so it stays small.
void BM_timer_arm_cancel(benchmark::State& state) {
    asyncio::EventLoop loop;
    std::vector<asyncio::TimerHandle> handles(kBatch);
    for (auto _ : state) {
        for (auto& h : handles) h = loop.call_later(60, [] {});
        for (auto& h : handles) h.cancel();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * kBatch);
}
BENCHMARK(BM_timer_arm_cancel);

// Future: set_result then await (already done: no suspension).
asyncio::Coro<> future_ready_loop(benchmark::State& state) {
    asyncio::EventLoop& loop = asyncio::get_running_loop();
    std::int64_t sum = 0;
    for (auto _ : state) {
        asyncio::Future<int> f = loop.create_future<int>();
        f.set_result(1);
        sum += co_await f;
    }
    benchmark::DoNotOptimize(sum);
}
void BM_future_set_then_await(benchmark::State& state) {
    asyncio::run(future_ready_loop(state));
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_future_set_then_await);

// Future: await first, set_result from a call_soon callback: suspend, callback, wake-up.
asyncio::Coro<> future_wait_loop(benchmark::State& state) {
    asyncio::EventLoop& loop = asyncio::get_running_loop();
    std::int64_t sum = 0;
    for (auto _ : state) {
        asyncio::Future<int> f = loop.create_future<int>();
        loop.call_soon([f]() mutable { f.set_result(1); });
        sum += co_await f;
    }
    benchmark::DoNotOptimize(sum);
}
void BM_future_await_then_set(benchmark::State& state) {
    asyncio::run(future_wait_loop(state));
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_future_await_then_set);

}  // namespace
