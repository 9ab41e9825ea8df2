// A pipeline of two processes, `printf ... | sort`, as a shell would build it: one pipe,
// its write end to the first child's stdout, its read end to the second's stdin.
//
//   async def main():
//       r, w = os.pipe()
//       producer = await asyncio.create_subprocess_exec(
//           'printf', 'pear\napple\nfig\n', stdout=w)
//       consumer = await asyncio.create_subprocess_exec(
//           'sort', stdin=r, stdout=asyncio.subprocess.PIPE)
//       os.close(r); os.close(w)      # the children have their copies
//       out, _ = await consumer.communicate()
//       print(out.decode(), end='')
//       print('statuses:', await producer.wait(), consumer.returncode)
#include <concurrence/asyncio.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

namespace asyncio = concurrence::asyncio;
namespace subprocess = asyncio::subprocess;

asyncio::Coro<> amain() {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw concurrence::OSError(errno);
    const int r = pipe_fds[0], w = pipe_fds[1];
    auto producer = co_await asyncio::create_subprocess_exec("printf", "pear\\napple\\nfig\\n",
                                                             subprocess::Options{.stdout = w});
    auto consumer = co_await asyncio::create_subprocess_exec(
        "sort", subprocess::Options{.stdin = r, .stdout = subprocess::PIPE});
    ::close(r);  // the children have their copies: sort sees EOF when printf is done
    ::close(w);
    auto [out, err] = co_await consumer.communicate();
    std::printf("%s", out->c_str());
    std::printf("statuses: %d %d\n", co_await producer.wait(), *consumer.returncode());
}

int main() { asyncio::run(amain()); }
