"""Telling a refused fetch from a failed one: a 403, or a bot-protection challenge page.

A site that refuses amur's client needs a different fetch (`fetch: impersonate`, `headers:`),
not a retry, so a refusal is its own failure kind (`blocked`), and a source whose run it stops
gets the outcome `blocked` with that hint. Challenges are told by the stable signals the
protection services document or have kept for years, never by one page's layout: a
`cf-mitigated: challenge` or `x-amzn-waf-action` header, Cloudflare's challenge titles and its
`_cf_chl_opt` script object, DataDome's and PerimeterX's captcha hosts, Imperva's incident
line. A 429 is a refusal only with such a signal; without one it asks for a slower pace.
"""

from __future__ import annotations

import re

from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from crawler.context import Component

# How much of a body is searched for a challenge's marks: challenge pages are small.
HEAD_BYTES = 64 * 1024
CHALLENGE_HEADERS = {
    b"cf-mitigated": (re.compile(rb"challenge", re.I), "a Cloudflare challenge"),
    b"x-amzn-waf-action": (re.compile(rb"captcha|challenge", re.I), "an AWS WAF challenge"),
}
CHALLENGE_BODIES = (
    (re.compile(rb"<title>\s*Just a moment\.\.\.\s*</title>", re.I), "a Cloudflare challenge"),
    (re.compile(rb"window\._cf_chl_opt\b"), "a Cloudflare challenge"),
    (re.compile(rb"<title>\s*Attention Required! \| Cloudflare", re.I), "a Cloudflare block page"),
    (re.compile(rb"captcha-delivery\.com"), "a DataDome captcha"),
    (re.compile(rb"\bpx-captcha\b"), "a PerimeterX captcha"),
    (re.compile(rb"Incapsula incident ID|_Incapsula_Resource"), "an Imperva block page"),
)


class Blocked(IgnoreRequest):
    """The site refused the fetch: a 403 or a bot-protection challenge."""


def challenge(response: Response) -> str | None:
    """What kind of bot-protection challenge `response` is, or None."""
    for name, (pattern, what) in CHALLENGE_HEADERS.items():
        if any(pattern.search(value) for value in response.headers.getlist(name)):
            return what
    head = response.body[:HEAD_BYTES]
    for pattern, what in CHALLENGE_BODIES:
        if pattern.search(head):
            return what
    return None


def refusal(response: Response) -> str | None:
    """Why `response` is a refusal ("HTTP 403, a Cloudflare challenge"), or None."""
    what = challenge(response)
    if what:
        return f"HTTP {response.status}, {what}"
    if response.status == 403:
        return "HTTP 403"
    return None


class BlockDetection(Component):
    """Downloader middleware: a refusal fails its request as `Blocked`, naming what to try."""

    def process_response(self, request: Request, response: Response) -> Response:
        ledger = self.context.ledgers.get(request.meta.get("source", ""))
        if ledger is None:  # robots.txt: Scrapy's own middleware judges it
            return response
        why = refusal(response)
        if why is None:
            return response
        hint = (
            "try `headers:` (the site refuses even the browser-like client)"
            if ledger.source.fetch == "impersonate"
            else "try `fetch: impersonate` or `headers:`"
        )
        raise Blocked(f"blocked: {why} from {response.url} ({hint})")
