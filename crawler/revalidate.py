"""Conditional requests for the URLs a source watches (its feed, listing, page or thread).

Requests marked `revalidate` carry `If-None-Match` / `If-Modified-Since` from the validators
stored after the last fully processed fetch. A 304, or a 200 whose body hashes the same as last
time, is marked unchanged, and the source kinds stop there: no parsing, no extraction, no write
beyond the run record. Validators are saved only after a body was processed (`remember`), so a
crash half-way leaves the URL to be fetched in full next time.

The server's own hints about when to come back (`Cache-Control: max-age`, `Retry-After`) become
the source's `not_before`, a lower bound on its next scheduled run.
"""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from scrapy import Request
from scrapy.http import Response

from crawler.context import Component
from storage.archive import now
from storage.schedule import Validators, set_not_before
from storage.urls import normalize

logger = logging.getLogger(__name__)

MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-)?max-age\s*=\s*(\d+)", re.I)
# A server asking for a wait longer than this is not obeyed beyond it.
LONGEST_WAIT = timedelta(days=7)


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def requested_wait(response: Response, at: datetime) -> datetime | None:
    """When the server asked us to come back, from Retry-After or Cache-Control max-age."""
    retry_after = _header(response, "Retry-After")
    if retry_after and response.status in (429, 503):
        if retry_after.strip().isdigit():
            return at + min(timedelta(seconds=int(retry_after)), LONGEST_WAIT)
        try:
            return min(parsedate_to_datetime(retry_after), at + LONGEST_WAIT)
        except (TypeError, ValueError):
            return None
    match = MAX_AGE.search(_header(response, "Cache-Control") or "")
    if match and response.status in (200, 304):
        return at + min(timedelta(seconds=int(match.group(1))), LONGEST_WAIT)
    return None


class Revalidation(Component):
    """Downloader middleware: conditional headers out, unchanged bodies marked on the way in."""

    def process_request(self, request: Request) -> None:
        if not request.meta.get("revalidate") or request.meta.get("revalidation_sent"):
            return
        request.meta["revalidation_sent"] = True
        # Keyed by the URL as configured, which stays the same when the server redirects.
        request.meta["revalidate_key"] = key = normalize(request.url)
        request.meta["handle_httpstatus_list"] = [
            *request.meta.get("handle_httpstatus_list", []),
            304,
        ]
        seen = self.context.ledgers[request.meta["source"]].seen.get(key)
        if seen is None:
            return
        if seen.etag:
            request.headers["If-None-Match"] = seen.etag
        if seen.last_modified:
            request.headers["If-Modified-Since"] = seen.last_modified

    def process_response(self, request: Request, response: Response) -> Response:
        if not request.meta.get("revalidate"):
            return response
        ledger = self.context.ledgers[request.meta["source"]]
        wait = requested_wait(response, now())
        if wait is not None:
            self.context.writer.submit(set_not_before, self.context.engine, ledger.source_id, wait)
        # The response is tied to its request only later: what the spider reads goes in meta.
        if response.status == 304:
            request.meta["unchanged"] = True
        elif response.status == 200:
            digest = body_hash(response.body)
            seen = ledger.seen.get(request.meta["revalidate_key"])
            request.meta["unchanged"] = seen is not None and seen.body_hash == digest
            request.meta["validators"] = Validators(
                etag=_header(response, "ETag"),
                last_modified=_header(response, "Last-Modified"),
                body_hash=digest,
            )
        return response
