"""What the bench peers (tcp_echo.py, ws_echo.py) share: their command line
(`... [--cpu N] [ADDR]`) and how they run their server (asyncio or uvloop, exit
status 130 on Ctrl+C)."""

import argparse
import asyncio
import os
import sys


def parse(doc, add_arguments):
    """Parses the command line of a peer whose module docstring is `doc`.

    `add_arguments(parser)` adds the peer's own arguments; then come `--cpu N` and
    the optional `ADDR` (127.0.0.1:0). Pins the process to CPU N if asked. Returns
    `(args, host, port)`.
    """
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    add_arguments(p)
    p.add_argument("--cpu", type=int, help="pin to this CPU")
    p.add_argument("addr", nargs="?", default="127.0.0.1:0", help="HOST:PORT")
    args = p.parse_args()
    host, _, port = args.addr.rpartition(":")
    if not host or not port.isdigit():
        p.error(f"bad address {args.addr!r}")
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    return args, host, int(port)


def run(make_main, on_uvloop):
    """Runs the coroutine `make_main()` on uvloop's event loop if `on_uvloop`, else on
    asyncio's (made once the loop's module is imported)."""
    try:
        if on_uvloop:
            import uvloop

            uvloop.run(make_main())
        else:
            asyncio.run(make_main())
    except KeyboardInterrupt:
        sys.exit(130)
