"""A headless Chromium for browser tests: Debian's build, driven by playwright, kept on this machine.

Playwright's own browser download (`playwright install`) is never used: CI installs Debian's
`chromium` package (.ci/run) and playwright drives that binary. Its real binary is launched, not
the `/usr/bin/chromium` shell wrapper, which sources `/etc/chromium.d` (turning on remote
extensions and exporting API keys) and adds flags of its own.

Nothing leaves the machine: host names other than loopback resolve to nothing
(`--host-resolver-rules`), and every request not to loopback goes to a trap proxy on 127.0.0.1
that refuses it and records it, so an address given as a number is caught as well. A page that
asks for anything but loopback fails its test. The background-networking flags (and
playwright's own) quiet most of Chromium's chatter, not all: Chromium 156 still asks Google's
update service for an on-device model manifest and accounts.google.com for sign-in state
within seconds of starting, whatever the flags; those requests meet the trap like any other.
"""

from __future__ import annotations

import os
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, sync_playwright

# The binary Debian's chromium package installs, which its /usr/bin/chromium wrapper starts.
CHROMIUM = Path("/usr/lib/chromium/chromium")
WIDTH, HEIGHT = 1100, 800
TIMEOUT_MS = 10_000  # a page of the app answers in milliseconds; a hang should fail, not wait
SCREENSHOT_LIMIT = 150_000  # bytes; README screenshots stay small


def chromium_args(proxy: str) -> list[str]:
    """Command-line flags for a headless Chromium that reaches loopback only."""
    return [
        "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
        "--disable-gpu",
        "--disable-dev-shm-usage",  # a container's /dev/shm may be 64 MB
        "--disable-quic",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-domain-reliability",
        "--disable-breakpad",
        "--metrics-recording-only",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
        # Loopback stays direct (Chromium never proxies it); everything else meets the trap.
        f"--proxy-server={proxy}",
    ]


class TrapProxy:
    """A proxy on 127.0.0.1 that answers every request 403 and records its request line."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        lock = threading.Lock()
        requests = self.requests

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                line = self.rfile.readline(8192).decode("latin-1").strip()
                if line:
                    with lock:
                        requests.append(line)
                self.wfile.write(
                    b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                )

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = False
        self._server.block_on_close = True  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> TrapProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def require_chromium() -> None:
    """Skip without Debian's chromium; fail instead under CI, where .ci/run installs it."""
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return
    message = (
        f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium); "
        "browser tests never download a browser of their own"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def is_loopback(url: str) -> bool:
    """Whether a URL the page asked for stays on this machine (or needs no network at all)."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https", "ws", "wss", "ftp"}:
        return True  # about:, data:, blob:, chrome-error:
    return parts.hostname in {"127.0.0.1", "localhost", "::1"}


@contextmanager
def open_page(profile: Path, proxy: str, *, strict: bool = True) -> Iterator[Page]:
    """A page in a fresh headless Chromium with its profile in `profile`; all closed after.

    With `strict`, the test fails when the page closes if the page threw an uncaught JavaScript
    error or asked for a URL off this machine (a stylesheet or font from a CDN, say).
    """
    require_chromium()
    errors: list[str] = []
    outside: list[str] = []
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=chromium_args(proxy),
            viewport={"width": WIDTH, "height": HEIGHT},
            device_scale_factor=1,
            locale="en-US",
            timezone_id="UTC",
            service_workers="block",
        )
        try:
            context.set_default_timeout(TIMEOUT_MS)
            page = context.pages[0] if context.pages else context.new_page()
            page.on("pageerror", lambda error: errors.append(str(error)))
            context.on(
                "request",
                lambda request: None if is_loopback(request.url) else outside.append(request.url),
            )
            yield page
        finally:
            context.close()
    if strict and errors:
        pytest.fail(f"JavaScript errors on the page: {errors}")
    if strict and outside:
        pytest.fail(f"the page asked for URLs off this machine: {outside}")


def screenshot(page: Page, path: Path, width: int = WIDTH, height: int = 700) -> Path:
    """Write a PNG of the page's top `width` x `height` CSS pixels; refuse one over 150 KB.

    One image pixel per CSS pixel whatever the display, with animations stopped and the caret
    hidden, so the same page gives the same picture for a README.
    """
    page.set_viewport_size({"width": width, "height": height})
    page.screenshot(
        path=str(path), scale="css", animations="disabled", caret="hide", full_page=False
    )
    size = path.stat().st_size
    if size > SCREENSHOT_LIMIT:
        raise ValueError(f"{path}: {size} bytes, over {SCREENSHOT_LIMIT}: clip it smaller")
    return path
