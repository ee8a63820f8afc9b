#!/usr/bin/env python3
"""TCP checks against an echo server from kernel sockets (run in the netns).

  tcp_check.py echo ADDR PORT SIZE...     one connection per size, the echo
                                          must come back byte-exact
  tcp_check.py concurrent ADDR PORT N SIZE
                                          N connections at once, SIZE random
                                          bytes each, all byte-exact
  tcp_check.py refused ADDR PORT          connecting to a closed port fails
                                          with ECONNREFUSED (RST)
  tcp_check.py halfclose ADDR PORT SIZE   send SIZE bytes, shutdown(SHUT_WR),
                                          read the whole echo, then EOF
Exit 0 on success, 1 with a message on failure.  Every wait is bounded.
"""
import os
import selectors
import socket
import sys
import threading
import time

TIMEOUT = 20.0   # no progress for this long is a failure


def connect(addr, port):
    s = socket.create_connection((addr, port), timeout=TIMEOUT)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def echo_one(addr, port, size, halfclose=False):
    """Send size random bytes while reading the echo; True when exact."""
    payload = os.urandom(size)
    s = connect(addr, port)
    errors = []

    def writer():
        try:
            view = memoryview(payload)
            while view:
                n = s.send(view[:65536])
                view = view[n:]
            if halfclose:
                s.shutdown(socket.SHUT_WR)
        except OSError as e:
            errors.append(f"send: {e}")

    t = threading.Thread(target=writer)
    t.start()
    got = bytearray()
    try:
        while len(got) < size:
            chunk = s.recv(min(1 << 20, size - len(got)))
            if not chunk:
                errors.append(f"EOF after {len(got)} of {size} bytes")
                break
            got += chunk
        if halfclose and not errors:
            # After the whole echo the server closes too: EOF.
            rest = s.recv(100)
            if rest:
                errors.append(f"{len(rest)} unexpected bytes after the echo")
    except OSError as e:
        errors.append(f"recv after {len(got)} of {size} bytes: {e}")
    t.join(TIMEOUT)
    s.close()
    if errors:
        print(f"echo of {size} bytes: {'; '.join(errors)}", file=sys.stderr)
        return False
    if bytes(got) != payload:
        first = next(i for i in range(size) if got[i] != payload[i])
        print(f"echo of {size} bytes differs at offset {first}", file=sys.stderr)
        return False
    return True


def echo(addr, port, sizes):
    for size in sizes:
        start = time.monotonic()
        if not echo_one(addr, port, size):
            return 1
        print(f"tcp echo: {size} bytes byte-exact in "
              f"{time.monotonic() - start:.3f} s")
    return 0


def halfclose(addr, port, size):
    if not echo_one(addr, port, size, halfclose=True):
        return 1
    print(f"tcp half-close: {size} bytes echoed, then EOF")
    return 0


def concurrent(addr, port, n, size):
    """n connections multiplexed in one thread with selectors."""
    sel = selectors.DefaultSelector()
    conns = []
    for i in range(n):
        s = connect(addr, port)
        s.setblocking(False)
        c = {"sock": s, "out": os.urandom(size), "sent": 0, "got": bytearray()}
        conns.append(c)
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, c)
    pending = n
    last_progress = time.monotonic()
    while pending:
        events = sel.select(timeout=1.0)
        if not events and time.monotonic() - last_progress > TIMEOUT:
            print(f"concurrent: no progress for {TIMEOUT} s, "
                  f"{pending} connections unfinished", file=sys.stderr)
            return 1
        for key, mask in events:
            c = key.data
            s = c["sock"]
            if mask & selectors.EVENT_WRITE and c["sent"] < size:
                try:
                    c["sent"] += s.send(c["out"][c["sent"]:c["sent"] + 65536])
                    last_progress = time.monotonic()
                except BlockingIOError:
                    pass
                if c["sent"] == size:
                    sel.modify(s, selectors.EVENT_READ, c)
            if mask & selectors.EVENT_READ:
                try:
                    chunk = s.recv(65536)
                except BlockingIOError:
                    continue
                if not chunk:
                    print(f"concurrent: EOF after {len(c['got'])} bytes",
                          file=sys.stderr)
                    return 1
                c["got"] += chunk
                last_progress = time.monotonic()
                if len(c["got"]) >= size:
                    sel.unregister(s)
                    pending -= 1
    for i, c in enumerate(conns):
        c["sock"].close()
        if bytes(c["got"]) != c["out"]:
            print(f"concurrent: connection {i} echo differs", file=sys.stderr)
            return 1
    print(f"tcp concurrent: {n} connections x {size} bytes byte-exact")
    return 0


def refused(addr, port):
    try:
        s = socket.create_connection((addr, port), timeout=TIMEOUT)
    except ConnectionRefusedError:
        print(f"tcp closed port {port}: ECONNREFUSED")
        return 0
    except OSError as e:
        print(f"connect to closed port: {e} (expected ECONNREFUSED)",
              file=sys.stderr)
        return 1
    s.close()
    print("a closed port accepted the connection", file=sys.stderr)
    return 1


def main(argv):
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    mode, addr, port = argv[1], argv[2], int(argv[3])
    if mode == "echo" and len(argv) >= 5:
        return echo(addr, port, [int(x) for x in argv[4:]])
    if mode == "concurrent" and len(argv) == 6:
        return concurrent(addr, port, int(argv[4]), int(argv[5]))
    if mode == "refused" and len(argv) == 4:
        return refused(addr, port)
    if mode == "halfclose" and len(argv) == 5:
        return halfclose(addr, port, int(argv[4]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
