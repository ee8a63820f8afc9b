#!/bin/sh
# examples/tcp_pair: TCP between two complete stacks on the pair device.
# The example exits 0 only when the echo came back byte-exact and the
# connection closed in order; here also: no retransmission on a perfect
# wire, retransmissions on a lossy one, the dumper mirror shows the
# handshake and both FINs, and a seeded run prints the same every time.
set -u
run() {
  "$top_srcdir/tests/lib/wrap.sh" "$top_builddir/examples/tcp_pair" "$@"
}
fail() { echo "FAIL: $*"; exit 1; }

out=$(run --bytes 100000) || fail "perfect wire: exit $?"
echo "$out"
echo "$out" | grep -q 'tcp A: [0-9]* segments out, 0 retransmitted (0 fast); tcp B: [0-9]* segments out, 0 retransmitted' \
  || fail "retransmissions on a perfect wire"

lossy="--bytes 400000 --loss 0.03 --seed 4"
out=$(run $lossy) || fail "lossy wire: exit $?"
echo "$out"
echo "$out" | grep -q 'retransmitted ([0-9]* fast); tcp B' || fail "no summary"
echo "$out" | grep -q 'tcp A: [0-9]* segments out, 0 retransmitted (0 fast); tcp B: [0-9]* segments out, 0 retransmitted' \
  && fail "3 % loss and not one retransmission"

d1=$(run $lossy --dump) || fail "dump run: exit $?"
d2=$(run $lossy --dump) || fail "dump run (again): exit $?"
[ "$d1" = "$d2" ] || fail "two runs with the same seeds differ"
for pattern in 'Out IP 192.0.2.1.[0-9]* > 192.0.2.2.7: Flags \[S\]' \
               'In  IP 192.0.2.2.7 > 192.0.2.1.[0-9]*: Flags \[S\.\]' \
               'Out IP 192.0.2.1.[0-9]* > 192.0.2.2.7: Flags \[F\{0,1\}P\{0,1\}\.\]' \
               'In  IP 192.0.2.2.7 > 192.0.2.1.[0-9]*: Flags \[FP\{0,1\}\.\]' \
               'ARP, Reply 192.0.2.2 is-at 02:00:00:00:00:02'; do
  echo "$d1" | grep -q "$pattern" || fail "the dump has no line like: $pattern"
done
echo "ok: tcp_pair ($(echo "$d1" | grep -c ' IP ') IP frames dumped)"
