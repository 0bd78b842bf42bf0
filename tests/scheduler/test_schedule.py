"""When the service first runs a source after a start: interval and cron sources alike."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from crawler.config import Config, SourceConfig
from scheduler.service import Job, Service
from storage.archive import ensure_source, now
from storage.database import open_archive
from storage.runs import SourceStatus


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return open_archive(f"sqlite:///{tmp_path / 'amur.db'}")


def job(engine: Engine, **schedule: str) -> tuple[Service, Job]:
    source = SourceConfig(name="news", kind="feed", url="https://news.example/rss", **schedule)
    service = Service(Path("config.yaml"), Config(sources=(source,)), engine)
    return service, Job(source, ensure_source(engine, "news", "feed", source.url))


def last_run(ago: timedelta, failures: int = 0) -> SourceStatus:
    return SourceStatus("news", "feed", now() - ago, "ok", {}, failures, None, None, None)


def test_a_cron_source_has_its_cron_interval(engine: Engine) -> None:
    _, every_5 = job(engine, cron="*/5 * * * *")
    _, daily = job(engine, cron="0 6 * * *")
    assert every_5.interval == 300
    assert daily.interval == 86400


def test_a_daily_cron_source_is_not_run_at_every_restart(engine: Engine) -> None:
    hour = (now() + timedelta(hours=3)).hour  # its time is three hours from now
    service, daily = job(engine, cron=f"0 {hour} * * *")
    first = service.first_run(daily, last_run(timedelta(minutes=10)))
    # Its next scheduled time after the last run, not within the 30 s of a start-up.
    assert (first.hour, first.minute) == (hour, 0)
    assert timedelta(hours=2) < first - now() <= timedelta(hours=3)


def test_a_cron_source_that_missed_its_time_runs_soon(engine: Engine) -> None:
    service, every_5 = job(engine, cron="*/5 * * * *")
    first = service.first_run(every_5, last_run(timedelta(minutes=20)))
    assert first - now() <= timedelta(seconds=150)


def test_an_interval_source_runs_when_its_interval_has_passed(engine: Engine) -> None:
    service, hourly = job(engine, every="1h")
    assert service.first_run(hourly, last_run(timedelta(minutes=10))) - now() > timedelta(
        minutes=45
    )
    assert service.first_run(hourly, last_run(timedelta(hours=2))) - now() <= timedelta(seconds=30)
