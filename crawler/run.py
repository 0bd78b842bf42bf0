"""One crawl pass over a set of sources, in-process, recorded as a run in the archive."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from scrapy.crawler import AsyncCrawlerProcess
from scrapy.settings import Settings
from sqlalchemy import Engine

from crawler.config import Config, SourceConfig
from crawler.context import CrawlContext, SourceLedger
from crawler.spider import ArchiveSpider
from crawler.workers import ExtractionPool, default_workers
from storage.archive import ensure_source
from storage.runs import finish_run, finish_source_run, start_run, start_source_run

logger = logging.getLogger(__name__)

MIB = 1024 * 1024


@dataclass(frozen=True)
class SourceSummary:
    name: str
    status: str  # ok | failed
    fetched: int
    new: int
    duplicates: int
    irrelevant: int
    errors: int
    known: int
    revised: int


def scrapy_settings(config: Config) -> Settings:
    """Scrapy settings from the config: politeness, limits, and amur's components."""
    network = config.network
    return Settings(
        {
            "BOT_NAME": "amur",
            "USER_AGENT": network.user_agent,
            "ROBOTSTXT_OBEY": True,
            "DOWNLOAD_DELAY": network.download_delay,
            "CONCURRENT_REQUESTS": 16,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 4,
            "DOWNLOAD_TIMEOUT": network.timeout,
            # Scrapy applies the limit to the decompressed body too: a compression bomb fails.
            "DOWNLOAD_MAXSIZE": int(network.max_body_mb * MIB),
            "DOWNLOAD_WARNSIZE": 0,
            "REDIRECT_MAX_TIMES": 10,
            "RETRY_TIMES": 1,
            "COOKIES_ENABLED": False,
            "TELNETCONSOLE_ENABLED": False,
            "LOG_LEVEL": "WARNING",
            "AMUR_ALLOW_PRIVATE_ADDRESSES": network.allow_private_addresses,
            "DOWNLOADER_MIDDLEWARES": {"crawler.guard.PrivateAddressGuard": 50},
            "ITEM_PIPELINES": {
                "crawler.pipelines.ExtractPipeline": 100,
                "crawler.pipelines.RelevancePipeline": 200,
                "crawler.pipelines.StorePipeline": 300,
            },
            "EXTENSIONS": {"crawler.progress.Progress": 500},
        }
    )


def run_crawl(
    engine: Engine,
    config: Config,
    sources: Sequence[SourceConfig],
    *,
    trigger: str = "crawl",
    workers: int | None = None,
) -> list[SourceSummary]:
    """Crawl `sources` once and record the run; returns a summary per source.

    Runs a Twisted reactor, which cannot be restarted: call it once per process.
    """
    run_id = start_run(engine, trigger)
    ledgers = {}
    for source in sources:
        source_id = ensure_source(engine, source.name, source.kind, source.url)
        ledgers[source.name] = SourceLedger(source, start_source_run(engine, run_id, source_id))
    pool = ExtractionPool(default_workers() if workers is None else workers)
    context = CrawlContext(engine=engine, config=config, ledgers=ledgers, pool=pool)
    status = "failed"
    try:
        process = AsyncCrawlerProcess(scrapy_settings(config), install_root_handler=False)
        process.crawl(ArchiveSpider, context=context)
        process.start()
        status = "ok"
    finally:
        pool.close()
        summaries = []
        for ledger in ledgers.values():
            source_status = "failed" if ledger.failed else "ok"
            finish_source_run(engine, ledger.source_run_id, source_status, dict(ledger.counts))
            counts = ledger.counts
            summaries.append(
                SourceSummary(
                    name=ledger.source.name,
                    status=source_status,
                    fetched=counts["fetched"],
                    new=counts["new"],
                    duplicates=counts["duplicates"],
                    irrelevant=counts["irrelevant"],
                    errors=counts["errors"],
                    known=counts["known"],
                    revised=counts["revised"],
                )
            )
        finish_run(engine, run_id, status)
    return summaries
