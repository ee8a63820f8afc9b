#!/bin/sh
# Instructions per packet through the stack, measured with callgrind: two
# runs of bench_pps with N and 2N packets, so that setup and teardown
# cancel out in the difference.  Extra arguments are bench_pps variants
# (direct, offload, slow).
#   bench/callgrind-pps.sh MODE [N] [VARIANT...]     (from the build directory)
#   MODE: link (pair + Ethernet), udp (+ IPv4 + UDP), tcp (+ IPv4 + TCP,
#         N full-sized segments of one connection, ACKs included), rr (N
#         1-byte transactions with a TCP echo, both stacks), conn (N short
#         connections to a TCP echo: connect, 64 bytes, close)
set -eu
mode=${1:?usage: callgrind-pps.sh link|udp|tcp|rr|conn [N] [VARIANT...]}
shift
n=20000
case ${1:-} in
'' | *[!0-9]*) ;;
*) n=$1; shift ;;
esac
top_builddir=${top_builddir:-.}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

variants="$*"

count() { # packets
  # shellcheck disable=SC2086
  "$top_builddir/libtool" --mode=execute valgrind --tool=callgrind \
    --callgrind-out-file="$tmp/out.$1" "$top_builddir/bench/bench_pps" "$mode" "$1" $variants \
    >/dev/null 2>&1
  sed -n 's/^summary: *//p' "$tmp/out.$1"
}

a=$(count "$n")
b=$(count $((2 * n)))
echo "$mode $*: $a instructions for $n packets, $b for $((2 * n))"
echo "$mode $*: instructions per packet: $(( (b - a) / n ))"
echo "profile of the $((2 * n))-packet run: callgrind_annotate $tmp/out.$((2 * n)) (kept in ${KEEP:-nowhere; set KEEP=DIR})"
if [ -n "${KEEP:-}" ]; then cp "$tmp/out.$((2 * n))" "$KEEP/callgrind.$mode.out"; fi
