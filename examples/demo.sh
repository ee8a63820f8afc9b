#!/bin/bash
# The libnetwork demo: tcpecho, our TCP/IP stack, serves TCP echo on a TAP
# device inside a private network namespace, with the dumper printing every
# frame; the Linux kernel in the same namespace is the client.  Nothing
# leaves the namespace, which is deleted on exit.
#
# usage: examples/demo.sh [--scheduler loop|threaded]     (as root)
set -u
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(dirname "$here")}
tcpecho=${TCPECHO:-$here/tcpecho}
. "$top_srcdir/tests/lib/netns.sh"

[ -x "$tcpecho" ] || { echo "demo: $tcpecho not built (run make first)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "demo: needs root (network namespace, TAP)" >&2; exit 1; }
netns_require python3
netns_create demotap0
# IPv6 chatter (router solicitations, MLD) would only clutter the dump.
netns_exec sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
netns_tap_up 10.0.0.1/24

echo "== tcpecho on TAP $TAP as 10.0.0.2, kernel side 10.0.0.1 (namespace $NS)"
netns_spawn "$tcpecho" -i "$TAP" --addr 10.0.0.2/24 --port 7 --dump "$@"
server=$NETNS_LAST_PID
if ! netns_wait_for 10 ip netns exec "$NS" ping -c 1 -W 1 10.0.0.2; then
  echo "demo: the stack does not answer ping" >&2
  exit 1
fi

echo "== the kernel connects, sends two lines and 16 KiB, reads the echo"
netns_exec python3 - <<'PY'
import os, socket
s = socket.create_connection(("10.0.0.2", 7), timeout=5)
for line in (b"hello from the Linux kernel\n", b"echoed by libnetwork\n"):
    s.sendall(line)
    got = b""
    while len(got) < len(line):
        got += s.recv(4096)
    print("client got:", got.decode().rstrip())
blob = os.urandom(16384)
s.sendall(blob)
s.shutdown(socket.SHUT_WR)
got = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    got += chunk
print("client: 16 KiB echoed %s, then EOF" % ("byte-exact" if got == blob else "CORRUPTED"))
s.close()
raise SystemExit(0 if got == blob else 1)
PY
status=$?
sleep 0.2
echo "== stopping tcpecho (it prints its statistics)"
kill -INT "$server" 2>/dev/null
wait "$server" 2>/dev/null
exit $status
