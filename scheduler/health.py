"""Each configured source's health, as `amur status` and the review page's sources page show it.

The archive knows what ran; the config knows what should run. A source is listed when it is
configured, whether or not it has run yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine

from crawler.config import Config, SourceConfig
from storage.runs import COUNTERS, source_statuses


@dataclass(frozen=True)
class SourceHealth:
    """One source: its last finished run and when it runs next (a time or a word)."""

    name: str
    kind: str
    url: str | None
    enabled: bool
    last_run: datetime | None
    outcome: str | None
    counts: Mapping[str, int]
    consecutive_failures: int
    next_run: datetime | str
    last_error: str | None
    alarm: str | None
    hint: str | None  # what to try when the site refused the last run


def blocked_hint(source: SourceConfig) -> str:
    """What to change in a source's config when its site refuses the fetch."""
    if source.fetch == "impersonate":
        return (
            "the site refused even the browser-like client: try `headers:` (a cookie, a Referer "
            "or Accept-Language the site expects)"
        )
    return (
        "the site refused amur's client: try `fetch: impersonate` (a browser-like client) or "
        "`headers:`"
    )


def source_health(config: Config, engine: Engine) -> list[SourceHealth]:
    """Every configured source in config order.

    The next run is the one `amur serve` scheduled; without a running service it is when the
    source would next be due.
    """
    known = {status.name: status for status in source_statuses(engine)}
    found = []
    for source in config.sources:
        state = known.get(source.name)
        last = state.last_run if state else None
        next_run: datetime | str
        if not source.enabled:
            next_run = "disabled"
        elif state and state.next_run:
            next_run = state.next_run
        elif source.cron:
            next_run = f"cron {source.cron}"
        elif last is None:
            next_run = "due"
        else:
            next_run = last + timedelta(seconds=source.interval_seconds)
        found.append(
            SourceHealth(
                name=source.name,
                kind=source.kind,
                url=source.url,
                enabled=source.enabled,
                last_run=last,
                outcome=state.outcome if state else None,
                counts=dict(state.counts) if state else dict.fromkeys(COUNTERS, 0),
                consecutive_failures=state.consecutive_failures if state else 0,
                next_run=next_run,
                last_error=state.last_error if state else None,
                alarm=state.alarm if state else None,
                hint=blocked_hint(source) if state and state.outcome == "blocked" else None,
            )
        )
    return found
