#!/bin/sh
# examples/lossy_link: the impair layer between Ethernet and IPv4 of a
# real stack on the pair device.  The example checks its own report (exit
# status); here: a perfect shim echoes everything, a lossy one loses some
# and not all, and a seeded run prints the same thing every time.
set -u
run() {
  "$top_srcdir/tests/lib/wrap.sh" "$top_builddir/examples/lossy_link" "$@"
}
fail() { echo "FAIL: $*"; exit 1; }

out=$(run --count 30 --loss 0 --delay 10) || fail "perfect link: exit $?"
echo "$out" | tail -n 4
echo "$out" | grep -qx 'sent 30 probes, 30 echoed, 0 lost' || fail "perfect link lost probes"
echo "$out" | grep -qx 'round trips of exactly 2 x 10.000 ms: 30 of 30' || fail "round trips"

a=$(run --count 200 --loss 0.2 --delay 40 --seed 7 --quiet) || fail "lossy link: exit $?"
echo "$a" | tail -n 4
b=$(run --count 200 --loss 0.2 --delay 40 --seed 7 --quiet) || fail "lossy link (again): exit $?"
[ "$a" = "$b" ] || fail "two runs with the same seed differ"
echoed=$(echo "$a" | sed -n 's/^sent 200 probes, \([0-9]*\) echoed.*/\1/p')
[ -n "$echoed" ] || fail "no summary line"
# 200 probes, each crossing the 20 % loss twice: 128 expected, sigma ~7.
[ "$echoed" -gt 90 ] && [ "$echoed" -lt 170 ] || fail "$echoed of 200 echoed at 20 % loss"
c=$(run --count 200 --loss 0.2 --delay 40 --seed 8 --quiet) || fail "other seed: exit $?"
[ "$a" != "$c" ] || fail "another seed gave the same losses"

run --loss 2 >/dev/null 2>&1 && fail "loss 2 accepted"
echo "ok: lossy_link"
