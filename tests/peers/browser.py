#!/usr/bin/env python3
"""Headless-chromium check of weft's ws_chat example.

    target/weft-py/bin/python tests/peers/browser.py URL NAME1 NAME2 [--timeout SECS]

URL is the chat page (tests/peers/ws_chat.html as served by
examples/ws_chat.rs, e.g. http://127.0.0.1:PORT/). Starts headless chromium
(`$CHROMIUM`, else chromium, chromium-browser, google-chrome on PATH), opens
URL?name=NAME1 and URL?name=NAME2 in two tabs through the DevTools protocol,
and polls both until each has document.title == "done" and a #log entry
containing the other's "hello from NAME" (default timeout 30 s).

Stdout: each page's #log entries, one line each, `NAME: ENTRY`, NAME1's
first. Exit 0 if both pages saw the other's hello; else 1, with a diagnostic
(page state, console messages, chromium's stderr) on stderr; 2 for usage
errors. Chromium is killed on exit, also on errors and SIGTERM, and gets
SIGKILL from the kernel if this script is killed outright.

Needs the Python standard library and `websockets` (in the venv).
"""

import argparse
import asyncio
import ctypes
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

from websockets.asyncio.client import connect

STARTUP_TIMEOUT = 20.0
"""Seconds chromium gets to open its DevTools port."""

POLL_INTERVAL = 0.1

PAGE_STATE = """JSON.stringify({
  title: document.title,
  status: (document.getElementById("status") || {}).textContent || null,
  log: Array.from(document.querySelectorAll("#log li"), (li) => li.textContent),
})"""
"""Expression evaluated in each page."""


class Failure(Exception):
    """The check failed; the message says why."""


def find_chromium():
    candidates = [os.environ.get("CHROMIUM")] if os.environ.get("CHROMIUM") else []
    candidates += ["chromium", "chromium-browser", "google-chrome"]
    for candidate in candidates:
        path = shutil.which(candidate)
        if path:
            return path
    raise Failure(f"no browser found (tried {', '.join(candidates)}); apt-get install chromium")


def die_with_parent():
    """In the child before exec: get SIGKILL when this script dies (Linux)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    os.setsid()  # own process group, so the whole browser can be killed


class Chromium:
    """A headless chromium process with its own profile directory."""

    def __init__(self):
        self.binary = find_chromium()
        self.profile = tempfile.mkdtemp(prefix="weft-chromium-")
        self.stderr = open(os.path.join(self.profile, "stderr.log"), "w+b")
        self.process = None

    def start(self):
        args = [
            self.binary,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--remote-debugging-port=0",
            f"--user-data-dir={self.profile}",
            "about:blank",
        ]
        self.process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self.stderr,
            preexec_fn=die_with_parent,
        )

    async def devtools_url(self):
        """The browser's DevTools WebSocket URL, from DevToolsActivePort."""
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise Failure(f"chromium exited with {self.process.returncode} at startup")
            try:
                with open(port_file) as file:
                    lines = file.read().split()
                if len(lines) >= 2:
                    return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
            except FileNotFoundError:
                pass
            await asyncio.sleep(0.05)
        raise Failure(f"chromium did not write {port_file} within {STARTUP_TIMEOUT}s")

    def version(self):
        try:
            out = subprocess.run([self.binary, "--version"], capture_output=True, text=True, timeout=10)
            return out.stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return "unknown version"

    def stderr_tail(self, lines=20):
        self.stderr.flush()
        self.stderr.seek(0)
        text = self.stderr.read().decode(errors="replace")
        # Containers have no D-Bus; chromium complains about it at length.
        useful = [line for line in text.splitlines() if "dbus/" not in line]
        return "\n".join(useful[-lines:])

    def stop(self):
        """Kills the browser's whole process group and removes the profile."""
        if self.process is not None:
            for sig in (signal.SIGTERM, signal.SIGKILL):  # SIGKILL: stragglers
                try:
                    os.killpg(self.process.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
            self.process.wait()
        self.stderr.close()
        shutil.rmtree(self.profile, ignore_errors=True)


class DevTools:
    """A DevTools protocol connection to the browser (flat sessions)."""

    def __init__(self, ws):
        self.ws = ws
        self.ids = itertools.count(1)
        self.pending = {}
        self.console = {}  # sessionId -> list of console / exception lines
        self.targets = []
        self.reader = asyncio.create_task(self.read())

    async def read(self):
        async for raw in self.ws:
            message = json.loads(raw)
            if "id" in message:
                future = self.pending.pop(message["id"], None)
                if future is not None and not future.done():
                    future.set_result(message)
            elif message.get("sessionId") in self.console:
                self.record(message)
        for future in self.pending.values():
            if not future.done():
                future.set_exception(Failure("DevTools connection closed"))

    def record(self, message):
        lines = self.console[message["sessionId"]]
        params = message.get("params", {})
        if message.get("method") == "Runtime.consoleAPICalled":
            words = [str(arg.get("value", arg.get("description", ""))) for arg in params.get("args", [])]
            lines.append(f"console.{params.get('type')}: {' '.join(words)}")
        elif message.get("method") == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            exception = details.get("exception", {}).get("description") or details.get("text")
            lines.append(f"exception: {exception}")

    async def call(self, method, params=None, session=None, timeout=10.0):
        request_id = next(self.ids)
        request = {"id": request_id, "method": method, "params": params or {}}
        if session is not None:
            request["sessionId"] = session
        future = asyncio.get_running_loop().create_future()
        self.pending[request_id] = future
        await self.ws.send(json.dumps(request))
        try:
            reply = await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:
            raise Failure(f"DevTools {method} got no reply within {timeout}s")
        if "error" in reply:
            raise Failure(f"DevTools {method} failed: {reply['error']}")
        return reply.get("result", {})

    async def open_page(self, url):
        """Opens a tab, attaches to it, enables console capture, loads url;
        returns the session id."""
        target = await self.call("Target.createTarget", {"url": "about:blank"})
        self.targets.append(target["targetId"])
        attached = await self.call(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
        )
        session = attached["sessionId"]
        self.console[session] = []
        await self.call("Runtime.enable", session=session)
        await self.call("Page.navigate", {"url": url}, session=session)
        return session

    async def close_pages(self):
        """Closes the tabs, so their WebSockets send close frames (1001)
        instead of vanishing with the browser."""
        for target in self.targets:
            try:
                await self.call("Target.closeTarget", {"targetId": target}, timeout=2.0)
            except Failure:
                pass
        await asyncio.sleep(0.2)  # let the close frames go out

    async def page_state(self, session):
        """The page's title, #status and #log entries, or None if it cannot
        be evaluated yet (still loading)."""
        try:
            result = await self.call(
                "Runtime.evaluate",
                {"expression": PAGE_STATE, "returnByValue": True},
                session=session,
            )
        except Failure:
            return None
        value = result.get("result", {}).get("value")
        return json.loads(value) if isinstance(value, str) else None


def page_url(url, name):
    parts = urllib.parse.urlsplit(url)
    query = parts.query + ("&" if parts.query else "") + urllib.parse.urlencode({"name": name})
    return urllib.parse.urlunsplit(parts._replace(query=query))


def saw_hello(state, other):
    hello = f"hello from {other}"
    return state is not None and any(entry.strip().endswith(hello) for entry in state["log"])


def finished(state, other):
    return state is not None and state["title"] == "done" and saw_hello(state, other)


async def check(args, chromium):
    chromium.start()
    url = await chromium.devtools_url()
    names = [args.name1, args.name2]
    others = {args.name1: args.name2, args.name2: args.name1}
    async with connect(url, max_size=None, ping_interval=None) as ws:
        devtools = DevTools(ws)
        sessions = {}
        for name in names:
            sessions[name] = await devtools.open_page(page_url(args.url, name))
        states = dict.fromkeys(names)
        deadline = time.monotonic() + args.timeout
        while True:
            for name in names:
                states[name] = await devtools.page_state(sessions[name]) or states[name]
            if all(finished(states[name], others[name]) for name in names):
                break
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(POLL_INTERVAL)
        console = {name: devtools.console[sessions[name]] for name in names}
        await devtools.close_pages()
        devtools.reader.cancel()

    for name in names:
        for entry in (states[name] or {}).get("log", []):
            print(f"{name}: {entry}", flush=True)

    failed = [name for name in names if not finished(states[name], others[name])]
    if failed:
        report = [f"timed out after {args.timeout}s waiting for {', '.join(failed)}"]
        for name in names:
            state = states[name]
            if state is None:
                report.append(f"  {name}: page never evaluated (did {args.url} load?)")
            else:
                report.append(
                    f"  {name}: title={state['title']!r} status={state['status']!r} "
                    f"log={state['log']!r} saw hello from {others[name]}: {saw_hello(state, others[name])}"
                )
            report += [f"  {name} {line}" for line in console[name]]
        report.append(f"chromium ({chromium.version()}) stderr, last lines:")
        report.append(chromium.stderr_tail())
        raise Failure("\n".join(report))


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="browser.py",
        description="Open the ws_chat page as two users in headless chromium; "
        "check that each sees the other's hello.",
    )
    parser.add_argument("url", metavar="URL", help="the chat page, e.g. http://127.0.0.1:PORT/")
    parser.add_argument("name1", metavar="NAME1")
    parser.add_argument("name2", metavar="NAME2")
    parser.add_argument("--timeout", type=float, default=30.0, metavar="SECS",
                        help="how long to wait for both pages (default 30)")
    args = parser.parse_args(argv)
    if args.name1 == args.name2:
        parser.error("NAME1 and NAME2 must differ")
    return args


def interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv):
    args = parse_args(argv)
    started = time.monotonic()
    # SIGTERM (e.g. from a test harness) unwinds through `finally` like Ctrl+C.
    signal.signal(signal.SIGTERM, interrupt)
    chromium = None
    try:
        chromium = Chromium()
        asyncio.run(check(args, chromium))
    except Failure as err:
        print(f"browser.py: error: {err}", file=sys.stderr, flush=True)
        return 1
    except (OSError, ValueError) as err:
        print(f"browser.py: error: {type(err).__name__}: {err}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print("browser.py: interrupted", file=sys.stderr, flush=True)
        return 130
    finally:
        if chromium is not None:
            chromium.stop()
    print(f"browser.py: ok in {time.monotonic() - started:.1f}s", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
