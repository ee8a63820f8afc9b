#!/bin/sh
# Instructions per task cycle (alloc + push + dispatch + destroy) on the
# loop backend, measured with callgrind: two runs of bench_sched with N and
# 2N cycles, so that setup and teardown cancel out in the difference.
# Three patterns: one task in flight (a layer feeding itself: each task is
# taken from the mailbox on its own), bursts of 64 tasks between two
# layers, and ping-pong between two layers (each task makes its target
# runnable: a run queue round trip and a run per task, the worst case).
#   bench/callgrind-task.sh [N]        (from the build directory)
set -eu
n=${1:-200000}
top_builddir=${top_builddir:-.}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

count() { # mode cycles
  "$top_builddir/libtool" --mode=execute valgrind --tool=callgrind \
    --callgrind-out-file="$tmp/out" "$top_builddir/bench/bench_sched" "$1" "$2" \
    >/dev/null 2>&1
  sed -n 's/^summary: *//p' "$tmp/out"
}

for mode in cycles cycles-burst cycles-pingpong; do
  a=$(count $mode "$n")
  b=$(count $mode $((2 * n)))
  echo "$mode: $a instructions for $n tasks, $b for $((2 * n))"
  echo "$mode: instructions per task (alloc+push+dispatch+destroy): $(( (b - a) / n ))"
done
