#!/usr/bin/env python3
"""UDP checks against the stack from a kernel socket (run in the netns).

  udp_check.py echo ADDR       byte-exact echo on port 7, several sizes
  udp_check.py refused ADDR    a closed port answers ICMP port unreachable,
                               seen as ECONNREFUSED on a connected socket
Exit 0 on success, 1 with a message on failure.  Every wait is bounded.
"""
import os
import socket
import sys

TIMEOUT = 3.0
SIZES = [0, 1, 7, 100, 1024, 1472, 1473, 4000, 8192, 30000]


def echo(addr):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(TIMEOUT)
    s.connect((addr, 7))
    for size in SIZES:
        payload = os.urandom(size)
        s.send(payload)
        try:
            got = s.recv(65535)
        except socket.timeout:
            print(f"no echo of {size} bytes", file=sys.stderr)
            return 1
        if got != payload:
            print(f"echo of {size} bytes differs ({len(got)} bytes back)",
                  file=sys.stderr)
            return 1
    print(f"udp echo: {len(SIZES)} datagrams byte-exact, up to {max(SIZES)} bytes")
    return 0


def refused(addr):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(TIMEOUT)
    s.connect((addr, 9))
    # The error arrives asynchronously: the next call on the socket reports
    # it.  Retry a few times in case the first datagram met an ARP miss.
    for _ in range(3):
        s.send(b"anyone there?")
        try:
            s.recv(100)
            print("a closed port answered", file=sys.stderr)
            return 1
        except ConnectionRefusedError:
            print("udp closed port: ECONNREFUSED")
            return 0
        except socket.timeout:
            continue
    print("no ICMP port unreachable seen", file=sys.stderr)
    return 1


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("echo", "refused"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(echo(sys.argv[2]) if sys.argv[1] == "echo" else refused(sys.argv[2]))
