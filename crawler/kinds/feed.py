"""Kind `feed`: RSS or Atom, fetched through Scrapy's downloader and parsed with feedparser.

Reading a feed (`read_feed`) is a pure function of the body, its Content-Type and its URL, so it
can be tested, and fuzzed, without a crawl; `FeedKind` only turns its result into requests.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser
import scrapy
from scrapy.http import Response

from crawler.exceptions import FeedError
from crawler.extraction import absolute_url
from crawler.kinds.base import SourceKind
from storage.archive import now
from storage.schedule import set_not_before

# A <ttl> (minutes) longer than a year is junk; a huge one would overflow the date.
MAX_TTL = 366 * 24 * 60


@dataclass(frozen=True)
class FeedEntry:
    """An entry to fetch: its article's absolute URL and what the feed says about it."""

    url: str
    hints: dict[str, str]


@dataclass(frozen=True)
class Feed:
    """What a feed offers: its entries with a link, in feed order."""

    entries: tuple[FeedEntry, ...]
    found: int  # entries in the feed, with or without a usable link
    ttl: int | None  # RSS <ttl>: minutes the feed may be cached
    flaw: str | None  # what feedparser could not read in a feed it read entries from anyway


def _iso(parsed: time.struct_time | None) -> str | None:
    """feedparser's UTC struct_time as ISO 8601."""
    if not parsed:
        return None
    try:
        return datetime(*parsed[:6], tzinfo=UTC).isoformat()
    except (ValueError, OverflowError):  # feedparser reads "0000-00-00" as year -1
        return None


def entry_hints(entry: Any) -> dict[str, str]:
    """What a feed entry says about its article, for fields the page itself leaves out."""
    parsed = entry.get("published_parsed")
    if not parsed and "updated_parsed" in entry:  # `get` would warn and fall back to published
        parsed = entry["updated_parsed"]
    hints = {"title": entry.get("title"), "author": entry.get("author"), "published": _iso(parsed)}
    return {key: value.strip() for key, value in hints.items() if value and value.strip()}


def _entry_url(entry: Any, feed_url: str) -> str | None:
    """The entry's link (or an http id) made absolute against the feed's URL; None unless it is
    a web URL the spider can request."""
    link = entry.get("link") or (
        entry.get("id") if str(entry.get("id", "")).startswith("http") else None
    )
    return absolute_url(feed_url, link) if link else None


def _ttl(feed: Any) -> int | None:
    """RSS <ttl>: minutes the feed may be cached, where it gives a plausible number."""
    value = str(feed.get("ttl", "")).strip()
    if not (value.isascii() and value.isdigit() and len(value) <= 6):  # "²" is a digit too
        return None
    return int(value) if int(value) <= MAX_TTL else None


def read_feed(body: bytes, content_type: str | None, url: str) -> Feed:
    """The entries of an RSS or Atom body; raises FeedError when it is not a usable feed.

    A well-formed feed with no entries is not an error: it comes back with `found` 0.
    """
    try:
        parsed = feedparser.parse(body, response_headers={"content-type": content_type or ""})
    except ValueError as err:  # feedparser 6 trips on a NUL or a non-UTF-8 byte in `encoding=`
        raise FeedError(f"not a usable feed: unreadable encoding declaration ({err})") from err
    if not parsed.entries and (parsed.get("bozo") or not parsed.get("version")):
        raise FeedError(f"not a usable feed: {parsed.get('bozo_exception') or 'no entries'}")
    entries = []
    for entry in parsed.entries:
        link = _entry_url(entry, url)
        if link is not None:
            entries.append(FeedEntry(link, entry_hints(entry)))
    return Feed(
        entries=tuple(entries),
        found=len(parsed.entries),
        ttl=_ttl(parsed.feed),
        flaw=str(parsed.bozo_exception) if parsed.get("bozo") else None,
    )


class FeedKind(SourceKind):
    def parse(self, response: Response) -> Iterator[scrapy.Request]:
        if self.spider.unchanged(response):
            return
        context, name = self.spider.context, self.source.name
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        try:
            feed = read_feed(response.body, content_type, response.url)
        except FeedError as err:
            context.error(name, response.url, "feed", str(err), fatal=True)
            return
        if not feed.found:
            context.error(name, response.url, "feed-empty", "not a usable feed: no entries")
            return
        if feed.flaw is not None:
            # A feed with a fixable flaw (a bad entity, a truncated tail) still yields entries.
            context.error(
                name, response.url, "feed", f"malformed feed, read what could be read: {feed.flaw}"
            )
        if feed.ttl is not None:  # a floor on the interval
            ledger = context.ledgers[name]
            wait = now() + timedelta(minutes=feed.ttl)
            context.writer.submit(set_not_before, context.engine, ledger.source_id, wait)
        context.count(name, "found", feed.found)
        links: dict[str, dict[str, str]] = {}
        for entry in feed.entries:
            links.setdefault(entry.url, entry.hints)
        yield from self.spider.article_requests(self.source, links)
