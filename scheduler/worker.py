"""The crawl worker of `amur serve`: one long-lived process, one reactor, many crawls.

A fresh interpreter per crawl costs about two CPU seconds before the first request, which is
the whole cost of asking an unchanged feed whether it changed. This process pays start-up once:
it keeps one Twisted reactor and one `AsyncCrawlerRunner` and runs each task through
`crawler.run.run_crawl_async`. Tasks that arrive together (sources due at the same moment) go
into one crawl, as `amur crawl A B C` would, so one spider and one set of middlewares serve
them all; at most `concurrency` crawls run at once, and what arrives meanwhile waits for the
next free slot and then goes in as one batch.

It reads `scheduler.tasks.Task` lines on stdin and answers `Done` lines on stdout (logs go to
stderr). `drain` or the end of stdin finish what is in flight and exit; `stop` or SIGTERM stop
crawls at once (each is recorded as interrupted) and exit. It dies with its parent
(`crawler.lifeline`). The supervising service (`scheduler.service`) recycles it by runs and
memory, and restarts it after a crash.

    python -m scheduler.worker --config config.yaml [--concurrency 4]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import BinaryIO

from scrapy.crawler import AsyncCrawlerRunner
from scrapy.utils.reactor import install_reactor
from sqlalchemy import Engine

from crawler.config import Config, load_config
from crawler.exceptions import AmurError
from crawler.lifeline import watch_parent
from crawler.run import run_crawl_async, scrapy_settings
from crawler.workers import ExtractionPool, default_workers
from crawler.writer import Writer
from scheduler.tasks import CONFIG_ENV, Done, Task
from storage.database import open_archive
from storage.errors import StorageError
from storage.snapshots import SnapshotWriter

logger = logging.getLogger(__name__)

# Tasks that arrive within this many seconds of each other go into one crawl.
BATCH_SECONDS = 0.05
# Extraction processes are stopped after this long without a page to extract.
POOL_IDLE_SECONDS = 60.0
# Seconds an orphaned worker gets to record its crawls as interrupted before it exits anyway.
ORPHAN_GRACE_SECONDS = 10.0


def rss_kb() -> int:
    """This process's resident memory."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Worker:
    """Runs crawl tasks on the reactor's event loop and answers each one."""

    def __init__(self, engine: Engine, config: Config, concurrency: int, out: BinaryIO) -> None:
        self.engine = engine
        self.config = config
        self.concurrency = concurrency
        self.out = out
        self.runner = AsyncCrawlerRunner(scrapy_settings(config))
        # Shared by every crawl of this worker: extraction processes (started on the first
        # page to extract) and the one thread that writes to the database.
        self.pool = ExtractionPool(default_workers())
        self.writer = Writer()
        self.snapshots = SnapshotWriter(config.snapshots)
        self.pending: list[Task] = []
        self.busy: set[str] = set()  # sources in a running crawl
        self.running = 0
        self.runs = 0
        self.closing: str | None = None  # "drain" or "stop"
        self.flush_scheduled = False
        self.loop = asyncio.get_event_loop()
        self.finished = asyncio.Event()

    def reply(self, done: Done) -> None:
        """Answer a task; with nobody left to read (the service is gone) the answer is dropped."""
        try:
            self.out.write(done.encode())
            self.out.flush()
        except (BrokenPipeError, ValueError, OSError):
            logger.debug("task %d: nobody reads the answer", done.id)

    def accept(self, task: Task) -> None:
        if task.op == "crawl":
            if self.closing:
                self.reply(Done(task.id, error="the worker is shutting down", runs=self.runs))
                return
            self.pending.append(task)
            if not self.flush_scheduled:
                self.flush_scheduled = True
                self.loop.call_later(BATCH_SECONDS, self.flush)
        elif task.op == "drain":
            self.closing = self.closing or "drain"
            self.flush()
        elif task.op == "stop":
            self.stop()

    def stop(self) -> None:
        """Stop every crawl now (recorded as interrupted) and refuse what is waiting."""
        if self.closing == "stop":
            return
        self.closing = "stop"
        refused, self.pending = self.pending, []
        self.loop.create_task(self.runner.stop())
        self.maybe_finish()
        for task in refused:
            self.reply(Done(task.id, error="the worker stopped", runs=self.runs))

    def flush(self) -> None:
        """Start one crawl with every waiting task whose sources no running crawl holds.

        Such a source waits: a lease held by this process would let a second crawl in.
        """
        self.flush_scheduled = False
        if self.pending and self.running < self.concurrency and self.closing != "stop":
            batch, waiting = [], []
            for task in self.pending:
                free = self.busy.isdisjoint(task.sources)
                (batch if free else waiting).append(task)
            self.pending = waiting
            if batch:
                self.running += 1
                self.loop.create_task(self.crawl(batch))
        self.maybe_finish()

    async def crawl(self, batch: list[Task]) -> None:
        known = {source.name for source in self.config.sources}
        unknown = [task for task in batch if not known.issuperset(task.sources)]
        for task in unknown:  # a task names a source this worker's config lacks: it alone fails
            missing = ", ".join(sorted(set(task.sources) - known))
            self.reply(Done(task.id, error=f"no source named {missing}", runs=self.runs))
        batch = [task for task in batch if task not in unknown]
        names = list(dict.fromkeys(name for task in batch for name in task.sources))
        self.busy.update(names)
        try:
            sources = [self.config.source(name) for name in names]
            summaries = await run_crawl_async(
                self.runner,
                self.engine,
                self.config,
                sources,
                trigger="serve",
                pool=self.pool,
                writer=self.writer,
                snapshots=self.snapshots,
                cancelled=lambda: self.closing == "stop",
            )
        except Exception as err:  # a crash must not take the other crawls down
            logger.exception("crawl of %s failed", ", ".join(names))
            error = f"{type(err).__name__}: {err}"
            self.runs += 1
            for task in batch:
                self.reply(Done(task.id, error=error, runs=self.runs, rss_kb=rss_kb()))
        else:
            self.runs += 1
            by_name = {summary.name: asdict(summary) for summary in summaries}
            memory = rss_kb()
            for task in batch:
                found = [by_name[name] for name in task.sources if name in by_name]
                self.reply(Done(task.id, found, runs=self.runs, rss_kb=memory))
        finally:
            self.running -= 1
            self.busy.difference_update(names)
            self.flush()

    def maybe_finish(self) -> None:
        if self.closing and not self.running and not self.pending:
            self.finished.set()


def read_tasks(stream: BinaryIO, worker: Worker) -> None:
    """Hand each line of `stream` to the worker on its loop; the end of input drains it."""
    call = worker.loop.call_soon_threadsafe
    for line in stream:
        if not line.strip():
            continue
        try:
            task = Task.decode(line)
        except (ValueError, KeyError, TypeError) as err:
            logger.error("unreadable task %r: %s", line[:200], err)
            continue
        call(worker.accept, task)
    call(worker.accept, Task("drain"))


async def serve_tasks(worker: Worker, tasks: BinaryIO) -> None:
    threading.Thread(target=read_tasks, args=(tasks, worker), name="tasks", daemon=True).start()
    while not worker.finished.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(worker.finished.wait(), POOL_IDLE_SECONDS / 2)
        if worker.pool.close_if_idle(POOL_IDLE_SECONDS):
            logger.info("extraction processes stopped after %.0f s idle", POOL_IDLE_SECONDS)
    worker.pool.close()
    worker.writer.close()
    worker.snapshots.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scheduler.worker", description=__doc__)
    parser.add_argument("--config", type=Path, required=True, help="read unless handed over")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument(
        "--parent", type=int, default=None, help="exit when this process is gone (the service)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=args.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # amur's own lines at the service's level; Scrapy's and Alembic's narration only past INFO.
    for name in ("alembic", "scrapy", "twisted", "py.warnings"):
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger().level))
    try:
        # The service hands over the config it parsed, so an edit of the file while it runs
        # cannot leave the scheduler and its worker disagreeing (on the database, say).
        handed = os.environ.get(CONFIG_ENV)
        config = Config.model_validate_json(handed) if handed else load_config(args.config)
        engine = open_archive(config.database)
    except (AmurError, StorageError) as err:
        print(f"amur worker: {err}", file=sys.stderr)
        return 2
    install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
    from twisted.internet import reactor
    from twisted.internet.defer import Deferred

    worker = Worker(engine, config, args.concurrency, sys.stdout.buffer)

    def on_signal(signum: int, _frame: object) -> None:
        logger.info("%s: stopping crawls", signal.Signals(signum).name)
        reactor.callFromThread(worker.stop)  # type: ignore[attr-defined]

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is the service's to handle

    def orphaned() -> None:
        """The service is gone: stop the crawls, and exit regardless after a grace period."""
        reactor.callFromThread(worker.stop)  # type: ignore[attr-defined]
        time.sleep(ORPHAN_GRACE_SECONDS)
        logger.error("still running %.0f s after the service went: exiting", ORPHAN_GRACE_SECONDS)
        os._exit(1)

    watch_parent(orphaned, parent=args.parent)
    done = Deferred.fromFuture(asyncio.ensure_future(serve_tasks(worker, sys.stdin.buffer)))
    done.addBoth(lambda _: reactor.stop())  # type: ignore[attr-defined]
    reactor.run(installSignalHandlers=False)  # type: ignore[attr-defined]
    # Everything is recorded and closed. The thread reading stdin may be blocked in a read
    # that interpreter shutdown would abort on (SIGABRT): leave without finalizing.
    sys.stdout.flush()
    logging.shutdown()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
