# Shared helpers for tests that talk to the Linux kernel through a TAP
# inside a private network namespace.  Source it from a test script:
#
#   . "$top_srcdir/tests/lib/netns.sh"
#   netns_require            # exits 77 (SKIP) with a reason when impossible
#   netns_create             # sets NS and TAP, removes both on exit
#   netns_tap_up 10.0.0.1/24 # kernel side address on the TAP
#   netns_exec ping -c 1 10.0.0.2
#   netns_spawn $NETNS_RUN ./examples/tcpecho ...  # (under memcheck when asked)
#   fail "what went wrong"   # exit 1
#
# Every namespace is named after the test and its PID, so parallel tests
# never collide, and is deleted by an EXIT trap whatever happens.  Traffic
# never leaves the namespace.

netns_skip() {
  echo "SKIP: $*" >&2
  exit 77
}

netns_require() {
  [ "$(id -u)" = 0 ] || netns_skip "needs root (network namespaces, TAP devices)"
  if [ "$NETNS_VALGRIND" = 1 ]; then
    command -v valgrind >/dev/null 2>&1 || netns_skip "no valgrind"
  fi
  [ -c /dev/net/tun ] || netns_skip "no /dev/net/tun"
  command -v ip >/dev/null 2>&1 || netns_skip "no ip(8) (Debian: iproute2)"
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || netns_skip "no $tool"
  done
}

# Our programs run through NETNS_RUN (tests/lib/wrap.sh): as they are, or
# under memcheck with NET_TEST_WRAPPER=valgrind.  Then NETNS_VALGRIND is 1
# (a test shrinks its transfers) and NETNS_READY, the seconds a program
# may take to come up, grows.
NETNS_RUN="${top_srcdir:-.}/tests/lib/wrap.sh"
NETNS_VALGRIND=0
NETNS_READY=10
if [ "${NET_TEST_WRAPPER:-}" = valgrind ]; then
  NETNS_VALGRIND=1
  NETNS_READY=60
fi

# fail MESSAGE: the test failed (exit 1; the EXIT trap cleans up).
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

NETNS_PIDS=""

netns_cleanup() {
  for pid in $NETNS_PIDS; do
    kill "$pid" 2>/dev/null
  done
  for pid in $NETNS_PIDS; do
    wait "$pid" 2>/dev/null
  done
  [ -n "${NS:-}" ] && ip netns del "$NS" 2>/dev/null
  return 0
}

# netns_create [TAPNAME]: a fresh namespace with loopback up and a
# persistent TAP (down until netns_tap_up).
netns_create() {
  NS="lnt-$(basename "${0%.*}" | tr -c 'a-zA-Z0-9\n' - | cut -c1-20)-$$"
  TAP=${1:-lntap0}
  trap netns_cleanup EXIT
  trap 'exit 130' INT TERM
  ip netns add "$NS" || netns_skip "cannot create a network namespace"
  ip -n "$NS" link set lo up
  ip -n "$NS" tuntap add dev "$TAP" mode tap || netns_skip "cannot create a TAP device"
}

# netns_tap_up ADDR/PREFIX: give the kernel side of the TAP an address.
netns_tap_up() {
  ip -n "$NS" addr add "$1" dev "$TAP"
  ip -n "$NS" link set "$TAP" up
}

netns_exec() {
  ip netns exec "$NS" "$@"
}

# netns_spawn CMD...: run CMD in the namespace in the background; it is
# killed at exit.  Its PID is in NETNS_LAST_PID.
netns_spawn() {
  ip netns exec "$NS" "$@" &
  NETNS_LAST_PID=$!
  NETNS_PIDS="$NETNS_PIDS $NETNS_LAST_PID"
}

# netns_wait_for TIMEOUT_S CMD...: retry CMD every 0.1 s until it succeeds
# or TIMEOUT_S seconds passed (a readiness probe, not a timing assertion).
netns_wait_for() {
  local deadline=$(( $(date +%s) + $1 ))
  shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -ge "$deadline" ] && return 1
    sleep 0.1
  done
}
