"""The state one crawl shares between its spider, pipelines and extensions.

Scrapy deep-copies settings, so live objects (the database engine, the run ledger) travel as
this one object, handed to the spider; components reach it through `crawler.spider.context`.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Self

from scrapy.crawler import Crawler
from sqlalchemy import Engine

from crawler.config import Config, SourceConfig
from crawler.workers import ExtractionPool
from crawler.writer import Writer
from storage.runs import record_error
from storage.schedule import Validators

logger = logging.getLogger(__name__)


@dataclass
class SourceLedger:
    """Counts and failures of one source in one run."""

    source: SourceConfig
    source_id: int
    source_run_id: int
    # fetched, new, duplicates, irrelevant, errors, and `known` (links skipped, already held)
    counts: Counter[str] = field(default_factory=Counter)
    # Set when the source's own entry point (feed, listing, page) could not be read.
    failed: bool = False
    # Validators of the source's own URLs, saved only once the whole run went through.
    validators: dict[str, Validators] = field(default_factory=dict)


@dataclass
class CrawlContext:
    engine: Engine
    config: Config
    ledgers: dict[str, SourceLedger]
    pool: ExtractionPool
    # Database work off the reactor thread (`crawler.writer`).
    writer: Writer
    # Why the spider closed: "finished" after a full pass, "shutdown" on SIGTERM/SIGINT.
    close_reason: str | None = None

    def count(self, source: str, counter: str, by: int = 1) -> None:
        self.ledgers[source].counts[counter] += by

    def error(
        self, source: str, url: str | None, kind: str, message: str, *, fatal: bool = False
    ) -> None:
        """Record a failure against `source` and carry on with the others."""
        ledger = self.ledgers[source]
        ledger.counts["errors"] += 1
        ledger.failed = ledger.failed or fatal
        logger.warning("%s: %s %s: %s", source, kind, url, message)
        self.writer.submit(record_error, self.engine, ledger.source_run_id, url, kind, message)


class Component:
    """Base of amur's Scrapy components: built with `from_crawler`, they reach the crawl's
    shared context through the spider (Scrapy deep-copies settings, so it cannot go there)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    @property
    def context(self) -> CrawlContext:
        return self.crawler.spider.context  # type: ignore[union-attr, no-any-return]
