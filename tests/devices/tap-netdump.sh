#!/bin/sh
# netdump on a TAP in a private network namespace, under both schedulers:
# the kernel side (10.0.0.1/24) pings an absent neighbour, so it sends
# ARP requests; netdump must print them, and the pcap it writes, read
# back with tshark, must hold the same frames with the right fields.
# SKIP without root, /dev/net/tun, ip(8), ping or tshark.
set -u
. "${top_srcdir:-.}/tests/lib/netns.sh"
netns_require ping tshark
builddir=${top_builddir:-.}
netdump="$builddir/examples/netdump"
[ -x "$netdump" ] || netns_skip "netdump not built"
tmp=$(mktemp -d)

netns_create lntd0
trap 'netns_cleanup; rm -rf "$tmp"' EXIT
# No IPv6 chatter on the link: only what the test causes.
netns_exec sysctl -qw net.ipv6.conf.all.disable_ipv6=1 >/dev/null 2>&1
netns_exec sysctl -qw "net.ipv6.conf.$TAP.disable_ipv6=1" >/dev/null 2>&1
netns_tap_up 10.0.0.1/24

# A TAP that does not exist, and a missing option, fail clearly.
netns_exec "$netdump" -i lnt-missing > /dev/null 2> "$tmp/err" && fail "netdump opened a missing TAP"
grep -q "cannot open TAP lnt-missing: no such interface" "$tmp/err" || fail "unclear error: $(cat "$tmp/err")"
"$netdump" > /dev/null 2>&1; [ $? -eq 2 ] || fail "no -i should be a usage error (2)"
"$netdump" --help | grep -q -- "--scheduler" || fail "--help"

for sched in loop threaded; do
  out="$tmp/$sched.txt"
  pcap="$tmp/$sched.pcap"
  netns_spawn "$netdump" -i "$TAP" -w "$pcap" -c 3 --scheduler "$sched" > "$out" 2> "$tmp/$sched.err"
  pid=$NETNS_LAST_PID
  # Ready when attached: the TAP has a carrier (LOWER_UP).
  netns_wait_for 10 sh -c "ip -n $NS link show $TAP | grep -q LOWER_UP" || fail "$sched: netdump did not attach"
  # The neighbour never answers: the kernel keeps asking (1 ARP/s).
  netns_exec ping -c 4 -i 1 -W 1 10.0.0.9 > /dev/null 2>&1 &
  ping_pid=$!
  # -c 3: netdump exits by itself after 3 frames (bounded wait).
  i=0
  while kill -0 "$pid" 2>/dev/null && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
  kill "$ping_pid" 2>/dev/null
  wait "$ping_pid" 2>/dev/null
  kill -0 "$pid" 2>/dev/null && fail "$sched: netdump did not stop after -c 3"
  wait "$pid"
  status=$?
  cat "$out"
  cat "$tmp/$sched.err"
  [ "$status" -eq 0 ] || fail "$sched: netdump exit status $status"
  [ "$(wc -l < "$out")" -eq 3 ] || fail "$sched: expected 3 lines"
  [ "$(grep -c 'In  ARP, Request who-has 10.0.0.9 tell 10.0.0.1, length 28' "$out")" -eq 3 ] \
    || fail "$sched: ARP requests not shown"
  grep -q "^3 packets captured" "$tmp/$sched.err" || fail "$sched: counts not printed"
  frames=$(tshark -n -r "$pcap" 2>/dev/null | wc -l)
  [ "$frames" -eq 3 ] || fail "$sched: pcap holds $frames frames, not 3"
  tshark -n -r "$pcap" -T fields -e arp.opcode -e arp.src.proto_ipv4 -e arp.dst.proto_ipv4 \
    2>/dev/null > "$tmp/fields"
  [ "$(grep -c "^1	10.0.0.1	10.0.0.9$" "$tmp/fields")" -eq 3 ] || fail "$sched: pcap fields: $(cat "$tmp/fields")"
done

# SIGTERM: clean exit with the counts.
netns_spawn "$netdump" -i "$TAP" -q > /dev/null 2> "$tmp/term.err"
pid=$NETNS_LAST_PID
netns_wait_for 10 sh -c "ip -n $NS link show $TAP | grep -q LOWER_UP" || fail "netdump -q did not attach"
kill -TERM "$pid"
wait "$pid" || fail "SIGTERM: exit status $?"
grep -q "packets captured" "$tmp/term.err" || fail "SIGTERM: no counts"
echo "ok"
