"""Per-source leases and waits, and the HTTP validators of revalidated URLs.

A lease is taken in one UPDATE that only succeeds when the lease is free, expired, already
ours, or held by a process on this host that no longer exists (`storage.owners`); so `amur
crawl` from cron and `amur serve` never run the same source at once, and a `kill -9` leaves
nothing stuck.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.orm import Session

from storage.archive import now
from storage.database import insert_ignore, writing
from storage.models import HttpValidator, SourceState
from storage.owners import owner_gone


def _gone_owners(session: Session) -> list[str]:
    """Lease holders whose process is gone (`storage.owners`)."""
    holders = session.scalars(
        select(SourceState.lease_owner).where(SourceState.lease_owner.is_not(None)).distinct()
    )
    return [owner for owner in holders if owner_gone(owner)]


def acquire_lease(engine: Engine, source_id: int, owner: str, seconds: float) -> bool:
    """Take the source's lease for `seconds`; False when another live process holds it."""
    with writing(engine) as session:
        insert_ignore(session, SourceState.__table__, [{"source_id": source_id}])
        current = now()
        free = or_(
            SourceState.lease_owner.is_(None),
            SourceState.lease_until < current,
            SourceState.lease_owner == owner,
            SourceState.lease_owner.in_(_gone_owners(session)),
        )
        result = session.execute(
            update(SourceState)
            .where(SourceState.source_id == source_id, free)
            .values(lease_owner=owner, lease_until=current + timedelta(seconds=seconds))
        )
        return result.rowcount == 1


def release_lease(engine: Engine, source_id: int, owner: str) -> None:
    with writing(engine) as session:
        session.execute(
            update(SourceState)
            .where(SourceState.source_id == source_id, SourceState.lease_owner == owner)
            .values(lease_owner=None, lease_until=None)
        )


def set_not_before(engine: Engine, source_id: int, when: datetime | None) -> None:
    """Record the earliest next run the source asked for (None clears it)."""
    with writing(engine) as session:
        insert_ignore(session, SourceState.__table__, [{"source_id": source_id}])
        session.execute(
            update(SourceState).where(SourceState.source_id == source_id).values(not_before=when)
        )


def set_next_run(engine: Engine, source_id: int, when: datetime | None) -> None:
    """Record when the service will next run the source, for `amur status`."""
    with writing(engine) as session:
        insert_ignore(session, SourceState.__table__, [{"source_id": source_id}])
        session.execute(
            update(SourceState).where(SourceState.source_id == source_id).values(next_run=when)
        )


def source_state(engine: Engine, source_id: int) -> SourceState | None:
    with Session(engine, expire_on_commit=False) as session:
        return session.get(SourceState, source_id)


@dataclass(frozen=True)
class Validators:
    etag: str | None
    last_modified: str | None
    body_hash: str | None


def source_validators(engine: Engine, source_id: int) -> dict[str, Validators]:
    """Everything source `source_id` revalidates, by URL: read once when its run opens."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                HttpValidator.url,
                HttpValidator.etag,
                HttpValidator.last_modified,
                HttpValidator.body_hash,
            ).where(HttpValidator.source_id == source_id)
        ).all()
    return {url: Validators(etag, modified, digest) for url, etag, modified, digest in rows}


def save_validators(engine: Engine, source_id: int, url: str, seen: Validators) -> None:
    """Remember a source's validators of a URL once its content has been fully processed."""
    with writing(engine) as session:
        values = {
            "etag": seen.etag,
            "last_modified": seen.last_modified,
            "body_hash": seen.body_hash,
            "checked": now(),
        }
        key = {"source_id": source_id, "url": url}
        insert_ignore(session, HttpValidator.__table__, [{**key, **values}])
        session.execute(
            update(HttpValidator)
            .where(HttpValidator.source_id == source_id, HttpValidator.url == url)
            .values(**values)
        )
