#!/usr/bin/env python3
"""Holds N idle WebSocket connections open, for weft-ws's idle-memory test.

    python tests/peers/idle_clients.py N HOST PORT

Opens N TCP connections to HOST:PORT, completes a WebSocket handshake on each
(by hand: blocking sockets, standard library only), prints `ready N`, then
holds them until stdin is closed, and exits 0. Any failed handshake exits 1
with the reason on stderr.
"""

import base64
import os
import socket
import sys


def handshake(host, port):
    sock = socket.create_connection((host, port))
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET / HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n"
    )
    sock.sendall(request.encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            raise RuntimeError("connection closed during the handshake")
        head += chunk
    if not head.startswith(b"HTTP/1.1 101"):
        raise RuntimeError(f"handshake refused: {head[:40]!r}")
    return sock


def main():
    n, host, port = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    socks = []
    try:
        for _ in range(n):
            socks.append(handshake(host, port))
    except Exception as err:  # noqa: BLE001 - report any failure and exit 1
        print(f"idle_clients: after {len(socks)}: {err}", file=sys.stderr, flush=True)
        return 1
    print(f"ready {len(socks)}", flush=True)
    sys.stdin.read()
    for sock in socks:
        sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
