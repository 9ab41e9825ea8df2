// A consumer's program: what a user writes after adding concurrence to their build.
// Built by consume.cmake against the library found by add_subdirectory, FetchContent or
// find_package; CONSUME_THREADING is 1 when the library has a threading module.
#include <concurrence/asyncio.hpp>
#if CONSUME_THREADING
#include <concurrence/threading.hpp>
#endif

#include <cstdio>

namespace asyncio = concurrence::asyncio;

static asyncio::Coro<int> twice(int x) {
    co_await asyncio::sleep(0);  // let the others run: the three run concurrently
    co_return 2 * x;
}

static asyncio::Coro<int> amain() {
    auto [a, b, c] = co_await asyncio::gather(twice(1), twice(2), twice(3));
    co_return a + b + c;
}

int main() {
    std::printf("asyncio: %d\n", asyncio::run(amain()));
#if CONSUME_THREADING
    namespace threading = concurrence::threading;
    int seen = 0;
    threading::Thread t([&seen](int v) { seen = v; }, 42);
    t.start();
    t.join();
    std::printf("threading: %d\n", seen);
#endif
    return 0;
}
