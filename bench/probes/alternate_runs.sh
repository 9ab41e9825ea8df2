#!/usr/bin/env bash
# Alternating runs of whole benchmark programs (W1-W3: ours and the peers'), to compare them
# on a noisy machine: each pass runs every program once, back to back, so that the machine's
# slow and fast spells hit all of them alike. Prints each run, then per program the median and
# the runs of FIELD from its RESULT line, and the median over passes of each program's ratio
# to the first one (a paired comparison: per pass, other / first).
#
#   bench/probes/alternate_runs.sh PASSES FIELD name=command ...
# e.g. bench/probes/alternate_runs.sh 15 ns_per_op \
#        "ours=build/release/bench/bench_w3_pingpong" \
#        "tokio=build/peers/rust/release/tokio_pingpong ct 1000000" \
#        "go=GOMAXPROCS=1 build/peers/peers-go pingpong 1000000 0"
set -euo pipefail
# shellcheck source=bench/probes/median.awk.sh
. "$(dirname "$0")/median.awk.sh"
passes=$1
field=$2
shift 2
for pass in $(seq 1 "$passes"); do
    for spec in "$@"; do
        name=${spec%%=*}
        cmd=${spec#*=}
        # shellcheck disable=SC2086  # the command is words on purpose (VAR=value prefixes)
        out=$(env $cmd 2>/dev/null || true)
        echo "$pass $name $(grep -o "[[:space:]]$field=[0-9.e+-]*" <<<"$out" | head -1 | cut -d= -f2)"
    done
done | awk -v first="${1%%=*}" "$AWK_MEDIAN"'
    { print; value[$1, $2] = $3; runs[$2] = runs[$2] " " $3; if (!($2 in seen)) { seen[$2] = 1; order[++k] = $2 } passes = $1 }
    END {
        for (i = 1; i <= k; i++) {
            p = order[i]; ratios = ""
            for (s = 1; s <= passes; s++) if (value[s, first] > 0 && value[s, p] > 0) ratios = ratios " " value[s, p] / value[s, first]
            printf "%s median %s, median ratio to %s %.3f:%s\n", p, median(runs[p]), first, median(ratios), runs[p]
        }
    }'
