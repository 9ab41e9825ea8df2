# W7 (subprocess) for Python asyncio (peer "asyncio"; bench/w7_subprocess.cpp is ours): N
# children of `true`, C at a time, each with stdout=PIPE and communicate(); BALLAST_MB of
# touched memory in the parent gives workload "subprocess-big".
# Usage: python3 w7_subprocess.py [N=500] [C=20] [BALLAST_MB=0]
import asyncio
import sys
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 500
C = int(sys.argv[2]) if len(sys.argv) > 2 else 20
BALLAST_MB = int(sys.argv[3]) if len(sys.argv) > 3 else 0


async def one(slots):
    async with slots:
        proc = await asyncio.create_subprocess_exec("true", stdout=asyncio.subprocess.PIPE)
        await proc.communicate()
        return proc.returncode


async def main():
    slots = asyncio.Semaphore(C)
    t0 = time.monotonic()
    codes = await asyncio.gather(*(one(slots) for _ in range(N)))
    seconds = time.monotonic() - t0
    assert all(code == 0 for code in codes)
    workload = "subprocess-big" if BALLAST_MB else "subprocess"
    print(f"RESULT workload={workload} peer=asyncio n={N} conc={C} ballast_mb={BALLAST_MB} "
          f"seconds={seconds:.3f} rate={N / seconds:.1f}")


ballast = bytearray(BALLAST_MB * 1024 * 1024)
for i in range(0, len(ballast), 4096):
    ballast[i] = 1
asyncio.run(main())
