#!/bin/sh
# tcpecho over a TAP in a private network namespace, the Linux kernel as
# the client: echo of 1 B, 100 KB and 10 MB byte-exact, 100 concurrent
# connections with random data, a closed port refused with RST, a
# half-close (the echo then EOF), ping and UDP echo; with the loop and
# the threaded scheduler.  SKIP without root/tun.
# NET_TEST_WRAPPER=valgrind runs tcpecho under memcheck (and shrinks the
# largest transfers: TCP_TEST_SCALE applies).
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
. "$top_srcdir/tests/lib/netns.sh"
netns_require ping python3

TCPECHO="$top_builddir/examples/tcpecho"
CHECK="$top_srcdir/tests/tcp/tcp_check.py"
[ -x "$TCPECHO" ] || netns_skip "tcpecho not built"
BIG=10000000
CONC_SIZE=65536
RUN=$NETNS_RUN
READY=$NETNS_READY
if [ "$NETNS_VALGRIND" = 1 ]; then
  BIG=1000000
  CONC_SIZE=8192
fi

netns_create
netns_tap_up 10.0.0.1/24

for sched in loop threaded; do
  echo "== $sched scheduler"
  netns_spawn $RUN "$TCPECHO" -i "$TAP" --addr 10.0.0.2/24 --port 7 --scheduler "$sched"
  pid=$NETNS_LAST_PID
  netns_wait_for "$READY" netns_exec ping -c 1 -W 1 10.0.0.2 \
    || fail "the stack does not answer ping ($sched)"

  netns_exec python3 "$CHECK" echo 10.0.0.2 7 1 100000 "$BIG" \
    || fail "tcp echo ($sched)"
  netns_exec python3 "$CHECK" concurrent 10.0.0.2 7 100 "$CONC_SIZE" \
    || fail "tcp concurrent ($sched)"
  netns_exec python3 "$CHECK" refused 10.0.0.2 9 \
    || fail "tcp closed port ($sched)"
  netns_exec python3 "$CHECK" halfclose 10.0.0.2 7 200000 \
    || fail "tcp half-close ($sched)"
  netns_exec python3 "$top_srcdir/tests/ipv4/udp_check.py" echo 10.0.0.2 \
    || fail "udp echo ($sched)"

  kill -TERM "$pid"
  wait "$pid"
  status=$?
  [ "$status" = 0 ] || fail "tcpecho exited with $status ($sched)"
  NETNS_PIDS=""
done
echo "PASS"
