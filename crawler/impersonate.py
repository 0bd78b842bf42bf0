"""Per-source fetch options: extra headers, and `fetch: impersonate` through a browser-like client.

Some sites refuse clients by their TLS and HTTP/2 fingerprint, whatever the User-Agent says.
scrapy-impersonate's download handler sends a request marked `meta["impersonate"]` through
curl_cffi, which speaks like a browser; everything else goes through Scrapy's own HTTP handler
as before. `FetchOptions` (a downloader middleware) marks the requests of impersonating sources
and adds every source's `headers:`.

curl connects on its own, past the Twisted resolver that holds the private-address guard
(`crawler.guard`). So `GuardedImpersonateHandler` resolves the host itself, refuses it as the
resolver would, and pins curl to the checked addresses with CURLOPT_RESOLVE: curl never looks
the name up again, so what was checked is what is connected to (TLS still verifies the name).
curl is also kept from environment proxies (the pin would not apply through one), held to the
request's timeout and to DOWNLOAD_MAXSIZE, and stripped of Scrapy's default User-Agent, Accept,
Accept-Language and Accept-Encoding, so that the browser's own go out, in the browser's order,
unless the source's `headers:` set them.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

from curl_cffi import CurlOpt
from curl_cffi.requests import exceptions as curl_errors
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.http import Response
from scrapy_impersonate import ImpersonateDownloadHandler

from crawler.context import Component
from crawler.guard import host_refusal

# The browser curl_cffi imitates: its latest Chrome (TLS, HTTP/2 and header order alike).
BROWSER = "chrome"
# Headers Scrapy adds by default that would give an impersonated request away.
SCRAPY_DEFAULTS = ("User-Agent", "Accept", "Accept-Language", "Accept-Encoding")
DEFAULT_PORTS = {"http": 80, "https": 443}


class FetchOptions(Component):
    """Downloader middleware: a source's `headers:` on each of its requests, and the mark that
    sends an impersonating source's requests through curl_cffi.

    It runs after Scrapy's UserAgent, DefaultHeaders and HttpCompression middlewares, so the
    source's headers replace theirs and an impersonated request can drop theirs.
    """

    def process_request(self, request: Request) -> None:
        ledger = self.context.ledgers.get(request.meta.get("source", ""))
        if ledger is None:  # robots.txt, fetched for the host rather than for a source
            return
        source = ledger.source
        if source.fetch == "impersonate":
            request.meta["impersonate"] = BROWSER
            own = {name.lower() for name in source.headers}
            for name in SCRAPY_DEFAULTS:
                if name.lower() not in own:
                    request.headers.pop(name, None)
        for name, value in source.headers.items():
            request.headers[name] = value


def resolve_option(host: str, port: int, addresses: list[str]) -> str:
    """A CURLOPT_RESOLVE entry pinning `host:port` to `addresses` (IPv6 ones in brackets)."""
    pinned = ",".join(f"[{a}]" if ":" in a else a for a in dict.fromkeys(addresses))
    return f"{host}:{port}:{pinned}"


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class GuardedImpersonateHandler(ImpersonateDownloadHandler):
    """scrapy-impersonate's handler with the address guard, the pin and Scrapy's limits."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.allow_private = crawler.settings.getbool("AMUR_ALLOW_PRIVATE_ADDRESSES")
        self.maxsize = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        self.timeout = crawler.settings.getfloat("DOWNLOAD_TIMEOUT")

    async def _download_request(self, request: Request) -> Response:
        parts = urlsplit(request.url)
        host = parts.hostname or ""
        port = parts.port or DEFAULT_PORTS.get(parts.scheme, 80)
        addresses = await self._addresses(host, port)
        refused = None if self.allow_private else host_refusal(host, addresses)
        if refused:
            raise IgnoreRequest(refused)
        maxsize = request.meta.get("download_maxsize", self.maxsize)
        # Set afresh for each request: a redirect copies the meta of the request before it.
        options: dict[Any, Any] = {
            CurlOpt.PROXY: "",  # no environment proxy: the connection goes where it was checked
            CurlOpt.NOPROXY: "*",
        }
        if maxsize:
            options[CurlOpt.MAXFILESIZE_LARGE] = maxsize
        if not _is_literal(host):
            options[CurlOpt.RESOLVE] = [resolve_option(host, port, addresses)]
        request.meta["impersonate_curl_options"] = options
        request.meta["impersonate_args"] = {
            "timeout": request.meta.get("download_timeout") or self.timeout
        }
        try:
            response = await super()._download_request(request)
        except curl_errors.Timeout as err:
            raise DownloadTimeoutError(str(err)) from err
        except curl_errors.DNSError as err:
            raise CannotResolveHostError(str(err)) from err
        except curl_errors.ConnectionError as err:
            raise DownloadConnectionRefusedError(str(err)) from err
        except curl_errors.RequestException as err:
            if "maximum file size" in str(err).lower():
                raise DownloadCancelledError(f"larger than {maxsize} bytes: {err}") from err
            raise DownloadFailedError(str(err)) from err
        if maxsize and len(response.body) > maxsize:  # decompressed past the limit
            raise DownloadCancelledError(f"larger than {maxsize} bytes once decompressed")
        return response

    @staticmethod
    async def _addresses(host: str, port: int) -> list[str]:
        """Every address `host` resolves to, looked up off the reactor thread."""
        try:
            infos = await asyncio.to_thread(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM)
        except (OSError, UnicodeError) as err:
            raise CannotResolveHostError(f"{host}: {err}") from err
        return [str(info[4][0]) for info in infos]
