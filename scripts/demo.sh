#!/usr/bin/env bash
# Runs the tutorial's two programs (C++ ports), says how long each took, and draws the timeline
# of each run (recorded with CONCURRENCE_TRACE) as build/demo/<program>.svg.
# usage: scripts/demo.sh BUILD_DIR
set -eu
build=$1
out=build/demo
mkdir -p "$out"
for prog in tutorial_threads tutorial_asyncio; do
  echo "== $prog"
  t0=$(date +%s%N)
  CONCURRENCE_TRACE="$out/$prog.json" "$build/examples/$prog"
  t1=$(date +%s%N)
  awk -v a="$t0" -v b="$t1" -v p="$prog" 'BEGIN { printf "-- %s took %.3f s\n", p, (b - a) / 1e9 }'
  "$build/tools/concurrence-trace-svg" "$out/$prog.json" "$out/$prog.svg"
  echo "-- timeline: $out/$prog.svg (trace: $out/$prog.json, opens in https://ui.perfetto.dev)"
  echo
done
