#!/bin/sh
# TAP offloads and the fast path against the Linux kernel in a private
# network namespace: tcpecho with offloads none, csum and tso, and the
# fast path on and off, echoes 1 B, 100 KB and 10 MB byte-exact and 100
# concurrent connections, and its counters show the virtio-net headers at
# work (super-frames both ways with tso, checksums left to the kernel with
# csum and tso, neither with none) and the fast path taken (or not).
# SKIP without root/tun.  NET_TEST_WRAPPER=valgrind runs tcpecho under
# memcheck.
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

fail() {
  echo "FAIL: $*" >&2
  [ -n "${LOG:-}" ] && cat "$LOG" >&2
  exit 1
}

# counter NAME [LAYER]: value of "  LAYER.NAME N" in the log (LAYER
# ethernet by default; 0 when absent: tcpecho prints only non-zero
# counters).
counter() {
  awk -v k="${2:-ethernet}.$1" '$1 == k { v = $2 } END { print v + 0 }' "$LOG"
}

netns_create
netns_tap_up 10.0.0.1/24
LOG=$(mktemp)
trap 'rm -f "$LOG"; netns_cleanup' EXIT

for mode in none csum tso tso-slow none-slow; do
  offload=${mode%-slow}
  fastpath=
  [ "$mode" = "$offload" ] || fastpath=--no-fastpath
  echo "== offloads: $offload ${fastpath:-(fast path on)}"
  netns_spawn $RUN "$TCPECHO" -i "$TAP" --addr 10.0.0.2/24 --port 7 \
    --offload "$offload" $fastpath 2>"$LOG"
  pid=$NETNS_LAST_PID
  netns_wait_for "$READY" netns_exec ping -c 1 -W 1 10.0.0.2 \
    || fail "the stack does not answer ping ($offload)"
  netns_exec python3 "$CHECK" echo 10.0.0.2 7 1 100000 "$BIG" \
    || fail "tcp echo ($offload)"
  netns_exec python3 "$CHECK" concurrent 10.0.0.2 7 100 "$CONC_SIZE" \
    || fail "tcp concurrent ($offload)"
  netns_exec python3 "$top_srcdir/tests/ipv4/udp_check.py" echo 10.0.0.2 \
    || fail "udp echo ($offload)"
  kill -TERM "$pid"
  wait "$pid"
  status=$?
  NETNS_PIDS=""
  [ "$status" = 0 ] || fail "tcpecho exited with $status ($offload)"
  rx_gso=$(counter tap_rx_gso)
  tx_gso=$(counter tap_tx_gso)
  rx_csum=$(counter tap_rx_csum_offload)
  tx_csum=$(counter tap_tx_csum_offload)
  bad=$(( $(counter tap_rx_bad_vnet_hdr) + $(counter tap_tx_bad_offload) ))
  hits=$(counter fastpath_hits)
  lost=$(counter fastpath_marker_lost tcp)
  echo "   rx_gso=$rx_gso (copied to medium buffers: $(counter tap_rx_copied)) tx_gso=$tx_gso" \
    "rx_csum=$rx_csum tx_csum=$tx_csum bad=$bad fast=$hits" \
    "(held for the marker: $(counter fastpath_held tcp), marker lost: $lost)"
  [ "$lost" = 0 ] || fail "fast-path markers lost"
  [ "$bad" = 0 ] || fail "virtio-net headers refused ($offload)"
  if [ -n "$fastpath" ]; then
    [ "$hits" = 0 ] || fail "fast path taken while off"
  else
    [ "$hits" -gt 0 ] || fail "fast path never taken"
  fi
  case $offload in
    none)
      [ $((rx_gso + tx_gso + rx_csum + tx_csum)) = 0 ] || fail "offloads used while off"
      grep -q "offloads: none" "$LOG" || fail "tcpecho did not report offloads off" ;;
    csum)
      [ $((rx_gso + tx_gso)) = 0 ] || fail "super-frames without TSO"
      [ "$tx_csum" -gt 0 ] && [ "$rx_csum" -gt 0 ] || fail "no checksum offload" ;;
    tso)
      [ "$tx_gso" -gt 0 ] && [ "$rx_gso" -gt 0 ] || fail "no super-frames with TSO"
      [ "$tx_csum" -gt 0 ] && [ "$rx_csum" -gt 0 ] || fail "no checksum offload" ;;
  esac
done
echo "PASS"
