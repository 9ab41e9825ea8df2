#!/usr/bin/env bash
# Runs the tutorial's two programs (C++ ports) and says how long each took.
set -eu
bin=$1
for prog in tutorial_threads tutorial_asyncio; do
  echo "== $prog"
  t0=$(date +%s%N)
  "$bin/$prog"
  t1=$(date +%s%N)
  awk -v a="$t0" -v b="$t1" -v p="$prog" 'BEGIN { printf "-- %s took %.3f s\n\n", p, (b - a) / 1e9 }'
done
