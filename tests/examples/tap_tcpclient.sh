#!/bin/sh
# examples/tcpclient against the Linux kernel: in a private network
# namespace, the kernel side of a TAP runs a TCP echo server (Python);
# tcpclient, our stack on the TAP, connects to it, sends 1 MB (100 KB
# under Valgrind), checks the echo byte for byte and closes; with the
# loop and the threaded scheduler.  A closed port must fail with
# "Connection refused".  SKIP without root or /dev/net/tun.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
. "$top_srcdir/tests/lib/netns.sh"
netns_require python3

CLIENT="$top_builddir/examples/tcpclient"
[ -x "$CLIENT" ] || netns_skip "tcpclient not built"
BYTES=1000000
RUN=$NETNS_RUN
[ "$NETNS_VALGRIND" = 1 ] && BYTES=100000

netns_create
netns_tap_up 10.0.0.1/24

# The kernel's echo server: one connection at a time, echo until EOF,
# then close (so the client sees the server's FIN after every byte).
netns_spawn python3 -c '
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.0.0.1", 7777))
s.listen(4)
while True:
    c, _ = s.accept()
    while True:
        d = c.recv(65536)
        if not d:
            break
        c.sendall(d)
    c.close()
'
netns_wait_for 10 netns_exec python3 -c '
import socket; socket.create_connection(("10.0.0.1", 7777), timeout=1).close()' \
  || fail "the kernel echo server did not start"

for sched in loop threaded; do
  out=$(netns_exec $RUN "$CLIENT" -i "$TAP" --addr 10.0.0.2/24 \
          --connect 10.0.0.1:7777 --bytes "$BYTES" --scheduler "$sched" --timeout 60)
  status=$?
  echo "$sched: $out"
  [ "$status" = 0 ] || fail "tcpclient ($sched) exited with $status"
  echo "$out" | grep -q "sent $BYTES, received $BYTES, byte-exact, connection closed in order" \
    || fail "unexpected report ($sched)"
done

out=$(netns_exec $RUN "$CLIENT" -i "$TAP" --addr 10.0.0.2/24 --connect 10.0.0.1:7778 \
        --bytes 10 --timeout 60)
status=$?
echo "closed port: $out"
[ "$status" = 1 ] || fail "connecting to a closed port exited with $status"
echo "$out" | grep -q "Connection refused" || fail "a closed port was not refused"
echo "PASS"
