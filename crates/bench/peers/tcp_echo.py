"""TCP echo server of the `tcp_echo` bench, on Python's asyncio or uvloop.

Usage: python tcp_echo.py STYLE [--cpu N] [ADDR]

STYLE is one of
* asyncio-protocol: `loop.create_server` and a `Protocol` whose `data_received`
  writes the data back (weft's `weft-protocol` style);
* asyncio-streams: `asyncio.start_server`, then per connection `reader.read(n)`,
  `writer.write` and `await writer.drain()` (weft's `weft-streams` style);
* uvloop-protocol, uvloop-streams: the same code on uvloop's event loop.

Listens on ADDR (127.0.0.1:0, a free port, by default), prints `listening ADDR PID`
on stdout, and echoes every byte back on its connection until killed, as
crates/bench/src/bin/echo_server.rs does. `--cpu N` pins the process to CPU N, away
from the load client.

Settings, for a comparison with the Rust servers: TCP_NODELAY on every connection
(asyncio sets it by default; set here for both loops), reads of up to 64 KiB, a
listen backlog of 1024, and the soft limit on open files raised to the hard one.

Runs under the venv of `cargo xtask peers` (target/weft-py; uvloop), or any Python
3.11+ for the asyncio styles.
"""

import asyncio
import os
import resource
import socket

import peer_cli

STYLES = ("asyncio-protocol", "asyncio-streams", "uvloop-protocol", "uvloop-streams")
READ_SIZE = 64 * 1024
BACKLOG = 1024


def nodelay(transport):
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class Echo(asyncio.Protocol):
    def __init__(self):
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport
        nodelay(transport)

    def data_received(self, data):
        self.transport.write(data)

    def connection_lost(self, exc):
        self.transport = None


async def echo(reader, writer):
    nodelay(writer.transport)
    try:
        while True:
            data = await reader.read(READ_SIZE)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def main(style, host, port):
    if style.endswith("-protocol"):
        loop = asyncio.get_running_loop()
        server = await loop.create_server(Echo, host, port, backlog=BACKLOG)
    else:
        server = await asyncio.start_server(echo, host, port, backlog=BACKLOG)
    async with server:
        addr = server.sockets[0].getsockname()
        print(f"listening {addr[0]}:{addr[1]} {os.getpid()}", flush=True)
        await server.serve_forever()


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 65536 if hard == resource.RLIM_INFINITY else min(hard, 65536)
    if soft != resource.RLIM_INFINITY and soft < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        except (ValueError, OSError):
            pass  # serve anyway: the load client reports refused connections


if __name__ == "__main__":
    args, host, port = peer_cli.parse(
        __doc__,
        lambda p: p.add_argument("style", choices=STYLES, help="server style"),
    )
    raise_fd_limit()
    peer_cli.run(lambda: main(args.style, host, port), args.style.startswith("uvloop-"))
