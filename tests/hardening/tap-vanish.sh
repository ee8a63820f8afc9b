#!/bin/sh
# The TAP interface disappears while traffic flows: a ping flood and TCP
# echo streams from the kernel to the stack (tests/hardening/tap_vanish),
# then `ip link del`.  The device must report the link down through its
# delegate, the stack must go on without crashing, and once released
# every layer and task must be gone, with no g_critical (the helper
# checks; under NET_TEST_WRAPPER=valgrind it runs under memcheck too).
# Loop and threaded schedulers.  SKIP without root or /dev/net/tun.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
. "$top_srcdir/tests/lib/netns.sh"
netns_require ping python3

HELPER="$top_builddir/tests/hardening/tap_vanish"
CHECK="$top_srcdir/tests/tcp/tcp_check.py"
[ -x "$HELPER" ] || netns_skip "tap_vanish not built"
READY=20
[ "$NETNS_VALGRIND" = 1 ] && READY=90

netns_create
log=$(mktemp)
trap 'rm -f "$log"; netns_cleanup' EXIT

for sched in loop threaded; do
  echo "== $sched scheduler"
  netns_tap_up 10.0.0.1/24
  : > "$log"
  netns_spawn $NETNS_RUN "$HELPER" "$TAP" "$sched" > "$log"
  helper=$NETNS_LAST_PID
  netns_wait_for "$READY" grep -q ready "$log" || fail "the stack did not start ($sched)"
  netns_wait_for "$READY" netns_exec ping -c 1 -W 1 10.0.0.2 \
    || fail "the stack does not answer ping ($sched)"

  # Traffic of every kind, then the interface goes away under it.
  netns_spawn ping -f -q -c 1000000 10.0.0.2 > /dev/null 2>&1
  flood=$NETNS_LAST_PID
  netns_spawn python3 "$CHECK" concurrent 10.0.0.2 7 20 10000000 > /dev/null 2>&1
  streams=$NETNS_LAST_PID
  sleep 1
  ip -n "$NS" link del "$TAP" || fail "cannot delete $TAP"

  status=0
  wait "$helper" || status=$?
  kill "$flood" "$streams" 2>/dev/null
  wait "$flood" "$streams" 2>/dev/null
  NETNS_PIDS=""
  cat "$log"
  [ "$status" = 0 ] || fail "the helper exited with $status ($sched)"
  grep -q "link down" "$log" || fail "no link down reported ($sched)"
  grep -q clean "$log" || fail "not torn down cleanly ($sched)"
  # The next round needs a TAP again.
  ip -n "$NS" tuntap add dev "$TAP" mode tap || fail "cannot recreate $TAP"
done
echo "PASS"
