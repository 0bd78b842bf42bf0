"""A one-line progress display on stderr while a crawl runs, only when stderr is a terminal."""

from __future__ import annotations

import sys
import time
from collections import Counter

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

REFRESH_SECONDS = 0.2


class Progress:
    """Scrapy extension: redraws the totals over all sources as pages arrive."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.last = 0.0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        if not sys.stderr.isatty():
            raise NotConfigured
        extension = cls(crawler)
        crawler.signals.connect(extension.redraw, signal=signals.response_received)
        crawler.signals.connect(extension.redraw, signal=signals.item_scraped)
        crawler.signals.connect(extension.finish, signal=signals.spider_closed)
        return extension

    def _line(self) -> str:
        context = self.crawler.spider.context  # type: ignore[union-attr]
        ledgers = context.ledgers
        total: Counter[str] = Counter()
        for name in ledgers:
            total.update(context.counts(name))
        return (
            f"crawling {len(ledgers)} source(s): {total['fetched']} fetched, {total['new']} new, "
            f"{total['duplicates']} duplicates, {total['irrelevant']} not relevant, "
            f"{total['errors']} errors"
        )

    def redraw(self) -> None:
        now = time.monotonic()
        if now - self.last >= REFRESH_SECONDS:
            self.last = now
            sys.stderr.write("\r\033[K" + self._line())
            sys.stderr.flush()

    def finish(self) -> None:
        sys.stderr.write("\r\033[K")
        sys.stderr.flush()
