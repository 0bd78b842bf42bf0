"""`amur serve`: every enabled source crawled on its own schedule until SIGTERM or SIGINT.

This process supervises; a crawl worker (`scheduler.worker`, its own process) crawls. The worker
keeps one reactor and one Scrapy runner for many crawls, so an unchanged feed costs a request and
a few database rows instead of a fresh interpreter (about two CPU seconds) per check. It is a
child process rather than a thread of this one for the reasons scrapyd and Celery give: a crawl
that crashes, hangs or leaks cannot take the scheduler with it, and memory is bounded by
recycling the worker the way Celery's `max_tasks_per_child`/`max_memory_per_child` and gunicorn's
`max_requests` do: after `service.worker_max_runs` crawls, or once its resident memory passes
`service.worker_max_rss_mb`, the worker is asked to drain (finish what it holds, then exit) and a
fresh one takes the next tasks. A worker that dies unexpectedly is replaced; its runs in flight
are recorded as interrupted and rescheduled.

Scheduling is APScheduler 3 here: one job per source (`every` as an interval, or `cron`), with
jitter so sources on one host do not fire together, coalescing and a misfire grace time. A job
only hands its source to the worker and returns; a source already in flight is not sent again.
The first run after a start comes from the database (the last finished run plus the interval),
so a restart neither forgets a due run nor fires a burst: overdue sources are spread over a
short start-up window. A failing source backs off exponentially (reset by a success); a source
that asked for a wait (`not_before`: max-age, Retry-After, feed TTL) is not run sooner. The next
run of each source is written to the database for `amur status`.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from crawler.config import Config, SourceConfig
from scheduler.tasks import CONFIG_ENV, Done, Task
from storage.archive import ensure_source, now
from storage.runs import COUNTERS, SourceStatus, interrupt_abandoned_runs, source_statuses
from storage.schedule import set_next_run, source_state

logger = logging.getLogger(__name__)

# Seconds the worker gets to stop its crawls after SIGTERM before it is killed.
STOP_GRACE = 8.0
# Overdue sources at start-up are spread over this many seconds at most.
STARTUP_SPREAD = 30.0
LONGEST_BACKOFF = timedelta(days=1)
# A worker that dies sooner than this after its start is restarted only after a pause.
CRASH_LOOP_SECONDS = 5.0
# A crawl not answered after this long means a hung worker: it is stopped and replaced (its
# lease would run out after `crawler.run.LEASE_SECONDS` anyway). Also the longest a recycled
# worker may take to finish what it holds.
HUNG_SECONDS = 2 * 3600.0


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

    @property
    def interval(self) -> float:
        """Seconds between runs: `every`, or the gap between the cron schedule's next two."""
        if not self.source.cron:
            return self.source.interval_seconds
        trigger = CronTrigger.from_crontab(self.source.cron, timezone="UTC")
        first = trigger.get_next_fire_time(None, now())
        second = trigger.get_next_fire_time(first, first + timedelta(seconds=1))
        return (second - first).total_seconds() if first and second else 86400.0


@dataclass
class Dispatched:
    """A source handed to a worker and not yet answered."""

    job: Job
    started: datetime
    worker: WorkerProcess


class WorkerProcess:
    """One crawl worker: the child process, the pipe to it, and what it has reported."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.started = time.monotonic()
        self.runs = 0
        self.rss_kb = 0
        self.draining = False
        self.drained_since: float | None = None  # when it was asked to drain
        self.hung = False  # stopped for not answering: its exit counts as a crash
        self.lock = threading.Lock()
        level = logging.getLevelName(logging.getLogger().getEffectiveLevel())
        command = [
            sys.executable, "-m", "scheduler.worker", "--config", str(service.config_path),
            "--concurrency", str(service.limits.concurrency), "--log-level", level,
            "--parent", str(os.getpid()),
        ]  # fmt: skip
        # The config as the service parsed it, not as the file may read by now.
        env = {**os.environ, CONFIG_ENV: service.config.model_dump_json()}
        # Its own session: a Ctrl-C or a group-wide SIGTERM reaches the service alone, which
        # then stops the worker once, as it should be stopped.
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            start_new_session=True,
            env=env,
        )
        self.reader = threading.Thread(target=self.read, name=f"worker-{self.pid}", daemon=True)
        self.reader.start()
        logger.info("crawl worker %d started", self.pid)

    @property
    def pid(self) -> int:
        return self.process.pid

    def send(self, task: Task) -> bool:
        """Hand `task` to the worker; False when it can no longer take one."""
        with self.lock:
            try:
                assert self.process.stdin is not None
                self.process.stdin.write(task.encode())
                self.process.stdin.flush()
            except (BrokenPipeError, ValueError, OSError):
                return False
        return True

    def read(self) -> None:
        """Hand each answer to the service; when the worker's output ends, report its exit.

        Nothing that goes wrong with one answer (a database error while rescheduling) may end
        this thread: without it, the worker's answers and its exit would go unheard.
        """
        assert self.process.stdout is not None
        try:
            for line in self.process.stdout:
                try:
                    done = Done.decode(line)
                except (ValueError, TypeError) as err:
                    logger.error("worker %d said something unreadable: %s", self.pid, err)
                    continue
                self.runs, self.rss_kb = done.runs, done.rss_kb
                try:
                    self.service.finished(self, done)
                except Exception:
                    logger.exception("worker %d: handling the end of task %d", self.pid, done.id)
        finally:
            code = self.process.wait()
            self.service.exited(self, code)

    def drain(self) -> None:
        """Finish the crawls it holds, take no more, exit."""
        self.draining = True
        self.drained_since = time.monotonic()
        self.send(Task("drain"))

    def stop(self) -> None:
        """Stop its crawls now (recorded as interrupted); killed if it does not exit in time."""
        self.draining = True
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_GRACE)
        except subprocess.TimeoutExpired:
            logger.warning("crawl worker %d did not stop in %.0fs, killed", self.pid, STOP_GRACE)
            self.process.kill()
            self.process.wait()


class Service:
    """The scheduler, the crawl worker it feeds, and a clean stop on a signal."""

    def __init__(self, config_path: Path, config: Config, engine: Engine) -> None:
        self.config_path = config_path
        self.config = config
        self.engine = engine
        # How many crawls the worker runs at once, and when it is recycled.
        self.limits = config.service
        self.stopping = threading.Event()
        self.lock = threading.RLock()
        self.ids = itertools.count(1)
        self.in_flight: dict[int, Dispatched] = {}
        self.worker: WorkerProcess | None = None
        self.workers: set[WorkerProcess] = set()  # the current one and any still draining
        self.scheduler = BackgroundScheduler(
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone="UTC",
        )

    def trigger(self, source: SourceConfig) -> IntervalTrigger | CronTrigger:
        if source.cron:
            return CronTrigger.from_crontab(source.cron, timezone="UTC")
        return IntervalTrigger(seconds=source.interval_seconds, jitter=jitter_seconds(source))

    def first_run(self, job: Job, last: SourceStatus | None) -> datetime:
        """When a source runs first after a start: due runs soon (spread), others on time.

        Due means: its interval (or, for `cron`, a scheduled time) has passed since its last
        finished run, held back by failures in a row and by a wait the source asked for.
        """
        current = now()
        interval = job.interval
        due = current
        if job.source.cron:
            trigger = self.trigger(job.source)
            since = last.last_run if last is not None and last.last_run is not None else current
            due = trigger.get_next_fire_time(None, since) or current
        if last is not None and last.last_run is not None:
            wait = last.last_run + backoff(interval, last.consecutive_failures)
            if not job.source.cron:
                due = wait
            elif last.consecutive_failures:  # a failing cron source backs off as well
                due = max(due, wait)
        state = source_state(self.engine, job.source_id)
        if state is not None and state.not_before is not None:
            due = max(due, state.not_before)
        if due <= current:
            spread = min(STARTUP_SPREAD, interval / 2)
            due = current + timedelta(seconds=random.uniform(0, spread))
        return due

    def start(self) -> None:
        # Runs a killed service's worker left open are closed before anything new starts.
        interrupt_abandoned_runs(self.engine)
        self.start_worker()
        statuses = {status.name: status for status in source_statuses(self.engine)}
        for source in self.config.sources:
            if not source.enabled:
                continue
            job = Job(source, ensure_source(self.engine, source.name, source.kind, source.url))
            first = self.first_run(job, statuses.get(source.name))
            self.scheduler.add_job(
                self.dispatch,
                self.trigger(source),
                args=[job],
                id=source.name,
                name=source.name,
                next_run_time=first,
                misfire_grace_time=max(60, int(job.interval / 2)),
            )
            set_next_run(self.engine, job.source_id, first)
            logger.info("%s: first run at %s", source.name, first.isoformat(timespec="seconds"))
        self.scheduler.start()

    def start_worker(self) -> WorkerProcess:
        with self.lock:
            worker = WorkerProcess(self)
            self.worker = worker
            self.workers.add(worker)
            return worker

    def dispatch(self, job: Job) -> None:
        """Hand a due source to the worker, unless it is still in flight from last time."""
        name = job.source.name
        with self.lock:
            if self.stopping.is_set() or self.worker is None:
                return
            if any(sent.job.source.name == name for sent in self.in_flight.values()):
                logger.debug("%s: still in flight, this run is skipped", name)
                return
            task = Task("crawl", next(self.ids), (name,))
            self.in_flight[task.id] = Dispatched(job, now(), self.worker)
            if not self.worker.send(task):
                del self.in_flight[task.id]
                logger.warning("%s: the crawl worker is gone; the next run will retry", name)

    def finished(self, worker: WorkerProcess, done: Done) -> None:
        """A worker answered a task: log each source's run and schedule its next one."""
        with self.lock:
            sent = self.in_flight.pop(done.id, None)
            recycle = (
                worker is self.worker
                and not self.stopping.is_set()
                and (
                    worker.runs >= self.limits.worker_max_runs
                    or worker.rss_kb > self.limits.worker_max_rss_mb * 1024
                )
            )
            if recycle:
                logger.info(
                    "recycling crawl worker %d after %d runs at %.0f MiB",
                    worker.pid, worker.runs, worker.rss_kb / 1024,
                )  # fmt: skip
                self.start_worker()
                worker.drain()
        if sent is None or self.stopping.is_set():
            return
        if done.error:
            logger.warning("%s: crawl failed in the worker: %s", sent.job.source.name, done.error)
        summary = next(iter(done.summaries), None)
        self.after_run(sent, summary)

    def exited(self, worker: WorkerProcess, code: int) -> None:
        """A worker process ended: expected when draining or stopping, else a crash."""
        with self.lock:
            self.workers.discard(worker)
            lost = [key for key, sent in self.in_flight.items() if sent.worker is worker]
            orphans = [self.in_flight.pop(key) for key in lost]
            crashed = (worker.hung or not worker.draining) and not self.stopping.is_set()
        if not crashed and not orphans:
            logger.info("crawl worker %d exited (%d)", worker.pid, code)
            return
        logger.error(
            "crawl worker %d died (exit %d) with %d crawl(s) in flight",
            worker.pid, code, len(orphans),
        )  # fmt: skip
        if crashed and not self.stopping.is_set():
            if time.monotonic() - worker.started < CRASH_LOOP_SECONDS:
                time.sleep(CRASH_LOOP_SECONDS)  # a worker that cannot start: no busy loop
            with self.lock:
                if worker is self.worker and not self.stopping.is_set():  # else already replaced
                    self.start_worker()
        try:
            interrupt_abandoned_runs(self.engine)
            for sent in orphans:
                if not self.stopping.is_set():
                    self.after_run(sent, None)
        except Exception:  # the new worker runs; the records are put right at the next start
            logger.exception("recording the runs of crawl worker %d", worker.pid)

    def check_hung(self) -> None:
        """Stop a worker that holds a crawl (or drains) for longer than HUNG_SECONDS.

        Its exit is then handled as a crash: its crawls are recorded as interrupted and a new
        worker takes over, so a hang cannot keep sources in flight for good.
        """
        limit = timedelta(seconds=HUNG_SECONDS)
        current = now()
        with self.lock:
            late = {
                sent.worker for sent in self.in_flight.values() if current - sent.started > limit
            }
            late |= {
                worker
                for worker in self.workers
                if worker.drained_since is not None
                and time.monotonic() - worker.drained_since > HUNG_SECONDS
            }
        for worker in late:
            if worker.hung:
                continue  # already being stopped
            logger.error("crawl worker %d does not answer: stopping it", worker.pid)
            worker.hung = True
            threading.Thread(target=worker.stop, name=f"stop-{worker.pid}", daemon=True).start()

    def after_run(self, sent: Dispatched, summary: dict[str, Any] | None) -> None:
        name = sent.job.source.name
        status = next((s for s in source_statuses(self.engine, name)), None)
        self.log_run(name, sent.started, summary, status)
        self.reschedule(sent.job, status)

    def log_run(
        self,
        name: str,
        started: datetime,
        summary: dict[str, Any] | None,
        status: SourceStatus | None,
    ) -> None:
        """One structured line per run, for the journal and log processors."""
        record = {
            "event": "run",
            "source": name,
            "seconds": round((now() - started).total_seconds(), 2),
            "outcome": summary["status"] if summary else "interrupted",
            **dict.fromkeys(COUNTERS, 0),
            **(summary["counts"] if summary else {}),
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
            floor += backoff(job.interval, status.consecutive_failures)
        state = source_state(self.engine, job.source_id)
        if state is not None and state.not_before is not None:
            floor = max(floor, state.not_before)
        if next_run is None or next_run < floor:
            scheduled.modify(next_run_time=floor)
            next_run = floor
        set_next_run(self.engine, job.source_id, next_run)

    def stop(self) -> None:
        """Start no more crawls, stop the worker's (recorded as interrupted), exit."""
        self.stopping.set()
        self.scheduler.shutdown(wait=False)
        with self.lock:
            workers = list(self.workers)
        threads = [threading.Thread(target=worker.stop) for worker in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for worker in workers:
            worker.reader.join(timeout=STOP_GRACE)


def serve(config_path: Path, config: Config, engine: Engine, web: bool = True) -> None:
    """Run the service, and the review page unless `web` is false, until SIGTERM or SIGINT.

    Returns once everything has stopped. The page's address is bound first, so a port in use
    stops the service before any crawl starts.
    """
    page = None
    if web:
        from scheduler.web.server import WebServer  # the crawl worker never needs it

        page = WebServer(config, engine)
    service = Service(config_path, config, engine)
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        logger.info("%s: stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    service.start()
    logger.info("serving %d sources", len(service.scheduler.get_jobs()))
    if page is not None:
        page.start()
    while not stop.wait(1.0):
        service.check_hung()
    if page is not None:
        page.stop()
    service.stop()
    logger.info("stopped")
