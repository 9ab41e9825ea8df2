#!/usr/bin/env bash
# Alternating W4 runs of several echo servers, to compare them on a noisy machine: each pass
# runs every server once (pinned to CPU 0, the shared C client pinned to CPU 1, 100
# connections, 1 s warm-up, 5 s measured), and the end prints each server's mean and runs of
# srv_us_per_msg (server CPU µs per message).
#
#   bench/probes/alternate_echo_runs.sh PASSES name=command-with-@PORT@ ...
# e.g. "ours-epoll=CONCURRENCE_BACKEND=epoll build/release/bench/bench_w4_echo_server @PORT@ protocol"
# Needs the peers' echo_client (build/peers/echo_client: make bench BENCH=echo builds it).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CLIENT=${CLIENT:-$ROOT/build/peers/echo_client}
passes=$1
shift
port=20500
for _ in $(seq 1 "$passes"); do
    for spec in "$@"; do
        name=${spec%%=*}
        cmd=${spec#*=}
        port=$((port + 1))
        # shellcheck disable=SC2086  # the command is words on purpose (VAR=value prefixes)
        taskset -c 0 env ${cmd//@PORT@/$port} >/dev/null 2>&1 &
        server=$!
        for _ in $(seq 1 50); do (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
        sleep 0.2
        out=$(taskset -c 1 "$CLIENT" -p $port -c 100 -d 5 -w 1 -n "$name" -P $server 2>/dev/null || true)
        kill $server
        wait $server 2>/dev/null || true
        echo "$name $(grep -o 'srv_us_per_msg=[0-9.]*' <<<"$out")"
    done
done | awk '{split($2, a, "="); runs[$1] = runs[$1] " " a[2]; sum[$1] += a[2]; n[$1]++; print}
            END {for (k in sum) printf "%s mean %.3f:%s\n", k, sum[k] / n[k], runs[k]}'
