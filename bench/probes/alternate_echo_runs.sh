#!/usr/bin/env bash
# Alternating W4 runs of several echo servers, to compare them on a noisy machine: each pass
# runs every server once (pinned to CPU 0, the shared C client pinned to CPU 1, 100
# connections, 1 s warm-up, 5 s measured), and the end prints, for each server, the median,
# mean and runs of srv_us_per_msg (server CPU µs per message) and of p99_us (the client's 99th
# percentile round trip).
#
#   bench/probes/alternate_echo_runs.sh PASSES name=command-with-@PORT@ ...
# e.g. "ours-epoll=CONCURRENCE_BACKEND=epoll build/release/bench/bench_w4_echo_server @PORT@ protocol"
# Needs the peers' echo_client (build/peers/echo_client: make bench BENCH=echo builds it).
# LOAD=http compares HTTP servers (W5) the same way, under `wrk -t1 -c100 --latency` (the
# harness's parse_wrk.py reads it): the figures are then srv_us_per_req and wrk's p99.
set -euo pipefail
# shellcheck source=bench/probes/median.awk.sh
. "$(dirname "$0")/median.awk.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CLIENT=${CLIENT:-$ROOT/build/peers/echo_client}
LOAD=${LOAD:-echo}
PEERS_DIR=${PEERS_DIR:-$ROOT/../shared/peers}
ticks() { sed -E 's/^.*\) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
# The load against a server on $1 (pid $2, named $3): prints its RESULT line.
load() {
    if [ "$LOAD" = echo ]; then
        taskset -c 1 "$CLIENT" -p "$1" -c 100 -d 5 -w 1 -n "$3" -P "$2" 2>/dev/null || true
        return
    fi
    taskset -c 1 wrk -t1 -c100 -d1s "http://127.0.0.1:$1/" >/dev/null 2>&1 || true
    local c0 t0 text
    c0=$(ticks "$2")
    t0=$(date +%s.%N)
    text=$(taskset -c 1 wrk -t1 -c100 -d5s --latency "http://127.0.0.1:$1/" 2>/dev/null || true)
    local cpu
    cpu=$(awk -v a="$c0" -v b="$(ticks "$2")" -v t0="$t0" -v t1="$(date +%s.%N)" -v hz="$(getconf CLK_TCK)" \
        'BEGIN { printf "%.3f", (b - a) / hz / (t1 - t0) }')
    python3 "$PEERS_DIR/parse_wrk.py" "$3" 100 -1 "$cpu" <<<"$text" || true
}
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
        out=$(load $port $server "$name")
        kill $server
        wait $server 2>/dev/null || true
        echo "$name $(grep -o 'srv_us_per_[a-z]*=[0-9.]*' <<<"$out") $(grep -o 'p99_us=[0-9.]*' <<<"$out")"
    done
done | awk "$AWK_MEDIAN"'
            {split($2, a, "="); split($3, b, "="); cpu[$1] = cpu[$1] " " a[2]; p99[$1] = p99[$1] " " b[2]
             cpu_sum[$1] += a[2]; p99_sum[$1] += b[2]; n[$1]++; print}
            END {for (k in n) {
                     printf "%s server CPU µs median %.3f mean %.3f:%s\n", k, median(cpu[k]), cpu_sum[k] / n[k], cpu[k]
                     printf "%s p99_us median %.0f mean %.0f:%s\n", k, median(p99[k]), p99_sum[k] / n[k], p99[k]
                 }}'
