"""What keeps the review page the archive owner's alone: token, CSRF, Host and headers.

- Off loopback, every request carries `web.token`: as `Authorization: Bearer`, as the cookie
  a first `?token=` visit sets, or in the query (for feed readers, which keep no cookies).
- On loopback without a token, only loopback Host names are served, so a web page elsewhere
  cannot read the archive through the owner's browser by DNS rebinding.
- State changes are POSTs whose form carries the CSRF cookie's value (double submit), from a
  page of this origin when the browser says where it came from.
- Every response carries a Content-Security-Policy that allows this origin's own files and
  nothing inline: a scraped `<script>` that slipped past escaping would still not run.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlencode, urlsplit

from starlette.datastructures import URL
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp

CSRF_COOKIE = "amur_csrf"
TOKEN_COOKIE = "amur_token"
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
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
    # The token may sit in a URL; links out to the original articles must not carry it.
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class Guard(BaseHTTPMiddleware):
    """Token and Host checks before the app, CSRF cookie and security headers after it."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        super().__init__(app)
        self.token = token

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        refused = self._refusal(request)
        if refused is not None:
            return _secured(refused)
        offered = request.query_params.get("token")
        if self.token and offered and request.method == "GET" and not _is_feed(request):
            # Trade the token in the address for a cookie, and take it out of the address bar.
            query = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
            clean = URL(str(request.url.replace(query=urlencode(query))))
            response: Response = RedirectResponse(str(clean.path) + _query(clean), 303)
            response.set_cookie(TOKEN_COOKIE, self.token, httponly=True, samesite="strict")
            return _secured(response)
        csrf = request.cookies.get(CSRF_COOKIE)
        request.state.csrf = csrf or secrets.token_urlsafe(32)
        response = await call_next(request)
        if csrf is None:
            response.set_cookie(CSRF_COOKIE, request.state.csrf, httponly=True, samesite="strict")
        return _secured(response)

    def _refusal(self, request: Request) -> Response | None:
        if self.token is None:
            if _host_name(request.headers.get("host", "")) not in LOOPBACK_NAMES:
                return PlainTextResponse("unknown host name for this server\n", 421)
            return None
        offered = (
            _bearer(request.headers.get("authorization"))
            or request.cookies.get(TOKEN_COOKIE)
            or request.query_params.get("token")
        )
        if offered is None or not hmac.compare_digest(offered.encode(), self.token.encode()):
            return PlainTextResponse(
                "this archive needs its access token: open it once as /?token=...\n",
                401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        return None


def csrf_ok(request: Request, submitted: str | None) -> bool:
    """Whether a POST carries this browser's CSRF value and, if it says so, comes from here."""
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not submitted or not hmac.compare_digest(cookie, submitted):
        return False
    origin = request.headers.get("origin") or request.headers.get("referer")
    if origin and origin != "null":
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


def _bearer(header: str | None) -> str | None:
    if header and header.lower().startswith("bearer "):
        return header[7:].strip()
    return None


def _host_name(header: str) -> str:
    """The name in a Host header: `localhost:8765` → `localhost`, `[::1]:8765` → `[::1]`."""
    if header.startswith("["):
        return header[: header.find("]") + 1]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def _is_feed(request: Request) -> bool:
    return request.url.path.endswith(".atom")


def _query(url: URL) -> str:
    return f"?{url.query}" if url.query else ""


def _secured(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response
