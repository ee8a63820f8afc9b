#!/bin/sh
# Run the libFuzzer targets for a bounded time each; fail on any crash,
# sanitizer report, leak, timeout or out-of-memory.
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]
#
# SECONDS per target (default 60); TARGETs default to all.  The targets
# are the tests/fuzz/fuzz_* programs of a tree configured with
# `./configure --enable-fuzzers CC=clang` (FUZZ_BUILDDIR, default
# $top_builddir or the current directory).  Each starts from the
# committed seeds (tests/fuzz/corpus/<target>/, never modified) plus what
# earlier runs found in FUZZ_WORKDIR (default _fuzz/ in the build tree):
# new inputs land in FUZZ_WORKDIR/corpus/<target>/, crashing ones in
# FUZZ_WORKDIR/artifacts/.  FUZZ_JOBS=N runs N targets at once.
# A summary gives executions, edges covered (cov) and features (ft).
set -u
here=$(cd "$(dirname "$0")" && pwd)
srcdir=${top_srcdir:-$here/../..}
builddir=${FUZZ_BUILDDIR:-${top_builddir:-.}}
work=${FUZZ_WORKDIR:-$builddir/_fuzz}
seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-ethernet_arp ipv4 icmp udp tcp dump stack}
jobs=${FUZZ_JOBS:-1}

case $seconds in
  ''|*[!0-9]*) echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac
mkdir -p "$work/artifacts" "$work/logs" || exit 2

run_one() {
  t=$1
  bin="$builddir/tests/fuzz/fuzz_$t"
  if [ ! -x "$bin" ]; then
    echo "$t: $bin not built (configure --enable-fuzzers CC=clang)" >&2
    echo "$t 0 0 0 missing" > "$work/logs/$t.result"
    return
  fi
  mkdir -p "$work/corpus/$t"
  # -timeout: one input must never take long (the virtual clock makes
  # minutes of protocol time cost milliseconds); -rss_limit_mb bounds
  # memory; -max_len leaves room for a few dozen frames per input.
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -max_len=8192 -print_final_stats=1 \
      -artifact_prefix="$work/artifacts/$t-" \
      "$work/corpus/$t" "$srcdir/tests/fuzz/corpus/$t" \
      > "$work/logs/$t.log" 2>&1
  status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/logs/$t.log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]*' "$work/logs/$t.log" | tail -n 1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$work/logs/$t.log" | tail -n 1 | cut -d' ' -f2)
  if [ "$status" = 0 ]; then verdict=ok; else verdict="FAILED($status)"; fi
  echo "$t ${execs:-0} ${cov:-0} ${ft:-0} $verdict" > "$work/logs/$t.result"
}

running=0
for t in $targets; do
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait
    running=0
  fi
done
wait

failed=0
total=0
printf '%-14s %12s %8s %8s  %s\n' target executions cov ft result
for t in $targets; do
  read -r name execs cov ft verdict < "$work/logs/$t.result"
  printf '%-14s %12s %8s %8s  %s\n' "$name" "$execs" "$cov" "$ft" "$verdict"
  total=$((total + execs))
  if [ "$verdict" != ok ]; then
    failed=1
    echo "--- $t ($work/logs/$t.log):"
    grep -E 'ERROR|SUMMARY|==[0-9]+==|fuzz:|Test unit written|runtime error' \
      "$work/logs/$t.log" | head -n 30
  fi
done
echo "total executions: $total in ${seconds}s per target"
exit $failed
