"""One crawl pass over a set of sources, in-process, recorded as a run in the archive."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from scrapy.crawler import AsyncCrawlerProcess, AsyncCrawlerRunner
from scrapy.settings import Settings
from sqlalchemy import Engine

from crawler.config import Config, SourceConfig
from crawler.context import CrawlContext, SourceLedger
from crawler.guard import install_resolver
from crawler.spider import ArchiveSpider
from crawler.workers import ExtractionPool, default_workers
from crawler.writer import Writer
from storage.archive import ensure_source
from storage.owners import process_owner
from storage.runs import COUNTERS, finish_run, finish_source_run, start_run, start_source_run
from storage.schedule import (
    acquire_lease,
    release_lease,
    save_validators,
    source_validators,
)
from storage.snapshots import SnapshotWriter

logger = logging.getLogger(__name__)

MIB = 1024 * 1024


@dataclass(frozen=True)
class SourceSummary:
    """How one source's run went: its outcome and its counters (`storage.runs.COUNTERS`)."""

    name: str
    # ok | failed | blocked (the site refused it) | interrupted | busy (another process had it)
    status: str
    counts: dict[str, int]

    @classmethod
    def busy(cls, name: str) -> SourceSummary:
        return cls(name, "busy", dict.fromkeys(COUNTERS, 0))


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
            # Both would let local processes run code inside the crawl (Scrapy 2.19 enables its
            # remote-control HTTP server by default, and writes its token to the home folder).
            "TELNETCONSOLE_ENABLED": False,
            "REMOTE_CONTROL_ENABLED": False,
            "LOG_LEVEL": "WARNING",
            "LOG_INSTALL_ROOT_HANDLER": False,  # the CLI configures logging
            # The spider logs each failure once, a warning with its URL, as it records it;
            # Scrapy's own lines about the same failure drop below WARNING.
            "LOG_FORMATTER": "crawler.logformatter.LogFormatter",
            "RETRY_GIVE_UP_LOG_LEVEL": "DEBUG",
            "DEFAULT_DROPITEM_LOG_LEVEL": "DEBUG",
            "AMUR_ALLOW_PRIVATE_ADDRESSES": network.allow_private_addresses,
            # The address guard is the name resolver: it checks the address connected to.
            "TWISTED_DNS_RESOLVER": "crawler.guard.GuardedResolver",
            # Low numbers: requests pass them first, responses last (after redirects are
            # followed and bodies decompressed). The guard's middleware comes just above
            # Retry (550), which therefore never retries a refused request.
            # Refusals are told after Revalidation has read a 429's Retry-After; a source's
            # fetch options come after Scrapy's default headers, which they replace.
            "DOWNLOADER_MIDDLEWARES": {
                "crawler.guard.PrivateAddressGuard": 555,
                "crawler.revalidate.Revalidation": 60,
                "crawler.blocking.BlockDetection": 50,
                "crawler.impersonate.FetchOptions": 595,
            },
            # Requests of `fetch: impersonate` sources go through curl_cffi, the rest as before.
            "DOWNLOAD_HANDLERS": IMPERSONATE_HANDLERS
            if any(source.fetch == "impersonate" for source in config.sources)
            else {},
            "ITEM_PIPELINES": {
                "crawler.pipelines.ExtractPipeline": 100,
                "crawler.pipelines.RelevancePipeline": 200,
                "crawler.pipelines.StorePipeline": 300,
            },
            "EXTENSIONS": {
                "crawler.progress.Progress": 500,
                # Off above; removed too, so their modules (aiohttp for one) are not imported.
                "scrapy.extensions.remote_control.RemoteControl": None,
                "scrapy.extensions.telnet.TelnetConsole": None,
            },
        }
    )


IMPERSONATE_HANDLERS = {
    "http": "crawler.impersonate.GuardedImpersonateHandler",
    "https": "crawler.impersonate.GuardedImpersonateHandler",
}
LEASE_SECONDS = 6 * 3600  # longer than any sane crawl; a dead holder is detected sooner


@dataclass
class Run:
    """A crawl run in progress: its record, its shared context, and the sources it skipped."""

    run_id: int
    context: CrawlContext
    busy: list[str]
    owns_pool: bool = True  # False when pool and writer outlive the run (the service's worker)


def open_run(
    engine: Engine,
    config: Config,
    sources: Sequence[SourceConfig],
    trigger: str,
    workers: int | None,
    pool: ExtractionPool | None = None,
    writer: Writer | None = None,
    snapshots: SnapshotWriter | None = None,
) -> Run:
    """Record a new run and lease its sources; a source another process is crawling is skipped.

    Extraction runs in `pool`, database work on `writer` and raw responses go to `snapshots`
    when given (all kept open after the run), else to a pool, a thread and files of the run's
    own.
    """
    owner = process_owner()
    # Sources first: one the archive holds as another kind fails here, before a run is opened.
    ids = {
        source.name: ensure_source(engine, source.name, source.kind, source.url)
        for source in sources
    }
    run_id = start_run(engine, trigger, owner)
    ledgers: dict[str, SourceLedger] = {}
    busy: list[str] = []
    try:
        for source in sources:
            source_id = ids[source.name]
            if not acquire_lease(engine, source_id, owner, LEASE_SECONDS):
                logger.warning("%s: another process is crawling it, skipped", source.name)
                busy.append(source.name)
                continue
            ledger = SourceLedger(source, source_id, 0)
            ledgers[source.name] = ledger  # leased: released below if the rest fails
            ledger.source_run_id = start_source_run(engine, run_id, source_id)
            ledger.seen = source_validators(engine, source_id)
    except BaseException:
        # A long-lived worker outlives this: nothing it opened may stay open or leased.
        for ledger in ledgers.values():
            if ledger.source_run_id:
                finish_source_run(engine, ledger.source_run_id, "interrupted", {})
            release_lease(engine, ledger.source_id, owner)
        finish_run(engine, run_id, "interrupted")
        raise
    shared = pool is not None and writer is not None and snapshots is not None
    if pool is None or writer is None or snapshots is None:
        pool = ExtractionPool(default_workers() if workers is None else workers)
        writer = Writer()
        snapshots = SnapshotWriter(config.snapshots)
    context = CrawlContext(engine, config, ledgers, pool, writer, snapshots)
    return Run(run_id, context, busy, owns_pool=not shared)


def close_run(engine: Engine, run: Run) -> list[SourceSummary]:
    """Record each source's outcome, save validators of sources that went through, release."""
    complete = run.context.close_reason == "finished"
    owner = process_owner()
    summaries = []
    for ledger in run.context.ledgers.values():
        counts = run.context.counts(ledger.source.name)
        if not complete:
            source_status = "interrupted"
        elif ledger.blocked and (ledger.failed or not counts["fetched"]):
            source_status = "blocked"  # refused, and nothing else read it
        else:
            source_status = "failed" if ledger.failed else "ok"
        # Only a source read in full may skip its unchanged URLs next time.
        if complete and not counts["errors"]:
            for url, seen in ledger.validators.items():
                save_validators(engine, ledger.source_id, url, seen)
        finish_source_run(engine, ledger.source_run_id, source_status, counts)
        release_lease(engine, ledger.source_id, owner)
        summaries.append(SourceSummary(ledger.source.name, source_status, counts))
    summaries += [SourceSummary.busy(name) for name in run.busy]
    finish_run(engine, run.run_id, "ok" if complete else "interrupted")
    return summaries


def run_crawl(
    engine: Engine,
    config: Config,
    sources: Sequence[SourceConfig],
    *,
    trigger: str = "crawl",
    workers: int | None = None,
) -> list[SourceSummary]:
    """Crawl `sources` once and record the run; returns a summary per source.

    Runs a Twisted reactor, which cannot be restarted: call it once per process. SIGTERM or
    SIGINT stop it gracefully: requests in flight finish, the run is recorded as interrupted.
    """
    run = open_run(engine, config, sources, trigger, workers)
    try:
        if run.context.ledgers:
            process = AsyncCrawlerProcess(scrapy_settings(config))
            process.crawl(ArchiveSpider, context=run.context)
            process.start()
        else:
            run.context.close_reason = "finished"
    finally:
        summaries = finish_run_here(engine, run)
    return summaries


async def run_crawl_async(
    runner: AsyncCrawlerRunner,
    engine: Engine,
    config: Config,
    sources: Sequence[SourceConfig],
    *,
    trigger: str = "serve",
    workers: int | None = 0,
    pool: ExtractionPool | None = None,
    writer: Writer | None = None,
    snapshots: SnapshotWriter | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> list[SourceSummary]:
    """The same pass inside a reactor that is already running (one runner, many crawls).

    Recording the run's start and end goes through `writer` too, so that other crawls of the
    same reactor keep going meanwhile. A run `cancelled` while it was being opened (the worker
    is stopping) is recorded as interrupted without crawling.
    """
    if writer is None:
        run = open_run(engine, config, sources, trigger, workers, pool)
    else:
        run = await writer.call(
            open_run, engine, config, sources, trigger, workers, pool, writer, snapshots
        )
    try:
        if cancelled():
            run.context.close_reason = "shutdown"
        elif run.context.ledgers:
            install_resolver(runner)
            await runner.crawl(ArchiveSpider, context=run.context)
        else:
            run.context.close_reason = "finished"
    finally:
        if run.owns_pool:
            summaries = finish_run_here(engine, run)
        else:  # behind the run's own writes, which the single writer thread did first
            summaries = await run.context.writer.call(close_run, engine, run)
    return summaries


def finish_run_here(engine: Engine, run: Run) -> list[SourceSummary]:
    """Wait for the run's writes, close its record, and shut its own pool, writer and files."""
    run.context.writer.flush()
    try:
        return close_run(engine, run)
    finally:
        run.context.pool.close()
        run.context.writer.close()
        run.context.snapshots.close()
