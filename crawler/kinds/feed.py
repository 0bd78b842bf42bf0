"""Kind `feed`: RSS or Atom, fetched through Scrapy's downloader and parsed with feedparser."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser
import scrapy
from scrapy.http import Response

from crawler.kinds.base import SourceKind
from storage.archive import now
from storage.schedule import set_not_before


def _iso(parsed: time.struct_time | None) -> str | None:
    """feedparser's UTC struct_time as ISO 8601."""
    if not parsed:
        return None
    return datetime(*parsed[:6], tzinfo=UTC).isoformat()


def entry_hints(entry: Any) -> dict[str, str]:
    """What a feed entry says about its article, for fields the page itself leaves out."""
    hints = {
        "title": entry.get("title"),
        "author": entry.get("author"),
        "published": _iso(entry.get("published_parsed") or entry.get("updated_parsed")),
    }
    return {key: value.strip() for key, value in hints.items() if value and value.strip()}


class FeedKind(SourceKind):
    def parse(self, response: Response) -> Iterator[scrapy.Request]:
        if self.spider.unchanged(response):
            return
        context = self.spider.context
        headers = {"content-type": response.headers.get("Content-Type", b"").decode("latin-1")}
        parsed = feedparser.parse(response.body, response_headers=headers)
        if not parsed.entries:
            reason = parsed.get("bozo_exception") or "no entries"
            kind = "feed" if parsed.get("bozo") or not parsed.get("version") else "feed-empty"
            context.error(
                self.source.name,
                response.url,
                kind,
                f"not a usable feed: {reason}",
                fatal=kind == "feed",
            )
            return
        if parsed.get("bozo"):
            # A feed with a fixable flaw (a bad entity, a truncated tail) still yields entries.
            context.error(
                self.source.name,
                response.url,
                "feed",
                f"malformed feed, read what could be read: {parsed.bozo_exception}",
            )
        ttl = str(parsed.feed.get("ttl", "")).strip()
        if ttl.isdigit():  # RSS <ttl>: minutes the feed may be cached; a floor on the interval
            ledger = context.ledgers[self.source.name]
            set_not_before(context.engine, ledger.source_id, now() + timedelta(minutes=int(ttl)))
        context.count(self.source.name, "found", len(parsed.entries))
        for entry in parsed.entries:
            link = entry.get("link") or (
                entry.get("id") if str(entry.get("id", "")).startswith("http") else None
            )
            if not link:
                continue
            request = self.spider.article_request(
                self.source, response.urljoin(link), entry_hints(entry)
            )
            if request is not None:
                yield request
