"""The state one crawl shares between its spider, pipelines and extensions.

Scrapy deep-copies settings, so live objects (the database engine, the run ledger) travel as
this one object, handed to the spider; components reach it through `crawler.spider.context`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Self

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector
from sqlalchemy import Engine

from crawler.config import Config, SourceConfig
from crawler.workers import ExtractionPool
from crawler.writer import Writer
from storage.runs import COUNTERS, record_error
from storage.schedule import Validators
from storage.snapshots import SnapshotWriter

logger = logging.getLogger(__name__)


def stat_name(counter: str, source: str) -> str:
    """The stats collector's key for a counter of a source (`amur/new/telegraph`)."""
    return f"amur/{counter}/{source}"


@dataclass
class SourceLedger:
    """Counts and failures of one source in one run."""

    source: SourceConfig
    source_id: int
    source_run_id: int
    # Set when the source's own entry point (feed, listing, page) could not be read.
    failed: bool = False
    # Set when the site refused a fetch (`crawler.blocking`): a 403 or a challenge page.
    blocked: bool = False
    # Validators of the source's own URLs, saved only once the whole run went through.
    validators: dict[str, Validators] = field(default_factory=dict)
    # What the last complete run saw at those URLs, read when the run opened (no database
    # lookup on the reactor thread per request).
    seen: dict[str, Validators] = field(default_factory=dict)


@dataclass
class CrawlContext:
    engine: Engine
    config: Config
    ledgers: dict[str, SourceLedger]
    pool: ExtractionPool
    # Database work off the reactor thread (`crawler.writer`).
    writer: Writer
    # The raw responses of new documents and revisions, written on the writer thread.
    snapshots: SnapshotWriter
    # Why the spider closed: "finished" after a full pass, "shutdown" on SIGTERM/SIGINT.
    close_reason: str | None = None
    # The crawl's stats collector, where the counters live (set when the spider is built).
    stats: StatsCollector | None = None

    def count(self, source: str, counter: str, by: int = 1) -> None:
        """Add to one of `storage.runs.COUNTERS` of `source`, in Scrapy's stats collector."""
        assert counter in COUNTERS, counter
        assert self.stats is not None, "counted before the crawl started"
        self.stats.inc_value(stat_name(counter, source), by)

    def counts(self, source: str) -> dict[str, int]:
        """Every counter of `source` so far (zeros before the crawl started)."""
        if self.stats is None:
            return dict.fromkeys(COUNTERS, 0)
        return {name: self.stats.get_value(stat_name(name, source), 0) for name in COUNTERS}

    def error(
        self, source: str, url: str | None, kind: str, message: str, *, fatal: bool = False
    ) -> None:
        """Record a failure against `source` and carry on with the others."""
        ledger = self.ledgers[source]
        self.count(source, "errors")
        ledger.failed = ledger.failed or fatal
        ledger.blocked = ledger.blocked or kind == "blocked"
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
