"""A loopback HTTP server for the fixture sites, in the spirit of Scrapy's ``tests/mockserver``.

``http://127.0.0.1:PORT/<site>/<path>`` serves ``tests/fixtures/<site>/<path>``. Crawler tests run
against it so that no test ever needs the network, and so that HTTP behaviour that matters to a
monitoring daemon (validators and 304s, redirects, errors, slow answers, gzip) is real HTTP on a
real socket rather than a mocked response object.

Layers, later ones winning:

1. the file on disk (content type from its extension, ETag from its bytes, Last-Modified from its
   mtime);
2. an entry in the site's ``_routes.json`` (status, headers, delay, gzip, inline body, alias);
3. a runtime override from :meth:`FixtureServer.set`, which replaces (does not merge with) the
   ``_routes.json`` entry for that path.

``{{BASE}}`` in text bodies and in header values becomes ``http://127.0.0.1:PORT``, so fixtures can
hold absolute links back to the same server; ``{{NOW-36h}}`` and ``{{DATE-3d}}`` in text bodies
become a time or a day that long before the request, so dated fixtures (sitemaps) stay recent.
The format is documented in ``fixtures/README.md``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import mimetypes
import re
import socket
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.message import Message
from email.utils import formatdate, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple, Self
from urllib.parse import unquote, urlsplit

logger = logging.getLogger(__name__)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PLACEHOLDER = b"{{BASE}}"
# {{NOW-36h}}: that long before the request, to the minute, at a fixed +01:00 offset (as the
# Telegraph writes its times); {{DATE-3d}}: that day, in the same zone.
RELATIVE_DATE = re.compile(rb"\{\{(NOW|DATE)-(\d+)([smhd])\}\}")
DATE_ZONE = timezone(timedelta(hours=1))
DATE_UNITS = {b"s": 1, b"m": 60, b"h": 3600, b"d": 86400}
ROUTES_FILE = "_routes.json"

# Extensions whose bodies get {{BASE}} substitution; anything else is sent byte for byte.
TEXT_EXTENSIONS = frozenset(
    {".html", ".htm", ".xml", ".rss", ".atom", ".txt", ".json", ".md", ".css", ".js"}
)
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".rss": "application/rss+xml; charset=utf-8",
    ".atom": "application/atom+xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
    ".md": "text/markdown; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
}
# A charset declared in the first bytes of an HTML file (<meta charset> or http-equiv).
META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.IGNORECASE)
ROUTE_KEYS = frozenset(
    {"status", "headers", "body", "file", "delay", "gzip", "compress", "refuse_unless"}
)


class RecordedRequest(NamedTuple):
    """One request as the server saw it; ``headers`` looks names up case-insensitively."""

    method: str
    path: str
    headers: Message


@dataclass(frozen=True)
class Route:
    """How one path is answered; fields left at their defaults fall back to the file on disk.

    ``headers`` values of ``None`` remove a header the server would otherwise send (e.g.
    ``{"ETag": None}`` imitates a server without validators).
    """

    status: int = 200
    headers: Mapping[str, str | None] = field(default_factory=dict)
    body: bytes | None = None
    file: str | None = None
    delay: float = 0.0
    gzip: bool = False
    # The body itself gzipped, as a `.xml.gz` file is (not a Content-Encoding).
    compress: bool = False
    # A bot filter: a request without this header gets the other route (a challenge page).
    refuse_unless: tuple[str, Route] | None = None

    @classmethod
    def from_json(cls, where: str, entry: Mapping[str, Any]) -> Route:
        """Build a route from a ``_routes.json`` entry, refusing keys it does not know."""
        unknown = set(entry) - ROUTE_KEYS
        if unknown:
            raise ValueError(f"{where}: unknown route keys {sorted(unknown)}")
        body = entry.get("body")
        return cls(
            status=int(entry.get("status", 200)),
            headers=dict(entry.get("headers", {})),
            body=body.encode("utf-8") if isinstance(body, str) else None,
            file=entry.get("file"),
            delay=float(entry.get("delay", 0.0)),
            gzip=bool(entry.get("gzip", False)),
            compress=bool(entry.get("compress", False)),
            refuse_unless=_refusal(where, entry["refuse_unless"])
            if "refuse_unless" in entry
            else None,
        )


class FixtureServer:
    """Serve ``root`` on 127.0.0.1 from a background thread; use as a context manager."""

    def __init__(self, root: Path = FIXTURES, host: str = "127.0.0.1", port: int = 0) -> None:
        self.root = root.resolve()
        self._address = (host, port)
        self._overrides: dict[str, tuple[Route, float]] = {}
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._errors: list[BaseException] = []
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Self:
        """Bind a free port and start serving in a daemon thread."""
        if self._httpd is not None:
            raise RuntimeError("fixture server already started")
        self._stopping.clear()
        self._httpd = _HTTPServer(self._address, _Handler, self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fixture-server-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake delayed responses, close kept-alive sockets, join every thread.

        Joining matters: a handler thread still holding a socket when pytest finishes the test
        would surface as a ResourceWarning, which ``-W error`` turns into a failure.
        """
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stopping.set()
        httpd.shutdown()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # the client already closed it
        httpd.server_close()  # joins the handler threads (block_on_close)
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._errors:
            # A bad _routes.json or a server bug must fail the test, not look like a flaky site.
            errors, self._errors = self._errors, []
            raise RuntimeError(f"fixture server failed {len(errors)} request(s)") from errors[0]

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses ---------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound port (only valid once started)."""
        if self._httpd is None:
            raise RuntimeError("fixture server not started")
        return int(self._httpd.server_address[1])

    @property
    def base(self) -> str:
        """``http://127.0.0.1:PORT``, the value that replaces ``{{BASE}}``."""
        return f"http://{self._address[0]}:{self.port}"

    def url(self, path: str = "/") -> str:
        """Absolute URL for a server path like ``/telegraph/rss.xml`` (leading slash optional)."""
        return self.base + "/" + path.lstrip("/")

    # -- runtime control ---------------------------------------------------------------------

    def set(
        self,
        path: str,
        body: bytes | str | None = None,
        *,
        status: int = 200,
        headers: Mapping[str, str | None] | None = None,
        file: str | None = None,
        delay: float = 0.0,
        gzip: bool = False,
    ) -> None:
        """Answer ``path`` this way from now on, replacing any ``_routes.json`` entry for it.

        With ``body=None`` the body still comes from the file at ``path`` (or ``file``, relative
        to the fixtures root), so ``set(path, status=500)`` breaks an existing page in place.
        Last-Modified defaults to the time of this call, so a changed body also looks newer.
        """
        key = self._route_key(path)
        data = body.encode("utf-8") if isinstance(body, str) else body
        route = Route(
            status=status,
            headers=dict(headers or {}),
            body=data,
            file=("/" + file.lstrip("/")) if file else None,
            delay=delay,
            gzip=gzip,
        )
        with self._lock:
            self._overrides[key] = (route, time.time())

    def unset(self, path: str) -> None:
        """Drop a runtime override so ``path`` is served from disk and ``_routes.json`` again."""
        with self._lock:
            self._overrides.pop(self._route_key(path), None)

    def reset(self) -> None:
        """Forget all runtime overrides and the request log."""
        with self._lock:
            self._overrides.clear()
            self._requests.clear()

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def requests_for(self, path: str) -> list[RecordedRequest]:
        """Requests for ``path``; a path without ``?`` also matches requests with a query."""
        key = self._route_key(path)
        return [
            r for r in self.requests if r.path == key or ("?" not in key and _strip(r.path) == key)
        ]

    def _route_key(self, path: str) -> str:
        """Normalise a path or an absolute URL on this server to ``/path[?query]``."""
        if path.startswith(("http://", "https://")):
            parts = urlsplit(path)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
        return "/" + path.lstrip("/")

    # -- request handling (called from handler threads) --------------------------------------

    def _record(self, method: str, path: str, headers: Message) -> None:
        with self._lock:
            self._requests.append(RecordedRequest(method, path, headers))

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def _resolve(self, raw_path: str) -> tuple[Route, Path | None, float | None]:
        """Find the route, the file backing it and an override's timestamp for a request path."""
        path = _strip(raw_path)
        with self._lock:
            hit = self._overrides.get(raw_path) or self._overrides.get(path)
        if hit is not None:
            route, set_at = hit
            return route, self._file(route.file or path), set_at if route.body is not None else None
        route = self._json_route(raw_path, path) or Route()
        if route.file is not None:
            site = path.lstrip("/").split("/", 1)[0]
            return route, self._file(f"/{site}/{route.file}"), None
        return route, self._file(path), None

    def _json_route(self, raw_path: str, path: str) -> Route | None:
        """The ``_routes.json`` entry for a path; re-read every time so edits apply at once."""
        site, _, rest = path.lstrip("/").partition("/")
        routes_file = self.root / site / ROUTES_FILE
        if not rest or not routes_file.is_file():
            return None
        routes = json.loads(routes_file.read_text(encoding="utf-8"))
        rel_raw = raw_path.lstrip("/").partition("/")[2]
        for key in (rel_raw, rest):
            if key in routes:
                return Route.from_json(f"{routes_file}:{key}", routes[key])
        return None

    def _file(self, path: str) -> Path | None:
        """Map a URL path to a file under root, refusing escapes, hidden and ``_`` files."""
        rel = unquote(_strip(path)).lstrip("/")
        target = (self.root / rel).resolve()
        if target.is_dir():
            target = target / "index.html"
        if not target.is_relative_to(self.root) or not target.is_file():
            return None
        if any(part.startswith(("_", ".")) for part in target.relative_to(self.root).parts):
            return None
        return target


def _refusal(where: str, entry: Mapping[str, Any]) -> tuple[str, Route]:
    """A ``refuse_unless`` entry: the header a request must carry, and the route otherwise."""
    rest = {key: value for key, value in entry.items() if key != "header"}
    return str(entry["header"]), Route.from_json(f"{where}:refuse_unless", rest)


def _relative_date(match: re.Match[bytes]) -> bytes:
    """The time or day a ``{{NOW-36h}}`` or ``{{DATE-3d}}`` placeholder stands for."""
    kind, amount, unit = match.groups()
    when = datetime.now(DATE_ZONE) - timedelta(seconds=int(amount) * DATE_UNITS[unit])
    return when.strftime("%Y-%m-%dT%H:%M+01:00" if kind == b"NOW" else "%Y-%m-%d").encode()


def _strip(path: str) -> str:
    """The path without its query string or fragment."""
    return path.split("?", 1)[0].split("#", 1)[0]


def _content_type(path: str, body: bytes) -> str:
    """Guess a Content-Type the way a plainly configured web server would."""
    suffix = Path(_strip(path)).suffix.lower()
    if Path(_strip(path)).name == "robots.txt":
        return "text/plain; charset=utf-8"
    if suffix in {".html", ".htm"}:
        declared = META_CHARSET.search(body[:2048])
        # A page that declares a legacy charset in its markup is sent without one in the
        # header (like an Apache without AddDefaultCharset): the meta is then the only clue.
        if declared and declared.group(1).lower() not in {b"utf-8", b"utf8"}:
            return "text/html"
    if suffix == ".xml":
        head = body[:1024]
        if b"<feed" in head:
            return "application/atom+xml; charset=utf-8"
        if b"<urlset" in head or b"<sitemapindex" in head:
            return "application/xml; charset=utf-8"
        return "application/rss+xml; charset=utf-8"
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    return mimetypes.guess_type(_strip(path))[0] or "application/octet-stream"


def _not_modified(headers: Message, etag: str | None, last_modified: float | None) -> bool:
    """Apply RFC 9110 precedence: If-None-Match decides when present, else If-Modified-Since."""
    inm = headers.get("If-None-Match")
    if inm is not None:
        if etag is None:
            return False
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        return "*" in tags or etag in tags
    ims = headers.get("If-Modified-Since")
    if ims is None or last_modified is None:
        return False
    try:
        since = parsedate_to_datetime(ims).timestamp()
    except (TypeError, ValueError):
        return False
    return int(last_modified) <= since


class _HTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that knows its FixtureServer and joins its handler threads on close."""

    daemon_threads = False
    block_on_close = True
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], handler: type[_Handler], owner: FixtureServer
    ) -> None:
        self.owner = owner
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Keep handler exceptions for stop() to raise; a client hanging up is not one."""
        error = sys.exc_info()[1]
        if error is not None and not isinstance(error, ConnectionError | TimeoutError):
            logger.error("fixture server: %s", error, exc_info=error)
            with self.owner._lock:
                self.owner._errors.append(error)


class _Handler(BaseHTTPRequestHandler):
    """Answers GET and HEAD from the owner's routes; everything else gets 405."""

    server: _HTTPServer
    protocol_version = "HTTP/1.1"  # keep-alive, like a real server; stop() closes idle sockets
    server_version = "amur-fixtures/1.0"
    sys_version = ""
    timeout = 30  # an idle kept-alive client cannot hold a thread for ever

    def setup(self) -> None:
        super().setup()
        owner = self.server.owner
        owner._track(self.connection, add=True)
        if owner._stopping.is_set():
            # Accepted just as stop() took its snapshot of open sockets: close it here instead,
            # or server_close() would wait for this idle connection to time out.
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.owner._track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:
        """Send the access log to logging instead of stderr, so test output stays readable."""
        logger.debug("fixture server %s: %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def do_POST(self) -> None:
        owner = self.server.owner
        owner._record(self.command, self.path, self.headers)
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self._send(HTTPStatus.METHOD_NOT_ALLOWED, {"Allow": "GET, HEAD"}, b"", send_body=True)

    def _answer(self, send_body: bool) -> None:
        owner = self.server.owner
        owner._record(self.command, self.path, self.headers)
        route, file, set_at = owner._resolve(self.path)
        if route.refuse_unless and self.headers.get(route.refuse_unless[0]) is None:
            route, set_at = route.refuse_unless[1], None
            site = _strip(self.path).lstrip("/").split("/", 1)[0]
            file = owner._file(f"/{site}/{route.file}") if route.file else None
        if route.delay and owner._stopping.wait(route.delay):
            self.close_connection = True  # shutting down: drop the request unanswered
            return

        if route.body is not None:
            body, mtime = route.body, set_at
        elif file is not None:
            body, mtime = file.read_bytes(), file.stat().st_mtime
        else:  # nothing behind this path: a generated error page
            route = route if route.status != 200 else Route(status=404)
            body, mtime, file = _error_page(route.status), None, None

        type_path = str(file) if file is not None and route.body is None else self.path
        if Path(_strip(type_path)).suffix.lower() in TEXT_EXTENSIONS or route.body is not None:
            body = body.replace(PLACEHOLDER, owner.base.encode("ascii"))
            body = RELATIVE_DATE.sub(_relative_date, body)
        if route.compress:
            body = gzip.compress(body, mtime=0)

        generated = route.body is None and file is None
        content_type = "text/html; charset=utf-8" if generated else _content_type(type_path, body)
        if route.compress:
            content_type = "application/x-gzip"
        headers = {"Content-Type": content_type}
        etag: str | None = None
        if route.status == 200:
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            headers["ETag"] = etag
            if mtime is not None:
                headers["Last-Modified"] = formatdate(mtime, usegmt=True)
        if route.gzip:
            headers["Vary"] = "Accept-Encoding"
        final = _merge_headers(headers, route.headers, owner.base)
        etag = final.get("ETag")
        last_modified = (
            parsedate_to_datetime(final["Last-Modified"]).timestamp()
            if "Last-Modified" in final
            else None
        )

        gzipped = route.gzip and "gzip" in (self.headers.get("Accept-Encoding") or "").lower()
        if gzipped and etag is not None and not any(k.lower() == "etag" for k in route.headers):
            # Each encoding is its own representation, so it gets its own validator.
            etag = final["ETag"] = etag[:-1] + '-gzip"'
        if route.status == 200 and _not_modified(self.headers, etag, last_modified):
            kept = {
                k: v for k, v in final.items() if k.lower() in {"etag", "last-modified", "vary"}
            }
            self._send(HTTPStatus.NOT_MODIFIED, kept, None, send_body=False)
            return
        if gzipped:
            body = gzip.compress(body, mtime=0)  # mtime=0: the same bytes every time
            final["Content-Encoding"] = "gzip"
        self._send(route.status, final, body, send_body=send_body)

    def _send(
        self, status: int, headers: Mapping[str, str], body: bytes | None, send_body: bool
    ) -> None:
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if body is not None:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if send_body and body:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (a timeout test): nothing to do


def _merge_headers(
    defaults: Mapping[str, str], overrides: Mapping[str, str | None], base: str
) -> dict[str, str]:
    """Apply route headers over the defaults, case-insensitively; ``None`` deletes a header."""
    merged = dict(defaults)
    for name, value in overrides.items():
        merged = {k: v for k, v in merged.items() if k.lower() != name.lower()}
        if value is not None:
            merged[name] = value.replace("{{BASE}}", base)
    return merged


def _error_page(status: int) -> bytes:
    """A small HTML page for a status that has no file behind it."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{status} {phrase}</title></head>"
        f"<body><h1>{status} {phrase}</h1></body></html>\n"
    ).encode()
