#!/bin/sh
# pingable over a TAP in a private network namespace, the Linux kernel as
# the peer: ping small and 4000 bytes (fragments both ways), a bounded
# flood with no loss, UDP echo byte-exact, ECONNREFUSED from a closed
# port; with the loop and the threaded scheduler.  SKIP without root/tun.
# NET_TEST_WRAPPER=valgrind runs pingable under memcheck.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
. "$top_srcdir/tests/lib/netns.sh"
netns_require ping python3

PINGABLE="$top_builddir/examples/pingable"
[ -x "$PINGABLE" ] || netns_skip "pingable not built"
RUN=$NETNS_RUN
READY=$NETNS_READY

netns_create
netns_tap_up 10.0.0.1/24

for sched in loop threaded; do
  echo "== $sched scheduler"
  netns_spawn $RUN "$PINGABLE" -i "$TAP" -a 10.0.0.2/24 --scheduler "$sched"
  pid=$NETNS_LAST_PID
  netns_wait_for "$READY" netns_exec ping -c 1 -W 1 10.0.0.2 \
    || fail "the stack does not answer ping ($sched)"

  out=$(netns_exec ping -c 5 -i 0.2 -W 2 10.0.0.2) || fail "ping small"
  echo "$out" | grep -q " 0% packet loss" || fail "ping small lost packets: $out"
  out=$(netns_exec ping -c 5 -i 0.2 -W 2 -s 4000 10.0.0.2) || fail "ping 4000"
  echo "$out" | grep -q " 0% packet loss" || fail "ping 4000 lost packets: $out"
  out=$(netns_exec ping -c 3 -i 0.2 -W 2 -s 20000 10.0.0.2) || fail "ping 20000"
  echo "$out" | grep -q " 0% packet loss" || fail "ping 20000 lost packets: $out"
  # Bounded flood: 2000 requests, every one answered.
  out=$(netns_exec ping -f -c 2000 -w 120 10.0.0.2) || fail "flood: $out"
  echo "$out" | grep -q "2000 packets transmitted, 2000 received" \
    || fail "flood lost packets: $out"
  echo "$out" | tail -2

  netns_exec python3 "$top_srcdir/tests/ipv4/udp_check.py" echo 10.0.0.2 \
    || fail "udp echo ($sched)"
  netns_exec python3 "$top_srcdir/tests/ipv4/udp_check.py" refused 10.0.0.2 \
    || fail "udp closed port ($sched)"

  kill -TERM "$pid"
  wait "$pid"
  status=$?
  [ "$status" = 0 ] || fail "pingable exited with $status ($sched)"
  NETNS_PIDS=""
done
echo "PASS"
