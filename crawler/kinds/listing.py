"""Kind `listing`: an index page whose item links match the source's `follow` selector.

With `next` (the next-page link's selector) and `pages`, later pages of the listing are read
too, newest first as listings are ordered, until `pages` have been read or a page lists nothing
the archive does not already hold (older pages then hold nothing new either). A next link to a
page already read this run ends the walk (some pagers link the last page back to the first), as
does one leading to another host, which is recorded as an error.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response, TextResponse

from crawler.config import SourceConfig
from crawler.kinds.base import SourceKind
from storage.urls import normalize

logger = logging.getLogger(__name__)


def _links(response: TextResponse, selector: str) -> list[str]:
    """The absolute web URLs of the links `selector` picks: each element is the <a> itself, or
    a block whose first link is taken."""
    links: dict[str, None] = {}
    for element in response.css(selector):
        hrefs = element.xpath("self::a/@href").getall() or element.css("a::attr(href)").getall()[:1]
        for href in hrefs:
            url = response.urljoin(href.strip())
            if url.startswith(("http://", "https://")):
                links.setdefault(url)
    return list(links)


class ListingKind(SourceKind):
    def __init__(self, spider: Any, source: SourceConfig) -> None:
        super().__init__(spider, source)
        self.visited = {normalize(source.url)}  # listing pages requested this run
        self.seen: set[str] = set()  # item links listed by earlier pages this run

    def parse(self, response: Response) -> Iterator[scrapy.Request]:
        page = response.meta.get("listing_page", 1)
        if page == 1 and self.spider.unchanged(response):
            return
        context, name = self.spider.context, self.source.name
        if not isinstance(response, TextResponse):
            context.error(name, response.url, "listing", "not an HTML page", fatal=page == 1)
            return
        links = [url for url in _links(response, self.source.follow or "") if url not in self.seen]
        self.seen.update(links)
        context.count(name, "found", len(links))
        if not links and page == 1:
            context.error(
                name,
                response.url,
                "listing",
                f"no links match {self.source.follow!r}: has the page's layout changed?",
            )
        requests = self.spider.article_requests(self.source, {url: {} for url in links})
        yield from requests
        if requests and page < (self.source.pages or 1):
            following = self.next_page(response, page + 1)
            if following is not None:
                yield following

    def next_page(self, response: TextResponse, page: int) -> scrapy.Request | None:
        """The request for the page `next` links to, unless there is none, it was read this run,
        or it is on another host."""
        name = self.source.name
        hrefs = _links(response, self.source.next or "")
        if not hrefs:
            return None
        url = hrefs[0]
        hosts = {urlsplit(self.source.url).hostname, urlsplit(response.url).hostname}
        if urlsplit(url).hostname not in hosts:
            self.spider.context.error(
                name, response.url, "listing", f"the next-page link leads to another site: {url}"
            )
            return None
        key = normalize(url)
        if key in self.visited:
            logger.info("%s: the next-page link of %s leads back to %s", name, response.url, url)
            return None
        self.visited.add(key)
        return scrapy.Request(
            url,
            callback=self.parse,
            errback=self.spider.page_failed,
            meta={"source": name, "listing_page": page},
        )
