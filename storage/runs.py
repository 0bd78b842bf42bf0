"""Crawl runs and the errors recorded against each source."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from storage.archive import now
from storage.database import writing
from storage.models import CrawlRun, Document, FetchError, Source, SourceRun, SourceState
from storage.owners import owner_gone

# What a crawl counts per source, in the order summaries show them: items the source listed,
# pages fetched, what storing them did (new, revised, duplicates, not relevant), links skipped
# as already held, the source's own URL answering unchanged, and errors. The one list used by
# the crawl's stats (`crawler.context`), the run records (`source_runs` columns) and `status`.
COUNTERS = (
    "found",
    "fetched",
    "new",
    "revised",
    "duplicates",
    "irrelevant",
    "known",
    "unchanged",
    "errors",
)
# Outcomes of a source's run that count as failures (`blocked`: the site refused the fetch).
FAILED = ("failed", "blocked")
# Runs in a row that found nothing, after runs that did, before `status` raises the alarm.
QUIET_RUNS = 3


@dataclass(frozen=True)
class SourceStatus:
    """A source's latest run, as `amur status` shows it."""

    name: str
    kind: str
    last_run: datetime | None
    outcome: str | None
    counts: dict[str, int]  # the latest run's COUNTERS (zeros before any run)
    consecutive_failures: int
    last_error: str | None
    next_run: datetime | None
    # Set when the source used to list items and has listed none for QUIET_RUNS runs.
    alarm: str | None


def start_run(engine: Engine, trigger: str, owner: str) -> int:
    """Open a run record owned by `owner` (`storage.owners`).

    Runs left `running` by a process that is gone (killed) are closed as interrupted first;
    a run whose owner still lives (a cron crawl beside the service) is left alone.
    """
    with writing(engine) as session:
        close_abandoned_runs(session)
        run = CrawlRun(trigger=trigger, started=now(), status="running", owner=owner)
        session.add(run)
        session.flush()
        return run.id


def interrupt_abandoned_runs(engine: Engine) -> list[int]:
    """Close the runs of owners that are gone (`close_abandoned_runs`), in a transaction."""
    with writing(engine) as session:
        return close_abandoned_runs(session)


def close_abandoned_runs(session: Session) -> list[int]:
    """Mark runs, and their source runs, whose owner is gone as interrupted; returns their ids."""
    running = session.execute(
        select(CrawlRun.id, CrawlRun.owner).where(CrawlRun.status == "running")
    ).all()
    abandoned = [run_id for run_id, owner in running if owner_gone(owner)]
    if abandoned:
        session.execute(
            update(CrawlRun)
            .where(CrawlRun.id.in_(abandoned))
            .values(status="interrupted", finished=now())
        )
        session.execute(
            update(SourceRun)
            .where(SourceRun.run_id.in_(abandoned), SourceRun.status == "running")
            .values(status="interrupted", finished=now())
        )
    return abandoned


def finish_run(engine: Engine, run_id: int, status: str) -> None:
    with writing(engine) as session:
        session.execute(
            update(CrawlRun).where(CrawlRun.id == run_id).values(status=status, finished=now())
        )


def start_source_run(engine: Engine, run_id: int, source_id: int) -> int:
    with writing(engine) as session:
        source_run = SourceRun(run_id=run_id, source_id=source_id, started=now(), status="running")
        session.add(source_run)
        session.flush()
        return source_run.id


def finish_source_run(
    engine: Engine, source_run_id: int, status: str, counts: dict[str, int]
) -> None:
    """Close a source's run with its summary counts (keys from COUNTERS)."""
    values = {key: counts.get(key, 0) for key in COUNTERS}
    with writing(engine) as session:
        session.execute(
            update(SourceRun)
            .where(SourceRun.id == source_run_id)
            .values(status=status, finished=now(), **values)
        )


def record_error(
    engine: Engine, source_run_id: int, url: str | None, kind: str, message: str
) -> None:
    """Keep a failure against its source, in its own short transaction."""
    with writing(engine) as session:
        session.add(
            FetchError(
                source_run_id=source_run_id, url=url, kind=kind, message=message[:2000], at=now()
            )
        )


def source_errors(engine: Engine, source_run_id: int) -> list[FetchError]:
    with Session(engine) as session:
        return list(
            session.scalars(
                select(FetchError)
                .where(FetchError.source_run_id == source_run_id)
                .order_by(FetchError.id)
            )
        )


def source_statuses(engine: Engine, name: str | None = None) -> list[SourceStatus]:
    """Per crawl source (or the one named), its latest finished run and its failures in a row."""
    statuses = []
    query = select(Source).where(Source.kind != "seed").order_by(Source.name)
    if name is not None:
        query = query.where(Source.name == name)
    with Session(engine) as session:
        for source in session.scalars(query):
            runs = list(
                session.scalars(
                    select(SourceRun)
                    .where(SourceRun.source_id == source.id, SourceRun.status != "running")
                    .order_by(SourceRun.id.desc())
                    .limit(50)
                )
            )
            failures = 0
            for run in runs:
                if run.status not in FAILED:
                    break
                failures += 1
            last = runs[0] if runs else None
            state = session.get(SourceState, source.id)
            last_error = None
            if last is not None:
                last_error = session.scalar(
                    select(FetchError.message)
                    .where(FetchError.source_run_id == last.id)
                    .order_by(FetchError.id.desc())
                    .limit(1)
                )
            statuses.append(
                SourceStatus(
                    name=source.name,
                    kind=source.kind,
                    last_run=last.finished if last else None,
                    outcome=last.status if last else None,
                    counts={name: getattr(last, name) if last else 0 for name in COUNTERS},
                    consecutive_failures=failures,
                    last_error=last_error,
                    next_run=state.next_run if state else None,
                    alarm=_alarm(runs),
                )
            )
    return statuses


def _alarm(runs: list[SourceRun]) -> str | None:
    """A warning when the latest read runs found nothing but earlier ones found items.

    Runs whose URL was unchanged (a 304) say nothing either way and are passed over.
    """
    read = [run for run in runs if not run.unchanged and run.status == "ok"]
    recent, earlier = read[:QUIET_RUNS], read[QUIET_RUNS:]
    if len(recent) < QUIET_RUNS or any(run.found for run in recent):
        return None
    before = max((run.found for run in earlier), default=0)
    if not before:
        return None
    return (
        f"no items in the last {QUIET_RUNS} runs (it used to list {before}): "
        "has the page layout changed?"
    )


def document_count(engine: Engine) -> int:
    """How many documents the archive holds, seeds included."""
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(Document)) or 0
