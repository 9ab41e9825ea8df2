#!/usr/bin/env bash
# Our benchmark programs and the peers' in one run of the peers' harness, then the tables.
#
#   scripts/bench.sh [WORKLOADS] [PEERS]      (what `make bench BENCH=... PEERS=...` runs)
#
# WORKLOADS: comma-separated names of ../shared/peers/README.md (seed, spawn, timers,
#            pingpong, echo, http, threads, W0..W6, seed-async, ...); default seed,spawn,timers,pingpong,W6
# PEERS:     all (default), a peer name or glob ('concurrence', 'go*'), comma-separated
# Environment: REPEAT (passes, run.sh's default 3), N_SPAWN, N_TIMERS, ... (see run.sh),
#              SKIP_INSTALL=1 (do not run the peers' install.sh).
#
# Needs build/release built (make bench does it). The peers' programs are built by run.sh
# into build/peers; every RESULT line goes to build/bench/results.txt.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORKLOADS=${1:-seed,spawn,timers,pingpong,W6}
PEERS=${2:-all}
PEERS_DIR=$ROOT/../shared/peers
BENCH_BIN=$ROOT/build/release/bench
OUT_DIR=$ROOT/build/bench
RESULTS=$OUT_DIR/results.txt
mkdir -p "$OUT_DIR"

if [ ! -d "$BENCH_BIN" ]; then
    echo "bench.sh: $BENCH_BIN is missing: build the release preset first (make bench)" >&2
    exit 1
fi

if [ ! -x "$PEERS_DIR/run.sh" ]; then
    # No harness: our programs alone, with the harness's default sizes.
    echo "bench.sh: $PEERS_DIR not found: running concurrence's programs only (no peers, no tables)" >&2
    : >"$RESULTS"
    IFS=, read -ra wl <<<"$WORKLOADS"
    for w in "${wl[@]}"; do
        case $w in
        seed | W0) progs=("bench_w0_seed_threads" "bench_w0_seed_async") ;;
        seed-threads) progs=("bench_w0_seed_threads") ;;
        seed-async) progs=("bench_w0_seed_async") ;;
        spawn | W1) progs=("bench_w1_spawn ${N_SPAWN:-1000000}" "bench_w1_spawn ${N_SPAWN:-1000000} eager") ;;
        timers | W2) progs=("bench_w2_timers ${N_TIMERS:-1000000}") ;;
        pingpong | W3) progs=("bench_w3_pingpong ${M_PING:-1000000}") ;;
        thread-create) progs=("bench_w6_thread_create ${N_CREATE:-10000}") ;;
        lock) progs=("bench_w6_lock ${N_LOCK:-10000000}") ;;
        queue-threads) progs=("bench_w6_queue_threads ${N_QUEUE:-1000000}") ;;
        pool) progs=("bench_w6_pool ${N_POOL:-100000}") ;;
        cpu-split) progs=("bench_w6_cpu_split ${N_CPU:-50000000}") ;;
        subprocess | W7) progs=("bench_w7_subprocess 500 20 0" "bench_w7_subprocess 500 20 1000") ;;
        tls-echo | W8) progs=("bench_w8_tls_echo 10 20000" "bench_w8_tls_echo idle 2000") ;;
        tls-idle) progs=("bench_w8_tls_echo idle 2000") ;;
        threads | W6) progs=("bench_w6_thread_create ${N_CREATE:-10000}" "bench_w6_lock ${N_LOCK:-10000000}"
                             "bench_w6_queue_threads ${N_QUEUE:-1000000}" "bench_w6_pool ${N_POOL:-100000}"
                             "bench_w6_cpu_split ${N_CPU:-50000000}") ;;
        *) echo "bench.sh: no concurrence program for '$w' yet" >&2; continue ;;
        esac
        for p in "${progs[@]}"; do
            read -ra cmd <<<"$p"
            if [ -x "$BENCH_BIN/${cmd[0]}" ]; then
                out=$("$BENCH_BIN/${cmd[0]}" "${cmd[@]:1}") || echo "bench.sh: ${cmd[0]} failed" >&2
                printf '%s\n' "$out" | grep -v '^RESULT' >&2 || true
                printf '%s\n' "$out" | grep '^RESULT' | tee -a "$RESULTS" || true
            else
                echo "bench.sh: ${cmd[0]} not built" >&2
            fi
        done
    done
    exit 0
fi

if [ "${SKIP_INSTALL:-0}" != 1 ]; then
    # Idempotent: prints one line and returns when everything is there.
    "$PEERS_DIR/install.sh" >&2 || echo "bench.sh: the peers' install.sh failed: peers without a toolchain are skipped" >&2
fi

echo "bench.sh: workloads=$WORKLOADS peers=$PEERS REPEAT=${REPEAT:-3} (results: $RESULTS)" >&2
# stdout of run.sh: RESULT lines only; its progress and the programs' other output: stderr.
BUILD=$ROOT/build/peers PEERS_EXTRA=$ROOT/bench/peers_extra.sh CONCURRENCE_BENCH_DIR=$BENCH_BIN \
    "$PEERS_DIR/run.sh" "$WORKLOADS" "$PEERS" >"$RESULTS"

echo
echo "== RESULT lines ($RESULTS)"
cat "$RESULTS"
echo
echo "== Medians ($(grep -c '^RESULT' "$RESULTS") runs)"
echo
python3 "$PEERS_DIR/summarize.py" "$RESULTS"
