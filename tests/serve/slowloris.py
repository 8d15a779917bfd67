#!/usr/bin/env python3
"""slowloris.py PORT N SECONDS: N slow connections from 127.0.0.1 to nfsq --serve.

Each connection sends a request line and then one header line every 2 s, never the
blank line that ends the header; one that the server closes is opened again at the
next tick (as a real attacker would, without flooding). Runs for SECONDS or until
SIGTERM, then prints how many connections were opened and how many the server closed.
Meanwhile the caller scrapes: every scrape must be answered.
"""
import selectors
import signal
import socket
import sys
import time

port, n, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
sel = selectors.DefaultSelector()
opened = closed = refused = 0


def start():
    global opened, refused
    s = socket.socket()
    s.setblocking(False)
    try:
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    except OSError:
        refused += 1
        s.close()
        return
    opened += 1
    sel.register(s, selectors.EVENT_READ, {"sent": 0})


def trickle(s, st):
    line = b"GET /metrics HTTP/1.1\r\n" if st["sent"] == 0 else b"X-a%d: b\r\n" % st["sent"]
    try:
        s.send(line)
        st["sent"] += 1
    except OSError:
        pass  # not connected yet, or closed: the selector sees it


begin = time.monotonic()
end = begin + seconds
signal.signal(signal.SIGTERM, lambda *_: globals().update(end=0))
next_tick = 0.0
while time.monotonic() < end:
    now = time.monotonic()
    if now >= next_tick:
        for _ in range(n - len(sel.get_map())):
            start()  # keep N open
        for key in list(sel.get_map().values()):
            trickle(key.fileobj, key.data)
        next_tick = now + 2.0
    for key, _ in sel.select(timeout=0.2):
        s = key.fileobj
        try:
            data = s.recv(4096)
        except OSError:
            data = b""
        if data:
            continue  # an answer (408, 431...): the server ended it; wait for the close
        sel.unregister(s)
        s.close()
        closed += 1
print("slowloris: %d connections kept open for %.0f s: %d opened, %d closed by the server, %d refused"
      % (n, time.monotonic() - begin, opened, closed, refused))
