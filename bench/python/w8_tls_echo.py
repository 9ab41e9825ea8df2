# W8 (tls-echo) for Python asyncio (peer "asyncio"; "uvloop" with --uvloop when it is
# installed); bench/w8_tls_echo.cpp is ours: C clients, each M round trips of a 64-byte
# message through a TLS echo server, client and server in one loop.
# Usage: python3 w8_tls_echo.py C M CERTS [--uvloop]
#        python3 w8_tls_echo.py idle N CERTS [--uvloop]: N connections left idle (tls-idle),
#        bytes of RSS per connection, both ends counted.
import asyncio
import resource
import ssl
import sys
import time

IDLE = sys.argv[1] == "idle"
C, M, CERTS = (0 if IDLE else int(sys.argv[1])), int(sys.argv[2]), sys.argv[3]
UVLOOP = "--uvloop" in sys.argv
SIZE = 64


async def echo(reader, writer):
    while True:
        data = await reader.read(65536)
        if not data:
            break
        writer.write(data)
        await writer.drain()
    writer.close()


async def client(port, context):
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context, server_hostname="localhost")
    message = b"x" * SIZE
    ok = 0
    for _ in range(M):
        writer.write(message)
        ok += await reader.readexactly(SIZE) == message
    writer.close()
    await writer.wait_closed()
    return ok


async def main():
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(f"{CERTS}/localhost.pem")
    server = await asyncio.start_server(echo, "127.0.0.1", 0, ssl=server_context)
    port = server.sockets[0].getsockname()[1]
    client_context = ssl.create_default_context(cafile=f"{CERTS}/ca.pem")
    t0 = time.monotonic()
    oks = await asyncio.gather(*(client(port, client_context) for _ in range(C)))
    seconds = time.monotonic() - t0
    server.close()
    await server.wait_closed()
    assert sum(oks) == C * M
    n = C * M
    peer = "uvloop" if UVLOOP else "asyncio"
    print(f"RESULT workload=tls-echo peer={peer} conns={C} n={n} seconds={seconds:.3f} "
          f"rate={n / seconds:.1f} us_per_rt={seconds / n * 1e6:.3f}")


async def idle():
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(f"{CERTS}/localhost.pem")
    server = await asyncio.start_server(echo, "127.0.0.1", 0, ssl=server_context, backlog=4096)
    port = server.sockets[0].getsockname()[1]
    client_context = ssl.create_default_context(cafile=f"{CERTS}/ca.pem")
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    writers = []
    for _ in range(M):
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=client_context,
                                                       server_hostname="localhost")
        writer.write(b"x" * SIZE)
        await reader.readexactly(SIZE)
        writers.append(writer)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for writer in writers:
        writer.close()
    await asyncio.gather(*(w.wait_closed() for w in writers), return_exceptions=True)
    server.close()
    await server.wait_closed()
    peer = "uvloop" if UVLOOP else "asyncio"
    print(f"RESULT workload=tls-idle peer={peer} n={M} rss_kb={rss} base_kb={base} "
          f"bytes_per_conn={(rss - base) * 1024 / M:.1f}")


if UVLOOP:
    import uvloop
    uvloop.run(idle() if IDLE else main())
else:
    asyncio.run(idle() if IDLE else main())
