"""How Scrapy's own log lines read in amur: one line per failure, never an item's repr.

Every failure of a request, a callback or a pipeline is recorded against its source by the
spider, which logs it as one WARNING line with the URL (`CrawlContext.error`). Scrapy logs the
same failures again, at ERROR and with a traceback; here those lines drop to INFO, so they show
with -v, where a traceback is wanted, and nowhere else: through Scrapy's LOG_FORMATTER where it
is used, and through a filter on the few components that log a failure before raising it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin

from scrapy import logformatter
from scrapy.crawler import Crawler


class LogFormatter(logformatter.LogFormatter):
    """Scrapy's messages, below WARNING where the spider has recorded the failure itself."""

    def dropped(self, item: Any, exception: BaseException, response: Any, spider: Any) -> Any:
        # A dropped page was recorded where it was dropped; the item (its body, its text) is
        # left out of the line. The level is Scrapy's: DEFAULT_DROPITEM_LOG_LEVEL.
        result = super().dropped(item, exception, response, spider)
        return {**result, "msg": "Dropped: %(exception)s", "args": {"exception": exception}}

    def item_error(self, item: Any, exception: BaseException, response: Any, spider: Any) -> Any:
        url = getattr(item, "url", None) or type(item).__name__
        return {"level": logging.INFO, "msg": "Error processing %(url)s", "args": {"url": url}}

    def spider_error(self, failure: Any, request: Any, response: Any, spider: Any) -> Any:
        return {**super().spider_error(failure, request, response, spider), "level": logging.INFO}

    def download_error(
        self, failure: Any, request: Any, spider: Any, errmsg: str | None = None
    ) -> Any:
        result = super().download_error(failure, request, spider, errmsg)
        return {**result, "level": logging.INFO}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LogFormatter:
        for name, demoted in DEMOTED.items():
            logging.getLogger(name).addFilter(demoted)  # added only if not there yet
        return cls()


class Demoted(logging.Filter):
    """Scrapy's own warning about a failure the spider records too, demoted to one INFO line.

    Some components log a failure themselves before raising it, bypassing LOG_FORMATTER; the
    record is recognised by a phrase of Scrapy's message (should the wording change, the line
    shows as a warning again, nothing is lost).
    """

    def __init__(self, *phrases: str) -> None:
        super().__init__()
        self.phrases = phrases

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING and any(p in str(record.msg) for p in self.phrases):
            self.rewrite(record)
            record.levelno, record.levelname = logging.INFO, logging.getLevelName(logging.INFO)
            record.exc_info = record.exc_text = None
        return True

    def rewrite(self, record: logging.LogRecord) -> None:
        """Change the message if Scrapy's says something misleading out of its context."""


class RobotsTxtError(Demoted):
    """Scrapy's RobotsTxtMiddleware logs a robots.txt it could not fetch at ERROR, with the
    traceback and the URL of the page that asked for it, then fetches the site's pages as if
    robots.txt allowed everything. The failure that matters is the page's own (a host that
    does not resolve fails both), recorded against its source; this is a note about the site.
    """

    def rewrite(self, record: logging.LogRecord) -> None:
        args = record.args if isinstance(record.args, Mapping) else {}
        url = getattr(args.get("request"), "url", None)
        error = record.exc_info[1] if record.exc_info else args.get("f_exception")
        record.msg = "%s could not be fetched (%s); the site is crawled as if it allowed all"
        record.args = (urljoin(url, "/robots.txt") if url else "robots.txt", error)


# Scrapy loggers whose lines about a failed request repeat what the spider records.
DEMOTED: dict[str, Demoted] = {
    "scrapy.downloadermiddlewares.robotstxt": RobotsTxtError("Error downloading"),
    "scrapy.core.downloader.handlers.http11": Demoted(
        "larger than download max size", "Got data loss in"
    ),
    "scrapy.downloadermiddlewares.httpcompression": Demoted("exceeded DOWNLOAD_MAXSIZE"),
}
