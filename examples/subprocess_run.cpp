// Run shell commands and collect what they print: the Python docs' subprocess example
// (asyncio-subprocess.html), line by line.
//
//   async def run(cmd):
//       proc = await asyncio.create_subprocess_shell(
//           cmd,
//           stdout=asyncio.subprocess.PIPE,
//           stderr=asyncio.subprocess.PIPE)
//
//       stdout, stderr = await proc.communicate()
//
//       print(f'[{cmd!r} exited with {proc.returncode}]')
//       if stdout:
//           print(f'[stdout]\n{stdout.decode()}')
//       if stderr:
//           print(f'[stderr]\n{stderr.decode()}')
//
//   async def main():
//       await asyncio.gather(
//           run('ls /zzz'),
//           run('sleep 1; echo "hello"'))
//
//   asyncio.run(main())
#include <concurrence/asyncio.hpp>

#include <cstdio>
#include <string>

namespace asyncio = concurrence::asyncio;
namespace subprocess = asyncio::subprocess;

asyncio::Coro<> run(std::string cmd) {
    auto proc = co_await asyncio::create_subprocess_shell(cmd, {.stdout = subprocess::PIPE,
                                                                .stderr = subprocess::PIPE});

    auto [out, err] = co_await proc.communicate();

    std::printf("['%s' exited with %d]\n", cmd.c_str(), *proc.returncode());
    if (!out->empty()) std::printf("[stdout]\n%s\n", out->c_str());
    if (!err->empty()) std::printf("[stderr]\n%s\n", err->c_str());
}

asyncio::Coro<> amain() {
    auto listing = run("ls /zzz");  // named first: g++ 12 and temporaries in co_await
    auto greeting = run("sleep 1; echo \"hello\"");
    co_await asyncio::gather(std::move(listing), std::move(greeting));
}

int main() { asyncio::run(amain()); }
