#!/usr/bin/env python3
"""flood.py PORT: abuse nfsq --serve on 127.0.0.1:PORT; the server must survive it.

  - N (200) connections opened at once and held idle for HOLD seconds, then a GET
    on each that is still open (refused or reset ones are counted, not errors);
  - one request with a 1 MB header (must get a 4xx or be closed, never a 200);
  - one request line of 100 KB (same).
Prints a summary line; exits 0 unless the server stopped accepting connections.
"""
import socket
import sys
import time

port = int(sys.argv[1])
n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
hold = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0


def status_of(sock):
    sock.settimeout(15)
    data = b""
    try:
        while b"\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    except OSError:
        return "reset"
    if not data:
        return "closed"
    return data.split(b" ")[1].decode() if data.startswith(b"HTTP/") else "garbage"


socks, refused = [], 0
for _ in range(n):
    s = socket.socket()
    try:
        s.connect(("127.0.0.1", port))
        socks.append(s)
    except OSError:
        refused += 1
time.sleep(hold)
codes = {}
for s in socks:
    try:
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        c = status_of(s)
    except OSError:
        c = "reset"
    codes[c] = codes.get(c, 0) + 1
    s.close()


def big(req):
    s = socket.socket()
    s.connect(("127.0.0.1", port))
    try:
        s.sendall(req)
    except OSError:
        pass  # the server may close while we are still sending: fine
    c = status_of(s)
    s.close()
    return c


hdr = big(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n")
line = big(b"GET /metrics?" + b"a" * 100000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
print("flood: %d connections: refused %d, answers %s; 1 MB header: %s; 100 KB request line: %s"
      % (n, refused, dict(sorted(codes.items())), hdr, line))
if hdr == "200" or line == "200":
    sys.exit(1)
