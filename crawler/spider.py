"""One spider for every source of a run, so all sources share one downloader.

Sharing the downloader is what makes `download_delay` a per-host delay across sources: two
sources on one host queue in the same download slot. Each source kind (`crawler.kinds`) turns
its config entry into requests; this module holds what they share: the article request that
skips URLs the archive already holds, the page callback, and turning failures into records.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.blocking import Blocked
from crawler.config import SourceConfig
from crawler.context import CrawlContext
from crawler.items import PageItem
from crawler.snapshots import raw_response
from storage.archive import known_urls, now

logger = logging.getLogger(__name__)


def describe_failure(failure: Failure) -> tuple[str, str]:
    """A short kind and message for a failed request, as they are recorded and shown."""
    error = failure.value
    if isinstance(error, HttpError):
        status = error.response.status
        return f"http-{status}", f"HTTP {status} from {error.response.url}"
    if isinstance(error, CannotResolveHostError):
        return "dns", f"cannot resolve host: {error}"
    if isinstance(error, DownloadTimeoutError):
        return "timeout", str(error) or "request timed out"
    if isinstance(error, DownloadConnectionRefusedError):
        return "connection", f"connection refused: {error}"
    if isinstance(error, DownloadCancelledError):
        # Scrapy cancels a download whose body passes DOWNLOAD_MAXSIZE.
        return "too-large", str(error) or "download cancelled (body too large?)"
    if isinstance(error, ResponseDataLossError):
        return "truncated", str(error) or "the response ended before its declared length"
    if isinstance(error, Blocked):
        return "blocked", str(error)
    if isinstance(error, IgnoreRequest):
        return "refused", str(error) or "request refused"
    return type(error).__name__.lower(), str(error) or type(error).__name__


class ArchiveSpider(scrapy.Spider):
    name = "amur"

    def __init__(self, context: CrawlContext, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.context = context

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ArchiveSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.opened, signal=signals.spider_opened)
        # A crash in a callback or a pipeline (a database error, a broken worker pool) is
        # recorded against its source like any failure: the run then does not count as clean,
        # so its validators are not saved and the page is fetched in full next time.
        crawler.signals.connect(spider.item_failed, signal=signals.item_error)
        crawler.signals.connect(spider.callback_failed, signal=signals.spider_error)
        return spider  # type: ignore[return-value]

    def opened(self) -> None:
        """The crawl's stats collector exists from here on: the counters live there."""
        assert self.crawler.stats is not None
        self.context.stats = self.crawler.stats

    def item_failed(self, item: PageItem, response: Response | None, failure: Failure) -> None:
        kind = type(failure.value).__name__.lower()
        self.context.error(item.source, item.url, kind, str(failure.value) or kind)

    def callback_failed(self, failure: Failure, response: Response | None) -> None:
        kind = type(failure.value).__name__.lower()
        if response is None:  # not a page's callback: nothing tells which source it hit
            for name in self.context.ledgers:
                self.context.error(name, None, kind, str(failure.value) or kind, fatal=True)
            return
        source = response.meta.get("source")
        if source in self.context.ledgers:
            self.context.error(source, response.url, kind, str(failure.value) or kind)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        from crawler.kinds import KINDS

        for ledger in self.context.ledgers.values():
            name = ledger.source.name
            try:  # a source whose first requests cannot be built fails alone
                requests = list(KINDS[ledger.source.kind](self, ledger.source).requests())
            except Exception as err:
                logger.debug("%s: its requests could not be built", name, exc_info=True)
                self.context.error(name, ledger.source.url, "start", str(err), fatal=True)
                continue
            for request in requests:
                yield request

    def entry_request(self, source: SourceConfig, callback: Any) -> scrapy.Request:
        """The request for a source's own URL; its failure fails the source's run.

        It is revalidated (`crawler.revalidate`): callbacks start with `unchanged()`.
        """
        return scrapy.Request(
            source.url,
            callback=callback,
            errback=self.entry_failed,
            meta={"source": source.name, "revalidate": True},
            dont_filter=True,
        )

    def unchanged(self, response: Response) -> bool:
        """Whether a source's own URL is as it was (a 304 or the same body): nothing to do.

        Otherwise its validators are kept, to be saved when the run has gone through.
        """
        source = response.meta["source"]
        if response.meta.get("unchanged"):
            self.context.count(source, "unchanged")
            return True
        if response.meta.get("validators") is not None:
            key = response.meta["revalidate_key"]
            self.context.ledgers[source].validators[key] = response.meta["validators"]
        return False

    def closed(self, reason: str) -> None:
        self.context.close_reason = reason

    def article_requests(
        self, source: SourceConfig, links: dict[str, dict[str, str]]
    ) -> list[scrapy.Request]:
        """Requests for the articles `links` names (URL: feed hints), but those already held.

        The archive is asked about all of them at once: one query per feed or listing.
        """
        known = known_urls(self.context.engine, list(links))
        if known:
            self.context.count(source.name, "known", len(known))
        fresh = [url for url in links if url not in known]
        if fresh:
            self.context.pool.warm()  # the extraction workers start while the pages download
        return [
            scrapy.Request(
                url,
                callback=self.parse_page,
                errback=self.page_failed,
                meta={"source": source.name, "link": url, "hints": links[url]},
            )
            for url in fresh
        ]

    def parse_page(self, response: Response) -> PageItem | None:
        """Hand a fetched page to the item pipelines."""
        source = response.meta["source"]
        if response.meta.get("revalidate"):  # a `page` source's own URL
            if self.unchanged(response):
                return None
            self.context.count(source, "found")
        self.context.count(source, "fetched")
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        if not isinstance(response, TextResponse):
            self.context.error(
                source, response.url, "not-html", f"not a text page ({content_type or 'no type'})"
            )
            return None
        links = [response.meta.get("link"), *response.meta.get("redirect_urls", [])]
        aliases = tuple(url for url in links if url and url != response.url)
        hints, fetched = response.meta.get("hints", {}), now()
        return PageItem(
            source=source,
            url=response.url,
            # The raw body: decoding happens in the extraction worker (see crawler.workers).
            body=response.body,
            content_type=content_type,
            fetched=fetched,
            aliases=aliases,
            hints=hints,
            snapshot=raw_response(
                response, "page", fetched=fetched, source=source, hints=hints, aliases=list(aliases)
            ),
        )

    def entry_failed(self, failure: Failure) -> None:
        kind, message = describe_failure(failure)
        request = failure.request  # type: ignore[attr-defined]
        self.context.error(request.meta["source"], request.url, kind, message, fatal=True)

    def page_failed(self, failure: Failure) -> None:
        kind, message = describe_failure(failure)
        request = failure.request  # type: ignore[attr-defined]
        self.context.error(request.meta["source"], request.url, kind, message)
