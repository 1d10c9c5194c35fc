"""A headless Chromium driven over the DevTools protocol, for the browser tests.

Why this and not Playwright or Selenium: Playwright's Python package brings its own
driver and browser download (not allowed here, and heavy), Selenium needs chromedriver.
The DevTools protocol is JSON over one WebSocket; ``websockets``' synchronous client and
~150 lines below are all it takes, and the browser is Debian's ``chromium`` as it is.

Three independent witnesses report problems, so that one blind spot does not hide one:

* the page's DevTools events (console errors, uncaught exceptions, failed requests,
  HTTP errors, any URL that is not the local site);
* the site's HTTP server, which records every 4xx/5xx it answers, whoever asked (the
  search web worker's requests do not show in the page's events);
* a *tripwire proxy*: Chromium is told to send everything that is not loopback through
  it, so a request that would leave the machine ends there, is recorded and refused.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import http.server
import itertools
import json
import os
import pathlib
import shutil
import socketserver
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from websockets.sync.client import ClientConnection

CHROMIUM = "chromium"
FLAGS = (
    "--headless",
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-client-side-phishing-detection",
    "--disable-domain-reliability",
    "--disable-breakpad",
    "--no-pings",
    "--disable-component-extensions-with-background-pages",
    "--disable-sync-preferences",
    "--allow-browser-signin=false",
    "--safebrowsing-disable-auto-update",
    "--disable-features=NetworkTimeServiceQuerying,OptimizationHints,Translate,MediaRouter,"
    "AutofillServerCommunication,CertificateTransparencyComponentUpdater,"
    "OptimizationGuideModelDownloading,DeviceBoundSessions,PrivacySandboxSettings4",
    "--mute-audio",
    "--hide-scrollbars",
    "--window-size=1280,800",
)

# Chromium's own housekeeping, which no flag turns off in Chromium 156 (account check,
# component updater, network time). Still refused by the tripwire; only not reported, since
# the browser, not the site, asks. A page asking them is still caught by the page's events.
BROWSER_HOUSEKEEPING = frozenset(
    {
        "accounts.google.com",
        "update.googleapis.com",
        "clients2.google.com",
        # Debian's Chromium 150 asks these within seconds of starting on about:blank,
        # whatever the flags (tried: field trials, metrics, GCM and Lens features off)
        "www.google.com",
        "android.clients.google.com",
    }
)

# Finds every Material Mermaid host, rendered or not. Rendered diagrams live in a *closed*
# shadow root, which page scripts cannot read but DOM.getDocument(pierce=True) can.
_COUNT_MERMAID = """(() => ({
  pending: document.querySelectorAll("pre.mermaid").length,
  hosts: document.querySelectorAll("div.mermaid").length,
}))()"""
_LINKS_AND_IDS = """(() => ({
  links: [...document.querySelectorAll("a[href]")].map(a => a.href),
  ids: [...document.querySelectorAll("[id]")].map(e => e.id)
       .concat([...document.querySelectorAll("a[name]")].map(a => a.name)),
}))()"""


def find_chromium() -> str | None:
    """Return the path of Debian's ``chromium``, or ``None`` when it is not installed."""
    return shutil.which(CHROMIUM)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    errors: list[str]

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: errors are recorded by :meth:`log_request`, not printed."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if isinstance(code, int) and code >= 400:
            self.errors.append(f"server answered {code} to {self.path}")

    def end_headers(self) -> None:
        # A fresh answer every time: a cached file would hide a request from the server.
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


class _Tripwire(http.server.BaseHTTPRequestHandler):
    seen: list[str]

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: what matters is recorded in ``seen``."""

    def _refuse(self) -> None:
        if self.command == "CONNECT":
            host = self.path.rsplit(":", 1)[0]
        else:
            host = urllib.parse.urlsplit(self.path).hostname or ""
        if host not in BROWSER_HOUSEKEEPING:
            self.seen.append(f"{self.command} {self.path}")
        self.send_error(502, "tripwire: no request may leave localhost")

    do_GET = do_POST = do_HEAD = do_PUT = do_OPTIONS = do_CONNECT = _refuse


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


@contextlib.contextmanager
def _serve(handler: Any) -> Iterator[_Server]:
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def serve_site(root: pathlib.Path) -> Iterator[tuple[str, list[str]]]:
    """Serve ``root`` on 127.0.0.1; yield its base URL and the list of server errors."""
    errors: list[str] = []
    handler = type("Handler", (_QuietHandler,), {"errors": errors})
    with _serve(functools.partial(handler, directory=str(root))) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}/", errors


class Page:
    """One browser tab, with the events it produced since the last :meth:`take_events`."""

    def __init__(self, ws: ClientConnection) -> None:
        self._ws = ws
        self._ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, timeout: float = 30.0, **params: Any) -> dict[str, Any]:
        """Call a DevTools method and return its result; events meanwhile are kept."""
        ident = next(self._ids)
        self._ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self._ws.recv(timeout=max(deadline - time.monotonic(), 0.01)))
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method} failed: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            if "method" in message:
                self.events.append(message)
                if message["method"] == "Target.attachedToTarget":
                    self._watch(message["params"]["sessionId"])

    def _watch(self, session: str) -> None:
        # A worker the page started (Material's search worker): watch its console and
        # network like the page's, then let it run (it waits for us, so nothing is missed).
        for method in ("Runtime.enable", "Network.enable", "Runtime.runIfWaitingForDebugger"):
            message = {"id": next(self._ids), "sessionId": session, "method": method}
            self._ws.send(json.dumps(message))

    def evaluate(self, expression: str) -> Any:
        """Evaluate a JavaScript expression in the page and return its JSON value."""
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(self, url: str, timeout: float = 30.0) -> None:
        """Navigate to ``url`` and wait for its load event."""
        self.events.clear()
        self.send("Page.navigate", url=url)
        deadline = time.monotonic() + timeout
        while not any(e["method"] == "Page.loadEventFired" for e in self.events):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not finish loading in {timeout} s")
            self.send("Runtime.evaluate", expression="1")  # lets pending events arrive

    def settle(self, seconds: float) -> None:
        """Let the page run for ``seconds`` while its events are collected."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.send("Runtime.evaluate", expression="1")
            time.sleep(0.05)

    def screenshot(self, path: pathlib.Path) -> None:
        """Save the visible screen as PNG."""
        data = self.send("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def rendered_diagrams(self, timeout: float = 20.0) -> tuple[int, int]:
        """Wait for Mermaid to finish; return (diagram hosts, hosts holding an ``svg``)."""
        deadline = time.monotonic() + timeout
        counts = self.evaluate(_COUNT_MERMAID)
        while counts["pending"] and time.monotonic() < deadline:
            time.sleep(0.1)
            counts = self.evaluate(_COUNT_MERMAID)
        tree = self.send("DOM.getDocument", depth=-1, pierce=True)["root"]
        hosts = with_svg = 0
        for node in _walk(tree):
            classes = dict(_pairs(node.get("attributes", []))).get("class", "").split()
            if node.get("localName") == "div" and "mermaid" in classes:
                hosts += 1
                inside = [n for root in node.get("shadowRoots", []) for n in _walk(root)]
                with_svg += any(n.get("localName") == "svg" for n in inside)
        return hosts + counts["pending"], with_svg

    def links_and_ids(self) -> tuple[list[str], list[str]]:
        """Return the absolute ``href`` of every link and every element id of the page."""
        found = self.evaluate(_LINKS_AND_IDS)
        return found["links"], found["ids"]

    def problems(self, site: str) -> list[str]:
        """Return what went wrong in the events so far: errors, failures, foreign URLs."""
        out = []
        local = urllib.parse.urlsplit(site).netloc
        for event in self.events:
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params["type"] in {"error", "assert"}:
                text = " ".join(str(a.get("value", a.get("description"))) for a in params["args"])
                out.append(f"console.{params['type']}: {text}")
            elif method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                text = details.get("exception", {}).get("description") or details.get("text")
                out.append(f"uncaught exception: {text}")
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                entry = params["entry"]
                out.append(
                    f"console error ({entry['source']}): {entry['text']} {entry.get('url', '')}"
                )
            elif method == "Network.requestWillBeSent":
                url = params["request"]["url"]
                parts = urllib.parse.urlsplit(url)
                if parts.scheme not in {"data", "blob", "about"} and parts.netloc != local:
                    out.append(f"request leaving the site: {url}")
            elif method == "Network.loadingFailed" and not params.get("canceled"):
                out.append(f"request failed: {params.get('errorText')} ({params['requestId']})")
            elif method == "Network.responseReceived" and params["response"]["status"] >= 400:
                out.append(f"HTTP {params['response']['status']}: {params['response']['url']}")
        return out


def _pairs(flat: list[str]) -> Iterator[tuple[str, str]]:
    it = iter(flat)
    return zip(it, it, strict=True)


def _walk(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("children", []):
        yield from _walk(child)
    for root in node.get("shadowRoots", []):
        yield from _walk(root)
    if "contentDocument" in node:
        yield from _walk(node["contentDocument"])


@contextlib.contextmanager
def browser(chromium: str, profile: pathlib.Path) -> Iterator[tuple[Page, list[str]]]:
    """Start Chromium with a fresh profile; yield a page and the tripwire's record."""
    seen: list[str] = []
    tripwire = type("Tripwire", (_Tripwire,), {"seen": seen})
    with _serve(tripwire) as proxy:
        process = subprocess.Popen(
            [
                chromium,
                *FLAGS,
                f"--user-data-dir={profile}",
                "--remote-debugging-port=0",
                f"--proxy-server=http://127.0.0.1:{proxy.server_address[1]}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # Chromium's helpers (GPU, renderers, zygote) share this group; we end only it.
            start_new_session=True,
        )
        try:
            port = _debugging_port(profile, process)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
                targets = json.load(r)
            url = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
            # websockets comes with the `docs` extra, which only the system tests install
            from websockets.sync.client import connect  # noqa: PLC0415

            with connect(url, max_size=None, open_timeout=10) as ws:
                page = Page(ws)
                for domain in ("Page", "Runtime", "Log", "Network", "DOM"):
                    page.send(f"{domain}.enable")
                # No cache: every page load asks the server again, so it sees every request.
                page.send("Network.setCacheDisabled", cacheDisabled=True)
                page.send(
                    "Target.setAutoAttach",
                    autoAttach=True,
                    waitForDebuggerOnStart=True,
                    flatten=True,
                )
                yield page, seen
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, 15)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait(timeout=10)


def _debugging_port(profile: pathlib.Path, process: subprocess.Popen[bytes]) -> int:
    # With port 0 Chromium picks a free port and writes it to DevToolsActivePort.
    marker = profile / "DevToolsActivePort"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chromium exited with status {process.returncode} at start")
        with contextlib.suppress(FileNotFoundError, ValueError, IndexError):
            return int(marker.read_text().splitlines()[0])
        time.sleep(0.05)
    raise TimeoutError("chromium did not open its DevTools port within 30 s")
