"""What keeps the review page the archive owner's alone: token, CSRF, Host and headers.

- Off loopback, every request carries `web.token`: as `Authorization: Bearer`, in the query
  (for feed readers, which keep no cookies), or as a session cookie that a first `?token=`
  visit sets. The cookie holds a value derived from the token and a secret of this process,
  never the token itself: cookies reach every port of a host name, and a stolen session ends
  when the service restarts, while the token would stay good.
- On loopback without a token, only loopback Host names (and `web.host`) are served, so a web
  page elsewhere cannot read the archive through the owner's browser by DNS rebinding.
- State changes are POSTs carrying a CSRF value: an HMAC, under this process's secret, of the
  browser's CSRF cookie. A page on another port of the same host can set that cookie (cookies
  do not keep ports apart) but cannot compute the value. A POST that says it comes from
  another origin (`Origin`, `Sec-Fetch-Site`) is refused as well.
- Every response carries a Content-Security-Policy that allows this origin's own files and
  nothing inline: a scraped `<script>` that slipped past escaping would still not run.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from urllib.parse import urlencode, urlsplit

from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp

CSRF_COOKIE = "amur_csrf"
SESSION_COOKIE = "amur_session"
LOOPBACK_NAMES = frozenset({"localhost", "[::1]"})
POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": POLICY,
    "X-Content-Type-Options": "nosniff",
    # Links out to the original articles carry no address of this page (it may hold the
    # token); the page's own requests keep theirs, so a POST's Origin is its real origin.
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
# Secrets of this process: restarting the service ends sessions and open forms' CSRF values.
_SECRET = secrets.token_bytes(32)


class Guard(BaseHTTPMiddleware):
    """Token and Host checks before the app, CSRF cookie and security headers after it."""

    def __init__(self, app: ASGIApp, token: str | None, host: str) -> None:
        super().__init__(app)
        self.token = token
        self.host = host
        self.session = _mac(f"session:{token}") if token else None

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        refused = self._refusal(request)
        if refused is not None:
            return _secured(refused)
        offered = request.query_params.get("token")
        if self.session and offered and request.method == "GET" and not _is_feed(request):
            # Trade the token in the address for a session cookie, and take it out of the
            # address bar (and so out of the history and any bookmark).
            kept = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
            query = urlencode(kept)
            path = local_path("/" + request.url.path.lstrip("/"))
            response: Response = RedirectResponse(path + (f"?{query}" if query else ""), 303)
            response.set_cookie(SESSION_COOKIE, self.session, httponly=True, samesite="strict")
            return _secured(response)
        cookie = request.cookies.get(CSRF_COOKIE)
        fresh = cookie is None
        browser = cookie or secrets.token_urlsafe(32)
        request.state.csrf = _mac(f"csrf:{browser}")
        response = await call_next(request)
        if fresh:
            response.set_cookie(CSRF_COOKIE, browser, httponly=True, samesite="strict")
        return _secured(response)

    def _refusal(self, request: Request) -> Response | None:
        if self.token is None or self.session is None:
            if not self._own_name(_host_name(request.headers.get("host", ""))):
                return PlainTextResponse("unknown host name for this server\n", 421)
            return None
        offered = (
            _bearer(request.headers.get("authorization")),
            request.query_params.get("token"),
        )
        if any(_same(value, self.token) for value in offered) or _same(
            request.cookies.get(SESSION_COOKIE), self.session
        ):
            return None
        return PlainTextResponse(
            "this archive needs its access token: open it once as /?token=...\n",
            401,
            headers={"WWW-Authenticate": "Bearer"},
        )

    def _own_name(self, name: str) -> bool:
        """A loopback name or address, or the configured host: what a local browser uses."""
        if name in LOOPBACK_NAMES or name == self.host or f"[{self.host}]" == name:
            return True
        try:
            return ipaddress.ip_address(name.strip("[]")).is_loopback
        except ValueError:
            return False


def csrf_ok(request: Request, submitted: str | None) -> bool:
    """Whether a POST carries the value this server gave the browser's page, from this origin.

    The value must be the MAC of the browser's CSRF cookie; a browser saying the request comes
    from elsewhere (`Sec-Fetch-Site` other than same-origin, an `Origin` of another host or
    `null`) is refused even then. Clients that send neither header (scripts) need the value.
    """
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not _same(submitted, _mac(f"csrf:{cookie}")):
        return False
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is not None:
        return urlsplit(origin).netloc == request.headers.get("host")
    return True


def local_path(target: str | None, fallback: str = "/") -> str:
    """`target` if it is a path on this site, else `fallback`: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target


def _mac(message: str) -> str:
    return hmac.new(_SECRET, message.encode(), hashlib.sha256).hexdigest()


def _same(offered: str | None, expected: str) -> bool:
    return offered is not None and hmac.compare_digest(offered.encode(), expected.encode())


def _bearer(header: str | None) -> str | None:
    if header and header.lower().startswith("bearer "):
        return header[7:].strip()
    return None


def _host_name(header: str) -> str:
    """The name in a Host header: `localhost:8765` → `localhost`, `[::1]:8765` → `[::1]`."""
    name, _, port = header.rpartition(":") if not header.endswith("]") else (header, "", "")
    if not name or (port and not port.isdigit()):
        return header  # no port, or not a port: the whole value is the name
    return name


def _is_feed(request: Request) -> bool:
    return request.url.path.endswith(".atom")


def _secured(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response
