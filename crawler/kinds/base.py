"""The base every source kind builds on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import scrapy
from scrapy.http import Response

from crawler.config import SourceConfig
from crawler.items import PageItem

if TYPE_CHECKING:
    from crawler.spider import ArchiveSpider


class SourceKind:
    """Base of the source kinds; subclasses say how a source's own URL is read."""

    def __init__(self, spider: ArchiveSpider, source: SourceConfig) -> None:
        self.spider = spider
        self.source = source

    def requests(self) -> Iterator[scrapy.Request]:
        """The source's own URL, read by the kind's `parse`."""
        yield self.spider.entry_request(self.source, self.parse)

    def parse(self, response: Response) -> Iterator[scrapy.Request | PageItem]:
        raise NotImplementedError
