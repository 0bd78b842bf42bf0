"""`amur serve`: every enabled source crawled on its own schedule until SIGTERM or SIGINT.

How crawls run: one subprocess per crawl (`amur crawl --trigger serve SOURCE`), as scrapyd and
news-please do, not crawls inside this process on one long-lived reactor. Measured with
`bench/soak.py` (500 cycles each, loopback fixtures; figures in the closing note of the service
issue): the in-process runner's RSS grows cycle after cycle (Scrapy and Twisted keep per-crawl
state), while the service process itself stays flat when each crawl is its own process; the
price is the interpreter start-up of each child, about a second, which is nothing beside
schedules of minutes to hours. A child that crashes or leaks cannot take the service with it.

Scheduling is APScheduler 3: one job per source (`every` as an interval, or `cron`), with
jitter so sources on one host do not fire together, `max_instances=1`, coalescing and a misfire
grace time. The first run after a start comes from the database (the last finished run plus
the interval), so a restart neither forgets a due run nor fires a burst: overdue sources are
spread over a short start-up window. A failing source backs off exponentially (reset by a
success); a source that asked for a wait (`not_before`: max-age, Retry-After, feed TTL) is not
run sooner. The next run of each source is written to the database for `amur status`.
"""

from __future__ import annotations

import json
import logging
import random
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from crawler.config import Config, SourceConfig
from storage.archive import ensure_source, now
from storage.runs import SourceStatus, source_statuses
from storage.schedule import set_next_run, source_state

logger = logging.getLogger(__name__)

# Sources crawled at the same time; each is a child process with its own extraction pool.
CONCURRENT_CRAWLS = 2
# Seconds a crawl child gets to finish its pages in flight after SIGTERM before it is killed.
STOP_GRACE = 8.0
# Overdue sources at start-up are spread over this many seconds at most.
STARTUP_SPREAD = 30.0
LONGEST_BACKOFF = timedelta(days=1)


def jitter_seconds(source: SourceConfig) -> float:
    """A tenth of the interval, at most a minute: enough to keep one host's sources apart."""
    return min(source.interval_seconds / 10, 60.0)


def backoff(interval: float, failures: int) -> timedelta:
    """The wait after `failures` failed runs in a row: the interval doubled per failure."""
    if failures <= 0:
        return timedelta(seconds=interval)
    return min(
        timedelta(seconds=interval * 2 ** min(failures, 16)),
        max(LONGEST_BACKOFF, timedelta(seconds=interval)),
    )


@dataclass(frozen=True)
class Job:
    source: SourceConfig
    source_id: int


class Service:
    """The scheduler, the crawl children it starts, and a clean stop on a signal."""

    def __init__(self, config_path: Path, config: Config, engine: Engine) -> None:
        self.config_path = config_path
        self.config = config
        self.engine = engine
        self.stopping = threading.Event()
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.lock = threading.Lock()
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(CONCURRENT_CRAWLS)},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone="UTC",
        )

    def trigger(self, source: SourceConfig) -> IntervalTrigger | CronTrigger:
        if source.cron:
            return CronTrigger.from_crontab(source.cron, timezone="UTC")
        return IntervalTrigger(seconds=source.interval_seconds, jitter=jitter_seconds(source))

    def first_run(self, job: Job, last: SourceStatus | None) -> datetime:
        """When a source runs first after a start: due runs soon (spread), others on time."""
        current = now()
        due = current
        if last is not None and last.last_run is not None:
            wait = backoff(job.source.interval_seconds, last.consecutive_failures)
            due = last.last_run + wait
        state = source_state(self.engine, job.source_id)
        if state is not None and state.not_before is not None:
            due = max(due, state.not_before)
        if due <= current:
            spread = min(STARTUP_SPREAD, job.source.interval_seconds / 2)
            due = current + timedelta(seconds=random.uniform(0, spread))
        return due

    def start(self) -> None:
        statuses = {status.name: status for status in source_statuses(self.engine)}
        for source in self.config.sources:
            if not source.enabled:
                continue
            job = Job(source, ensure_source(self.engine, source.name, source.kind, source.url))
            first = self.first_run(job, statuses.get(source.name))
            self.scheduler.add_job(
                self.run,
                self.trigger(source),
                args=[job],
                id=source.name,
                name=source.name,
                next_run_time=first,
                misfire_grace_time=max(60, int(source.interval_seconds / 2)),
            )
            set_next_run(self.engine, job.source_id, first)
            logger.info("%s: first run at %s", source.name, first.isoformat(timespec="seconds"))
        self.scheduler.start()

    def run(self, job: Job) -> None:
        """One scheduled crawl of one source, in a child process."""
        if self.stopping.is_set():
            return
        name = job.source.name
        command = [
            sys.executable, "-m", "scheduler.cli", "--config", str(self.config_path),
            "crawl", "--trigger", "serve", name,
        ]  # fmt: skip
        started = now()
        with self.lock:
            if self.stopping.is_set():
                return
            # Its own session: a Ctrl-C or a group-wide SIGTERM reaches the service alone, which
            # then sends each child exactly one SIGTERM (a second one would force Scrapy to
            # stop without finishing its pages).
            child = subprocess.Popen(
                command,
                stdout=subprocess.DEVNULL,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
            self.children[name] = child
        try:
            code = child.wait()
        finally:
            with self.lock:
                self.children.pop(name, None)
        if self.stopping.is_set():
            return
        status = next((s for s in source_statuses(self.engine) if s.name == name), None)
        self.log_run(name, code, started, status)
        self.reschedule(job, status)

    def log_run(self, name: str, code: int, started: datetime, status: SourceStatus | None) -> None:
        """One structured line per run, for the journal and log processors."""
        record = {
            "event": "run",
            "source": name,
            "exit": code,
            "seconds": round((now() - started).total_seconds(), 2),
            "outcome": status.outcome if status else None,
            "fetched": status.fetched if status else 0,
            "new": status.new if status else 0,
            "errors": status.errors if status else 0,
            "failures": status.consecutive_failures if status else 0,
        }
        logger.info("%s", json.dumps(record, ensure_ascii=False))

    def reschedule(self, job: Job, status: SourceStatus | None) -> None:
        """Push the next run back for a failing source or one that asked for a wait."""
        scheduled = self.scheduler.get_job(job.source.name)
        if scheduled is None:
            return
        next_run: datetime | None = scheduled.next_run_time
        floor = now()
        if status is not None and status.consecutive_failures:
            floor += backoff(job.source.interval_seconds, status.consecutive_failures)
        state = source_state(self.engine, job.source_id)
        if state is not None and state.not_before is not None:
            floor = max(floor, state.not_before)
        if next_run is None or next_run < floor:
            scheduled.modify(next_run_time=floor)
            next_run = floor
        set_next_run(self.engine, job.source_id, next_run)

    def stop(self) -> None:
        """Stop starting crawls, let running ones finish their pages (or roll back), exit."""
        self.stopping.set()
        self.scheduler.shutdown(wait=False)
        with self.lock:
            children = list(self.children.values())
        for child in children:
            child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=STOP_GRACE)
            except subprocess.TimeoutExpired:
                logger.warning("crawl %d did not stop in %.0fs, killed", child.pid, STOP_GRACE)
                child.kill()
                child.wait()


def serve(config_path: Path, config: Config, engine: Engine) -> None:
    """Run the service until SIGTERM or SIGINT; returns once everything has stopped."""
    service = Service(config_path, config, engine)
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        logger.info("%s: stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    service.start()
    logger.info("serving %d sources", len(service.scheduler.get_jobs()))
    while not stop.wait(1.0):
        pass
    service.stop()
    logger.info("stopped")
