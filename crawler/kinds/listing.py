"""Kind `listing`: an index page whose item links match the source's `follow` selector."""

from __future__ import annotations

from collections.abc import Iterator

import scrapy
from scrapy.http import Response, TextResponse

from crawler.kinds.base import SourceKind


class ListingKind(SourceKind):
    def parse(self, response: Response) -> Iterator[scrapy.Request]:
        if self.spider.unchanged(response):
            return
        context = self.spider.context
        if not isinstance(response, TextResponse):
            context.error(self.source.name, response.url, "listing", "not an HTML page", fatal=True)
            return
        links: dict[str, None] = {}
        for element in response.css(self.source.follow or ""):
            # The selector may point at the <a> itself or at a block that holds it.
            hrefs = (
                element.xpath("self::a/@href").getall() or element.css("a::attr(href)").getall()[:1]
            )
            for href in hrefs:
                url = response.urljoin(href.strip())
                if url.startswith(("http://", "https://")):
                    links.setdefault(url)
        context.count(self.source.name, "found", len(links))
        if not links:
            context.error(
                self.source.name,
                response.url,
                "listing",
                f"no links match {self.source.follow!r}: has the page's layout changed?",
            )
        yield from self.spider.article_requests(self.source, {url: {} for url in links})
