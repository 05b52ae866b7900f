"""WebSocket echo server of the `ws_echo` bench, on Python's `websockets`.

Usage: python ws_echo.py [--uvloop] [--cpu N] [ADDR]

Listens on ADDR (127.0.0.1:0, a free port, by default), prints `listening ADDR PID`
on stdout, and echoes every data message back on its connection (text as text,
binary as binary) until killed, as crates/bench/src/bin/ws_server.rs does.
`--uvloop` runs it on uvloop's event loop instead of asyncio's; `--cpu N` pins the
process to CPU N, away from the load client.

Settings, for a comparison with the Rust servers:
* compression=None: no permessage-deflate (websockets negotiates it by default;
  tungstenite and weft do not implement it);
* ping_interval=None: no keepalive pings (the Rust servers send none, and the load
  client does not answer them);
* max_size=1 MiB (websockets' default, stated): 16 KiB messages pass.

Runs under the venv of `cargo xtask peers` (target/weft-py; websockets, uvloop).
"""

import asyncio
import os

from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

import peer_cli


async def echo(ws):
    try:
        async for message in ws:
            await ws.send(message)
    except ConnectionClosed:
        pass


async def main(host, port):
    async with serve(
        echo,
        host,
        port,
        compression=None,
        ping_interval=None,
        max_size=1 << 20,
    ) as server:
        addr = server.sockets[0].getsockname()
        print(f"listening {addr[0]}:{addr[1]} {os.getpid()}", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    args, host, port = peer_cli.parse(
        __doc__,
        lambda p: p.add_argument("--uvloop", action="store_true", help="run on uvloop"),
    )
    peer_cli.run(lambda: main(host, port), args.uvloop)
