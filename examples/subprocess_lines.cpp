// Read a command's output line by line while it runs (Python's `async for line in
// proc.stdout`), then its exit status.
//
//   async def main():
//       proc = await asyncio.create_subprocess_exec(
//           'sh', '-c', 'for i in 1 2 3; do echo "line $i"; sleep 0.2; done',
//           stdout=asyncio.subprocess.PIPE)
//       async for line in proc.stdout:
//           print(f'{loop.time() - start:.1f}s: {line.decode().rstrip()}')
//       print('exit status', await proc.wait())
#include <concurrence/asyncio.hpp>

#include <cstdio>

namespace asyncio = concurrence::asyncio;
namespace subprocess = asyncio::subprocess;

asyncio::Coro<> amain() {
    auto& loop = asyncio::get_running_loop();
    const double start = loop.time();
    auto proc = co_await asyncio::create_subprocess_exec(
        "sh", "-c", "for i in 1 2 3; do echo \"line $i\"; sleep 0.2; done",
        subprocess::Options{.stdout = subprocess::PIPE});
    while (auto line = co_await proc.stdout->next()) {
        if (!line->empty() && line->back() == '\n') line->pop_back();
        std::printf("%.1fs: %s\n", loop.time() - start, line->c_str());
        std::fflush(stdout);
    }
    std::printf("exit status %d\n", co_await proc.wait());
}

int main() { asyncio::run(amain()); }
