"""Kind `sitemap`: a sitemap, a sitemap index or a news sitemap, read with Scrapy's parser.

A news site's sitemaps list every article it ever published, so only entries dated within the
source's `since` (by `news:publication_date`, else `lastmod`) are fetched. An entry without a
date is taken only from a sitemap that dates none of its entries (a small site's plain list of
pages, where the archive's known-URL check keeps later runs to the new ones); where a sitemap
dates some entries, the undated ones are section and index pages and are skipped. An index's
child sitemaps are followed when their `lastmod` is within the window or they have none, each
at most once a run (an index that lists itself does not loop). A robots.txt URL names the
sitemaps to read in its `Sitemap:` lines.

Parsing is Scrapy's (`scrapy.utils.sitemap`), unpacking gzip as its SitemapSpider does; the
one addition is keeping what a `news:news` element says, which Scrapy's parser drops. Reading
(`read_sitemap`) is a pure function of the body and its URL, so it is tested without a crawl.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import lxml.etree
import scrapy
from scrapy.http import Response
from scrapy.utils._compression import _DecompressionMaxSizeExceeded
from scrapy.utils.gz import gunzip, gzip_magic_number
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from crawler.config import SourceConfig
from crawler.exceptions import SitemapError
from crawler.extraction import absolute_url
from crawler.kinds.base import SourceKind
from crawler.metadata import normalize_date
from storage.archive import now
from storage.urls import normalize

# What a `news:news` element holds that becomes a hint, under the entry keys it is kept as.
NEWS_FIELDS = {"publication_date": "news_date", "title": "news_title"}


class NewsSitemap(Sitemap):
    """Scrapy's sitemap parser, keeping a `news:news` element's date and title.

    Scrapy keeps only the text of each direct child of `<url>`, and `news:news` has none.
    """

    __slots__ = ()

    def _process_sitemap_element(self, elem: lxml.etree._Element) -> dict[str, Any] | None:
        news = {}
        for child in elem:
            if self._get_tag_name(child) == "news":
                for field in child.iter():
                    key = NEWS_FIELDS.get(self._get_tag_name(field))
                    if key and field.text and field.text.strip():
                        news[key] = field.text.strip()
        entry = super()._process_sitemap_element(elem)
        if entry is not None:
            entry.pop("news", None)
            entry.update(news)
        return entry


@dataclass(frozen=True)
class SitemapEntry:
    """A `<url>` or `<sitemap>` with an absolute web URL, its date and its hints."""

    url: str
    dated: datetime | date | None  # an aware time, or a day when the sitemap gives no time
    hints: dict[str, str]


@dataclass(frozen=True)
class SitemapFile:
    """What one sitemap file lists: pages (a urlset) or other sitemaps (an index)."""

    index: bool
    entries: tuple[SitemapEntry, ...]


def entry_date(value: str | None) -> datetime | date | None:
    """A W3C datetime as sitemaps write it: an aware time (UTC when no offset), or a day."""
    iso = normalize_date(value)
    if iso is None:
        return None
    if "T" not in iso:
        return date.fromisoformat(iso)
    parsed = datetime.fromisoformat(iso)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def within(dated: datetime | date, cutoff: datetime) -> bool:
    """Whether `dated` is at or after `cutoff`; a bare day counts as the whole day (UTC)."""
    if isinstance(dated, datetime):
        return dated >= cutoff
    return dated >= cutoff.astimezone(UTC).date()


def _hints(raw: dict[str, Any]) -> dict[str, str]:
    """The news title and publication date for `title`/`published`; `lastmod`, a modification
    time, only as `modified`, which fills `published` for a page that gives no date at all."""
    hints = {
        "title": raw.get("news_title"),
        "published": normalize_date(raw.get("news_date")),
        "modified": normalize_date(raw.get("lastmod")),
    }
    return {key: value for key, value in hints.items() if value}


def sitemap_body(response: Response, max_size: int) -> bytes:
    """The XML of a sitemap, gunzipped when it is a `.xml.gz` file (within `max_size` bytes)."""
    if not gzip_magic_number(response):
        return response.body
    try:
        return gunzip(response.body, max_size=max_size)
    except _DecompressionMaxSizeExceeded as err:
        raise SitemapError("larger than network.max_body_mb once unpacked") from err
    except (OSError, EOFError, zlib.error) as err:
        raise SitemapError(f"a broken gzip file: {err}") from err


def read_sitemap(body: bytes, url: str) -> SitemapFile:
    """The entries of a sitemap or sitemap index; raises SitemapError for anything else."""
    try:
        parsed = NewsSitemap(body)
        kind = parsed.type
        raw = list(parsed)
    except (lxml.etree.XMLSyntaxError, StopIteration) as err:
        raise SitemapError("not a sitemap: not XML") from err
    if kind not in ("urlset", "sitemapindex"):
        raise SitemapError(f"not a sitemap: its root element is <{kind}>")
    entries = []
    for item in raw:
        link = absolute_url(url, item["loc"]) if item.get("loc") else None
        if link is None:
            continue
        dated = entry_date(item.get("news_date")) or entry_date(item.get("lastmod"))
        entries.append(SitemapEntry(link, dated, _hints(item)))
    return SitemapFile(index=kind == "sitemapindex", entries=tuple(entries))


def recent_entries(sitemap: SitemapFile, cutoff: datetime) -> list[SitemapEntry]:
    """The entries to follow: dated at or after `cutoff`, and the undated ones where they are
    children of an index or where the sitemap dates nothing at all (see the module docstring)."""
    dated = any(entry.dated is not None for entry in sitemap.entries)
    return [
        entry
        for entry in sitemap.entries
        if (entry.dated is not None and within(entry.dated, cutoff))
        or (entry.dated is None and (sitemap.index or not dated))
    ]


class SitemapKind(SourceKind):
    def __init__(self, spider: Any, source: SourceConfig) -> None:
        super().__init__(spider, source)
        self.cutoff = now() - timedelta(seconds=source.since_seconds)
        self.read: set[str] = {normalize(source.url)}  # sitemaps requested this run

    def child_request(self, url: str) -> scrapy.Request | None:
        """A request for a sitemap an index or robots.txt names, unless this run has read it."""
        key = normalize(url)
        if key in self.read:
            return None
        self.read.add(key)
        return scrapy.Request(
            url,
            callback=self.parse,
            errback=self.spider.page_failed,
            meta={"source": self.source.name, "revalidate": True, "sitemap_child": True},
            dont_filter=True,
        )

    def parse(self, response: Response) -> Iterator[scrapy.Request]:
        if self.spider.unchanged(response):
            return
        context, name = self.spider.context, self.source.name
        fatal = not response.meta.get("sitemap_child")  # a child's failure leaves the rest
        if response.url.endswith("/robots.txt"):
            urls = list(sitemap_urls_from_robots(response.body, base_url=response.url))
            if not urls and fatal:
                context.error(name, response.url, "sitemap", "robots.txt names no sitemap")
            yield from filter(None, map(self.child_request, urls))
            return
        max_size = response.meta.get(
            "download_maxsize", self.spider.crawler.settings.getint("DOWNLOAD_MAXSIZE")
        )
        try:
            sitemap = read_sitemap(sitemap_body(response, max_size), response.url)
        except SitemapError as err:
            context.error(name, response.url, "sitemap", str(err), fatal=fatal)
            return
        entries = recent_entries(sitemap, self.cutoff)
        if sitemap.index:
            yield from filter(None, (self.child_request(entry.url) for entry in entries))
            return
        context.count(name, "found", len(entries))
        links: dict[str, dict[str, str]] = {}
        for entry in entries:
            links.setdefault(entry.url, entry.hints)
        yield from self.spider.article_requests(self.source, links)
