#!/bin/sh
# Line coverage of the library reached by the fuzz corpora: the committed
# seeds and, when FUZZ_WORKDIR is given, what tests/fuzz/run.sh found
# there (FUZZ_WORKDIR/corpus/<target>/).  Uses clang's source-based
# coverage on the replay programs (the same harness without libFuzzer).
#
#   FUZZ_WORKDIR=_build-fuzz/_fuzz tests/fuzz/coverage.sh [BUILDDIR]
#
# BUILDDIR (default _build-cov) is configured with coverage flags and a
# static library; the report (per file, then the total) covers libnetwork/,
# schedulers/, layers/ and devices/.  Needs clang, llvm-profdata, llvm-cov.
set -eu
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$srcdir/_build-cov}
work=${FUZZ_WORKDIR:-}
[ -n "$work" ] && work=$(cd "$work" && pwd)
targets="ethernet_arp ipv4 icmp udp tcp dump stack"

mkdir -p "$build"
cd "$build"
if [ ! -f Makefile ]; then
  CC=clang CFLAGS="-O1 -g -fprofile-instr-generate -fcoverage-mapping" \
    "$srcdir/configure" --disable-shared > configure.log
fi
bins=""
for t in $targets; do
  bins="$bins tests/fuzz/replay_$t"
done
make -j2 $bins > make.log
rm -rf prof
mkdir prof
for t in $targets; do
  dirs="$srcdir/tests/fuzz/corpus/$t"
  [ -n "$work" ] && [ -d "$work/corpus/$t" ] && dirs="$dirs $work/corpus/$t"
  # shellcheck disable=SC2086
  LLVM_PROFILE_FILE="prof/$t-%p.profraw" "tests/fuzz/replay_$t" $dirs
done
llvm-profdata merge -o prof/all.profdata prof/*.profraw
objects=""
for b in $bins; do
  [ "$b" = tests/fuzz/replay_stack ] || objects="$objects -object $b"
done
# shellcheck disable=SC2086
llvm-cov report -instr-profile prof/all.profdata tests/fuzz/replay_stack $objects \
  "$srcdir/libnetwork" "$srcdir/schedulers" "$srcdir/layers" "$srcdir/devices"
