#!/usr/bin/env bash
# Runs one example program and checks what it prints (examples must keep working, not only
# compile). usage: check_example.sh NAME PROGRAM [SECOND_PROGRAM]
set -u
name=$1 prog=$2 second=${3:-}
out=$(mktemp) && trap 'rm -f "$out"' EXIT
fail() { echo "FAIL $name: $*"; echo "--- output:"; cat "$out"; exit 1; }
expect_line() { grep -qxF -- "$1" "$out" || fail "no line '$1'"; }
# The whole output must be these lines, in this order (what the Python original prints).
expect_exactly() { printf '%s\n' "$@" | cmp -s - "$out" || fail "not Python's output"; }

case $name in
subprocess_run)
    timeout 60 "$prog" >"$out" 2>&1 || fail "exit status $?"
    expect_line "['ls /zzz' exited with 2]"
    expect_line "[stderr]"
    expect_line "['sleep 1; echo \"hello\"' exited with 0]"
    expect_line "hello"
    # ls fails at once, the other command takes a second: its report comes second
    [ "$(grep -n 'exited with' "$out" | head -1 | grep -c zzz)" = 1 ] || fail "order"
    ;;
subprocess_lines)
    timeout 60 "$prog" >"$out" 2>&1 || fail "exit status $?"
    for i in 1 2 3; do grep -qE "^[0-9.]+s: line $i\$" "$out" || fail "no line $i"; done
    expect_line "exit status 0"
    ;;
subprocess_pipeline)
    timeout 60 "$prog" >"$out" 2>&1 || fail "exit status $?"
    [ "$(head -3 "$out" | tr '\n' ' ')" = "apple fig pear " ] || fail "not sorted"
    expect_line "statuses: 0 0"
    ;;
stdin_streams)
    # 20,000 lines through a pipe each way: more than a pipe holds
    # (stdout a pipe too: a regular file is refused, as Python refuses it)
    seq 20000 | sed 's/^/line /' | timeout 60 "$prog" 2>&1 | cat >"$out"
    [ "${PIPESTATUS[2]}" = 0 ] || fail "exit status ${PIPESTATUS[2]}"
    expect_line "1: LINE 1"
    expect_line "20000: LINE 20000"
    [ "$(tail -1 "$out")" = "20000 lines" ] || fail "the count is not last"
    [ "$(wc -l <"$out")" = 20001 ] || fail "lines lost or added"
    ;;
async_generators)
    # Exactly what the Python program prints, in its order.
    timeout 60 "$prog" >"$out" 2>&1 || fail "exit status $?"
    expect_exactly "tick 0" "tick 1" "tick 2" "page 1" "page 2" "connection closed" \
        "average 10.0" "average 15.0" "average 30.0"
    ;;
sigterm_shutdown)
    "$prog" >"$out" 2>&1 &
    pid=$!
    for _ in $(seq 600); do grep -q '^ready' "$out" && break; sleep 0.1; done
    grep -q '^ready' "$out" || { kill -9 $pid; fail "never ready"; }
    kill -TERM $pid
    wait $pid || fail "exit status $?"
    expect_line "shutting down"
    for n in 0 1 2; do expect_line "worker $n stopped"; done
    [ "$(tail -1 "$out")" = "bye" ] || fail "bye is not last"
    ;;
sock_sendfile)
    # The example sends its own executable: every byte arrives, and the counts agree.
    timeout 60 "$prog" >"$out" 2>&1 || fail "exit status $?"
    size=$(stat -c %s "$prog")
    expect_line "server: sent $size bytes"
    expect_line "client: received $size bytes"
    expect_line "same size as the file: True"
    ;;
request_context)
    # Exactly what the Python program prints, in its order.
    timeout 60 "$prog" >"$out" 2>&1 || fail "exit status $?"
    expect_exactly "[-] main starts" "[req-1] start" "[req-2] start" "[req-1] fetched part 1" \
        "[req-2] fetched part 1" "[req-1] fetched part 2" "[req-2] fetched part 2" "[req-1] done: 3" \
        "[req-2] done: 3" "[-] main ends"
    ;;
stream_sendfile)
    # The example serves its own executable after a header line: every byte arrives.
    timeout 60 "$prog" >"$out" 2>&1 || fail "exit status $?"
    size=$(stat -c %s "$prog")
    expect_line "server: sent $size bytes after the header"
    expect_line "client: received $size bytes"
    expect_line "same bytes as the file: True"
    ;;
tls_echo)
    # $second: the certificates' folder. The Python original prints these same lines.
    timeout 60 "$prog" "$second" >"$out" 2>&1 || fail "exit status $?"
    expect_exactly "client: connected to localhost, cipher TLS_AES_256_GCM_SHA384" \
                   "server: 'hello over tls' over TLSv1.3" \
                   "client: 'HELLO OVER TLS'"
    ;;
udp_echo)
    # A free UDP port for this run (the examples' 9999 may be taken on a CI machine).
    port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo 29999)
    server_out=$(mktemp)
    "$prog" "$port" >"$server_out" 2>&1 &
    server=$!
    for _ in $(seq 600); do grep -q '^Starting UDP server' "$server_out" && break; sleep 0.1; done
    # The server prints that line before it binds (as the Python docs' does): a datagram sent
    # before the bind is refused, and the client then waits forever. Wait for the bind itself.
    hexport=$(printf ':%04X ' "$port")
    for _ in $(seq 600); do grep -qi -- "$hexport" /proc/net/udp && break; sleep 0.1; done
    timeout 60 "$second" "$port" >"$out" 2>&1 || { kill $server; fail "client exit status $?"; }
    kill $server; wait $server 2>/dev/null
    expect_line "Send: Hello World!"
    expect_line "Received: Hello World!"
    expect_line "Connection closed"
    grep -q "^Received 'Hello World!' from ('127.0.0.1', " "$server_out" || { cat "$server_out"; fail "server"; }
    rm -f "$server_out"
    ;;
*) fail "unknown example" ;;
esac
echo "ok $name"
