#!/usr/bin/env python3
"""Python `websockets` peer for weft's WebSocket interop tests.

Run with the venv that `cargo xtask peers` builds:

    target/weft-py/bin/python tests/peers/ws_peer.py server [--connections N] [--timeout SECS]
    target/weft-py/bin/python tests/peers/ws_peer.py client URL SCENARIO [--expect CODE] [--timeout SECS]

Every event is printed on stdout as one flushed line of space-separated
words, so the Rust side can match lines exactly. Lengths are in bytes (UTF-8
bytes for text). The exit status is 0 when everything went as expected;
otherwise it is 1 and stderr says why (2 for usage errors).

Server mode (127.0.0.1, random port, max_size 2 MiB, no keepalive pings).
The first line is `listening PORT`. The request path picks the behaviour:

    /echo          echo every message (text as text, binary as binary)
    /fragmented    send FRAG_TEXT as 3 text fragments and FRAG_BINARY as 3
                   binary fragments (each followed by an empty final
                   continuation frame), then echo
    /big           send BIG (1 MiB binary), then echo
    /close/CODE    close with CODE and reason "bye"
    /ping          ping (payload b"weft"), print the RTT, then echo
    /drop          abort the TCP connection without a close frame
    anything else  handshake rejected with HTTP 404

Server lines: `connection PATH`, `recv text LEN`, `recv binary LEN`,
`sent text LEN`, `sent binary LEN`, `pong RTT_MS`, `dropped`,
`closed CODE [REASON]` (CODE/REASON of the close frame received from the
client, `closed 1006` if none came), `rejected PATH 404`, and `done` once
N connections (default 1, 0 = unlimited) have finished (a rejected handshake
counts as one); then it exits, with 1 if any connection's scenario failed.
It exits 1 after --timeout seconds (default 30, 0 = never).

Client mode connects to URL (the path comes from the URL; max_size 2 MiB,
no keepalive pings), prints `connected`, runs SCENARIO, prints `ok SCENARIO`
and exits 0 if what it saw is what it expected:

    text           send "hello", expect it echoed as text
    binary         send bytes 0..=255 four times (1 KiB), expect the echo
    fragmented     send FRAG_TEXT and FRAG_BINARY in fragments as the server
                   does, expect each echoed as one whole message
    big            send BIG, expect it echoed byte for byte
    ping           send a ping (payload b"weft"), expect the pong
    close-normal   close with 1000 "done", expect the server to answer 1000
    server-close   wait for the server's close frame (any code, or --expect
                   CODE; --expect 1006 expects no close frame, as from /drop)
    oversize       send 2 MiB binary, expect close 1009 (or --expect CODE)
    bad-utf8       send a text frame holding invalid UTF-8, expect close 1007
                   (or --expect CODE)

Client lines: `connected`, `sent text LEN`, `sent binary LEN`,
`recv text LEN`, `recv binary LEN`, `pong RTT_MS`, `closed CODE [REASON]`
(the close frame received from the server, `closed 1006` if none came),
`ok SCENARIO`.
"""

import argparse
import asyncio
import sys
import time

from websockets.asyncio.client import connect
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed, InvalidHandshake

MAX_SIZE = 2 * 1024 * 1024
"""Largest message either side accepts (the /big and `big` 1 MiB fit)."""

FRAG_TEXT_PARTS = [b"fragmented ", b"caf\xc3", b"\xa9 text"]
"""Text fragments; the second boundary splits the two bytes of "é"."""

FRAG_TEXT = b"".join(FRAG_TEXT_PARTS).decode()
"""The whole fragmented text message: "fragmented café text" (21 bytes)."""

FRAG_BINARY_PARTS = [bytes(range(0, 100)), bytes(range(100, 200)), bytes(range(200, 256))]
"""Binary fragments; joined they are bytes 0..=255."""

FRAG_BINARY = b"".join(FRAG_BINARY_PARTS)

BIG = bytes(i % 251 for i in range(1024 * 1024))
"""1 MiB binary message: byte i is i % 251."""

PING_PAYLOAD = b"weft"

BAD_UTF8 = b"bad \xc3\x28 utf8"
"""Invalid UTF-8 (0xC3 followed by a non-continuation byte)."""

CLOSE_TIMEOUT = 5.0
"""Seconds to wait for pongs and closing handshakes."""


class Failure(Exception):
    """An expectation of a scenario was not met."""


def emit(*words):
    """Prints one event line on stdout and flushes it."""
    print(*words, flush=True)


def length(message):
    """Length of a message in bytes (UTF-8 bytes for text)."""
    return len(message.encode()) if isinstance(message, str) else len(message)


def kind(message):
    return "text" if isinstance(message, str) else "binary"


def emit_recv(message):
    emit("recv", kind(message), length(message))


def emit_sent(message):
    emit("sent", kind(message), length(message))


async def emit_closed(ws):
    """Waits for the connection to end, prints `closed CODE [REASON]` for the
    close frame received from the peer, and returns (code, reason)."""
    try:
        await asyncio.wait_for(ws.wait_closed(), CLOSE_TIMEOUT)
    except asyncio.TimeoutError:
        ws.transport.abort()
        raise Failure(f"connection not closed within {CLOSE_TIMEOUT}s")
    rcvd = ws.protocol.close_rcvd
    code, reason = (rcvd.code, rcvd.reason) if rcvd is not None else (1006, "")
    if reason:
        emit("closed", code, reason)
    else:
        emit("closed", code)
    return code, reason


def expect(condition, what):
    if not condition:
        raise Failure(what)


def describe(message):
    """Short description of a message for failure messages."""
    head = message[:40]
    return f"{kind(message)} of {length(message)} bytes starting {head!r}"


# ---------------------------------------------------------------- server --


async def echo(ws):
    """Echoes messages until the client closes, then prints `closed ...`."""
    while True:
        try:
            message = await ws.recv()
        except ConnectionClosed:
            break
        emit_recv(message)
        try:
            await ws.send(message)
        except ConnectionClosed:
            break
    await emit_closed(ws)


async def handle(ws):
    path = ws.request.path.split("?", 1)[0]
    emit("connection", path)
    if path == "/echo":
        await echo(ws)
    elif path == "/fragmented":
        await ws.send(FRAG_TEXT_PARTS, text=True)
        emit_sent(FRAG_TEXT)
        await ws.send(FRAG_BINARY_PARTS)
        emit_sent(FRAG_BINARY)
        await echo(ws)
    elif path == "/big":
        await ws.send(BIG)
        emit_sent(BIG)
        await echo(ws)
    elif path.startswith("/close/"):
        await ws.close(int(path[len("/close/"):]), "bye")
        await emit_closed(ws)
    elif path == "/ping":
        pong = await ws.ping(PING_PAYLOAD)
        rtt = await asyncio.wait_for(pong, CLOSE_TIMEOUT)
        emit("pong", f"{rtt * 1000:.3f}")
        await echo(ws)
    elif path == "/drop":
        # Let the 101 response leave the buffer, then drop without a close frame.
        while ws.transport.get_write_buffer_size():
            await asyncio.sleep(0.001)
        ws.transport.abort()
        emit("dropped")
        await ws.wait_closed()


def is_known(path):
    if path.startswith("/close/"):
        return path[len("/close/"):].isdigit()
    return path in ("/echo", "/fragmented", "/big", "/ping", "/drop")


async def run_server(args):
    finished = asyncio.get_running_loop().create_future()
    state = {"finished": 0, "failures": []}

    def finish():
        state["finished"] += 1
        if state["finished"] == args.connections and not finished.done():
            finished.set_result(None)

    def reject_unknown(connection, request):
        path = request.path.split("?", 1)[0]
        if is_known(path):
            return None
        emit("rejected", path, 404)
        finish()
        return connection.respond(404, f"no scenario at {path}\n")

    async def handler(ws):
        try:
            await handle(ws)
        except Exception as err:  # reported at exit, the server keeps going
            failure = f"{ws.request.path}: {type(err).__name__}: {err}"
            state["failures"].append(failure)
            print(f"ws_peer: server: {failure}", file=sys.stderr, flush=True)
        finally:
            finish()

    async with serve(
        handler,
        "127.0.0.1",
        0,
        max_size=MAX_SIZE,
        ping_interval=None,
        process_request=reject_unknown,
    ) as server:
        port = server.sockets[0].getsockname()[1]
        emit("listening", port)
        await finished  # main_async enforces --timeout
    emit("done")
    if state["failures"]:
        raise Failure("; ".join(state["failures"]))


# ---------------------------------------------------------------- client --


async def round_trip(ws, message, send=None):
    """Sends `message` (or `send`, its fragments), expects it echoed whole."""
    if send is None:
        await ws.send(message)
    elif isinstance(message, str):
        await ws.send(send, text=True)
    else:
        await ws.send(send)
    emit_sent(message)
    echoed = await asyncio.wait_for(ws.recv(), CLOSE_TIMEOUT)
    emit_recv(echoed)
    expect(
        type(echoed) is type(message) and echoed == message,
        f"sent {describe(message)}, got back {describe(echoed)}",
    )


async def close_normally(ws):
    await ws.close(1000, "done")
    code, _ = await emit_closed(ws)
    expect(code == 1000, f"closed with 1000, the server answered {code}")


async def expect_close(ws, expected):
    """Waits for the server to close (discarding messages); checks the code."""
    try:
        while True:
            message = await asyncio.wait_for(ws.recv(), CLOSE_TIMEOUT)
            emit_recv(message)
    except ConnectionClosed:
        pass
    except asyncio.TimeoutError:
        raise Failure(f"the server did not close within {CLOSE_TIMEOUT}s")
    code, _ = await emit_closed(ws)
    if expected is None:
        expect(code != 1006, "the connection ended without a close frame")
    else:
        expect(code == expected, f"expected close code {expected}, got {code}")


async def scenario(ws, name, expected):
    if name == "text":
        await round_trip(ws, "hello")
        await close_normally(ws)
    elif name == "binary":
        await round_trip(ws, bytes(range(256)) * 4)
        await close_normally(ws)
    elif name == "fragmented":
        await round_trip(ws, FRAG_TEXT, send=FRAG_TEXT_PARTS)
        await round_trip(ws, FRAG_BINARY, send=FRAG_BINARY_PARTS)
        await close_normally(ws)
    elif name == "big":
        await round_trip(ws, BIG)
        await close_normally(ws)
    elif name == "ping":
        pong = await ws.ping(PING_PAYLOAD)
        try:
            rtt = await asyncio.wait_for(pong, CLOSE_TIMEOUT)
        except asyncio.TimeoutError:
            raise Failure(f"no pong within {CLOSE_TIMEOUT}s")
        emit("pong", f"{rtt * 1000:.3f}")
        await close_normally(ws)
    elif name == "close-normal":
        await close_normally(ws)
    elif name == "server-close":
        await expect_close(ws, expected)
    elif name == "oversize":
        message = bytes(MAX_SIZE)
        try:
            await ws.send(message)
            emit_sent(message)
        except ConnectionClosed:
            pass  # the server may close before the whole message is written
        await expect_close(ws, 1009 if expected is None else expected)
    elif name == "bad-utf8":
        # websockets sends bytes with text=True as a text frame unchecked.
        await ws.send(BAD_UTF8, text=True)
        emit("sent", "text", len(BAD_UTF8))
        await expect_close(ws, 1007 if expected is None else expected)
    emit("ok", name)


SCENARIOS = (
    "text",
    "binary",
    "fragmented",
    "big",
    "ping",
    "close-normal",
    "server-close",
    "oversize",
    "bad-utf8",
)


async def run_client(args):
    try:
        ws = await connect(
            args.url,
            max_size=MAX_SIZE,
            ping_interval=None,
            open_timeout=CLOSE_TIMEOUT,
            close_timeout=CLOSE_TIMEOUT,
        )
    except (OSError, InvalidHandshake, asyncio.TimeoutError) as err:
        raise Failure(f"cannot connect to {args.url}: {type(err).__name__}: {err}")
    emit("connected")
    try:
        await scenario(ws, args.scenario, args.expect)
    except ConnectionClosed as err:
        rcvd = err.rcvd
        code = rcvd.code if rcvd is not None else 1006
        raise Failure(f"connection closed unexpectedly (close code {code}): {err}")
    finally:
        ws.transport.abort()  # no-op once closed; on failure, don't linger


# ------------------------------------------------------------------ main --


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="ws_peer.py",
        description="Python websockets peer for weft's interop tests (see the module docstring).",
    )
    modes = parser.add_subparsers(dest="mode", required=True)
    server = modes.add_parser("server", help="serve the path-based scenarios")
    server.add_argument("--connections", type=int, default=1, metavar="N",
                        help="exit after N connections finished (0 = never; default 1)")
    server.add_argument("--timeout", type=float, default=30.0, metavar="SECS",
                        help="fail after SECS seconds (0 = never; default 30)")
    client = modes.add_parser("client", help="run one scenario against URL")
    client.add_argument("url", metavar="URL")
    client.add_argument("scenario", metavar="SCENARIO", choices=SCENARIOS,
                        help=", ".join(SCENARIOS))
    client.add_argument("--expect", type=int, metavar="CODE",
                        help="close code expected by server-close, oversize, bad-utf8")
    client.add_argument("--timeout", type=float, default=30.0, metavar="SECS",
                        help="fail after SECS seconds (0 = never; default 30)")
    return parser.parse_args(argv)


async def main_async(args):
    body = run_server(args) if args.mode == "server" else run_client(args)
    try:
        await asyncio.wait_for(body, args.timeout or None)
    except asyncio.TimeoutError:
        raise Failure(f"timed out after {args.timeout}s")


def main(argv):
    args = parse_args(argv)
    started = time.monotonic()
    try:
        asyncio.run(main_async(args))
    except Failure as err:
        print(f"ws_peer: {args.mode}: error: {err}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        return 130
    elapsed = time.monotonic() - started
    print(f"ws_peer: {args.mode}: ok in {elapsed:.2f}s", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
