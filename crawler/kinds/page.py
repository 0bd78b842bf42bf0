"""Kind `page`: one page, fetched every run so that changes become revisions."""

from __future__ import annotations

from collections.abc import Iterator

import scrapy

from crawler.kinds.base import SourceKind


class PageKind(SourceKind):
    def requests(self) -> Iterator[scrapy.Request]:
        request = self.spider.entry_request(self.source, self.spider.parse_page)
        request.meta["link"] = self.source.url
        yield request
