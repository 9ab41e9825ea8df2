# shellcheck shell=bash
# concurrence's programs in the peers' harness (../shared/peers/run.sh sources this file when
# PEERS_EXTRA points at it; see ../shared/peers/README.md, "Adding the library").
# run.sh calls extra_seed once (W0) and extra_pass in every pass, with its helpers
# (run_prog, want) and knobs (N_SPAWN, N_TIMERS, ...) in scope.
#
# CONCURRENCE_BENCH_DIR: the folder of the bench_w* programs (absolute), set by scripts/bench.sh;
# by default build/release/bench next to this file. A program that is not built is skipped
# with a note (the workloads it would serve are not written yet, or the build failed).
: "${CONCURRENCE_BENCH_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build/release/bench}"
CONCURRENCE_PEER=${CONCURRENCE_PEER:-concurrence}

concurrence_server() { # workload peer backend program [args...]: a W4/W5 server (args with @PORT@)
    local w=$1 peer=$2 backend=$3 exe=$CONCURRENCE_BENCH_DIR/$4
    shift 4
    if [ ! -x "$exe" ]; then
        want "$w" "$peer" && note "$w / $peer: $exe not built, skipped"
        return 0
    fi
    run_server "$w" "$peer" env CONCURRENCE_BACKEND="$backend" "$exe" "$@"
}

concurrence_prog() { # workload program [args...]
    concurrence_prog_as "$CONCURRENCE_PEER" "$@"
}

# A variant under a peer name of its own (the harness labels every RESULT line with the name
# given here, whatever the program printed).
concurrence_prog_as() { # peer workload program [args...]
    local peer=$1 w=$2 exe=$CONCURRENCE_BENCH_DIR/$3
    shift 3
    if [ ! -x "$exe" ]; then
        want "$w" "$peer" && note "$w / $peer: $exe not built, skipped"
        return 0
    fi
    run_prog "$w" "$peer" "$exe" "$@"
}

extra_seed() {
    concurrence_prog seed-threads bench_w0_seed_threads
    concurrence_prog seed-async bench_w0_seed_async
}

extra_pass() {
    concurrence_prog spawn bench_w1_spawn "$N_SPAWN"
    concurrence_prog_as "$CONCURRENCE_PEER-eager" spawn bench_w1_spawn "$N_SPAWN" eager
    concurrence_prog timers bench_w2_timers "$N_TIMERS"
    concurrence_prog pingpong bench_w3_pingpong "$M_PING"
    concurrence_prog thread-create bench_w6_thread_create "$N_CREATE"
    concurrence_prog lock bench_w6_lock "$N_LOCK"
    concurrence_prog queue-threads bench_w6_queue_threads "$N_QUEUE"
    concurrence_prog pool bench_w6_pool "$N_POOL"
    concurrence_prog cpu-split bench_w6_cpu_split "$N_CPU"
    # W7 (ours, not the peers' harness): spawn 500 `true` children, 20 at a time, with a pipe;
    # again from a parent holding 1 GiB (fork's page-table copy shows there). Python asyncio
    # runs the same program (bench/python/w7_subprocess.py).
    concurrence_prog subprocess bench_w7_subprocess 500 20 0
    concurrence_prog subprocess-big bench_w7_subprocess 500 20 1000
    if want subprocess asyncio || want subprocess-big asyncio; then
        run_prog subprocess asyncio python3 "$CONCURRENCE_BENCH_DIR/../../../bench/python/w7_subprocess.py" 500 20 0
        run_prog subprocess-big asyncio python3 "$CONCURRENCE_BENCH_DIR/../../../bench/python/w7_subprocess.py" 500 20 1000
    fi
    # W8 (ours, not the peers' harness): TLS echo, 10 clients x 20,000 round trips of 64 bytes,
    # both ends in one loop; Python asyncio (and uvloop where installed) run the same program.
    concurrence_prog tls-echo bench_w8_tls_echo 10 20000
    local certs="$CONCURRENCE_BENCH_DIR/../../../tests/data/tls"
    if want tls-echo asyncio; then
        run_prog tls-echo asyncio python3 "$CONCURRENCE_BENCH_DIR/../../../bench/python/w8_tls_echo.py" 10 20000 "$certs"
    fi
    if want tls-echo uvloop && python3 -c 'import uvloop' 2>/dev/null; then
        run_prog tls-echo uvloop python3 "$CONCURRENCE_BENCH_DIR/../../../bench/python/w8_tls_echo.py" 10 20000 "$certs" --uvloop
    fi
    # And the memory of 2,000 idle TLS connections (both ends in the process).
    concurrence_prog tls-idle bench_w8_tls_echo idle 2000
    if want tls-idle asyncio; then
        run_prog tls-idle asyncio python3 "$CONCURRENCE_BENCH_DIR/../../../bench/python/w8_tls_echo.py" idle 2000 "$certs"
    fi
    # W4/W5: the default backend (epoll) and io_uring (completion-based stream transports).
    concurrence_server echo "$CONCURRENCE_PEER" epoll bench_w4_echo_server @PORT@ protocol
    concurrence_server echo "$CONCURRENCE_PEER-io_uring" io_uring bench_w4_echo_server @PORT@ protocol
    concurrence_server echo "$CONCURRENCE_PEER-streams" epoll bench_w4_echo_server @PORT@ streams
    concurrence_server http "$CONCURRENCE_PEER" epoll bench_w5_http_server @PORT@
    concurrence_server http "$CONCURRENCE_PEER-io_uring" io_uring bench_w5_http_server @PORT@
}
