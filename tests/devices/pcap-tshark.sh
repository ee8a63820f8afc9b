#!/bin/sh
# The dumper's pcap read back by tshark: no complaint, as many frames as
# text lines, and the protocol fields our decoders printed.  Needs only
# tshark (no root): SKIP without it.
set -u
command -v tshark >/dev/null 2>&1 || { echo "SKIP: no tshark (Debian: tshark)" >&2; exit 77; }
builddir=${top_builddir:-.}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$builddir/tests/devices/dumpgen" "$tmp/cap.pcap" > "$tmp/text" || fail "dumpgen failed"
cat "$tmp/text"
lines=$(wc -l < "$tmp/text")
# tshark refuses to run as root without this hint on some setups; -n: no
# name resolution, like our output.
tshark -n -r "$tmp/cap.pcap" > "$tmp/tshark" 2> "$tmp/tshark.err" || fail "tshark -r failed: $(cat "$tmp/tshark.err")"
cat "$tmp/tshark"
grep -v -i 'running as user "root"' "$tmp/tshark.err" | grep -q . && fail "tshark complained: $(cat "$tmp/tshark.err")"
frames=$(wc -l < "$tmp/tshark")
[ "$frames" -eq "$lines" ] || fail "tshark sees $frames frames, the dumper printed $lines"
[ "$frames" -eq 9 ] || fail "expected 9 frames, got $frames"

fields() {
  tshark -n -r "$tmp/cap.pcap" -Y "$1" -T fields -e "$2" 2>/dev/null | head -n 1
}
[ "$(fields arp.opcode==1 arp.dst.proto_ipv4)" = 10.0.0.2 ] || fail "ARP request target"
[ "$(fields arp.opcode==2 arp.src.hw_mac)" = 02:00:00:00:00:0b ] || fail "ARP reply sender"
[ "$(fields icmp.type==8 icmp.seq)" = 1 ] || fail "ICMP echo seq"
[ "$(fields udp.dstport==7 udp.length)" = 13 ] || fail "UDP length"
[ "$(fields 'tcp.flags.syn==1' tcp.options.mss_val)" = 1460 ] || fail "TCP SYN MSS"
[ "$(fields 'tcp.flags.push==1' tcp.len)" = 5 ] || fail "TCP data length"
[ "$(fields 'frame.len==1514' udp.length)" = 1480 ] || fail "full-size frame"
# Time stamps: virtual clock, the ARP reply arrived 1 ms after the request.
[ "$(fields arp.opcode==2 frame.time_epoch)" = 0.001000000 ] || fail "reply time"

grep -q 'ARP, Request who-has 10.0.0.2 tell 10.0.0.1' "$tmp/text" || fail "text: ARP request"
grep -q 'IP \[bad ihl 12\]' "$tmp/text" || fail "text: bad ihl"
grep -q 'Flags \[S\], seq 1000, win 64240, options \[mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7\]' "$tmp/text" || fail "text: SYN"
echo "ok: tshark reads $frames frames, fields match"
