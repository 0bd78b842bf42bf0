"""Every table of the archive, in one place; each change to them is an Alembic migration.

The dedup engine's index (``fingerprints``) came with migration 0002;
``matches`` holds what it finds (one row per direction, a relation and a score).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names, so migrations behave the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC date-times on both backends (SQLite would otherwise hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: the archive stores aware UTC times only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Source(Base):
    """A configured source, or the pseudo-source ``seed`` that owns the seed corpus."""

    __tablename__ = "sources"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    url: Mapped[str | None] = mapped_column(String(2048))


class Document(Base):
    """One archived piece: an article, a page, a forum post or a seed."""

    __tablename__ = "documents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), index=True)
    seed: Mapped[str | None] = mapped_column(String(200))
    post_id: Mapped[str | None] = mapped_column(String(100))
    title: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)  # `authors` joined with ", "
    authors: Mapped[list[str] | None] = mapped_column(JSON)  # people, never the publication
    language: Mapped[str | None] = mapped_column(String(16))
    # ISO 8601 as given: a date alone stays a date, a date-time keeps its offset.
    published: Mapped[str | None] = mapped_column(String(40))
    modified: Mapped[str | None] = mapped_column(String(40))  # the page's last-modified date
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    fetched: Mapped[datetime] = mapped_column(UTCDateTime())
    text: Mapped[str] = mapped_column(Text)
    text_hash: Mapped[str] = mapped_column(String(64), index=True)
    is_new: Mapped[bool] = mapped_column(Boolean)
    relevant: Mapped[bool] = mapped_column(Boolean)
    review: Mapped[str] = mapped_column(String(16), default="unreviewed")
    # When the review decision was recorded, and the revision it was made on: a later
    # revision means the reviewer has not seen the current text (`queries.Filters.changed`).
    reviewed: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewed_revision: Mapped[int | None] = mapped_column(Integer)
    # A canonical URL the page declared that was not accepted as its identity (another site,
    # a site's root or section index): a hint for the reader, never a key.
    declared_url: Mapped[str | None] = mapped_column(String(2048))

    # The review queue's conditions, order and filtered columns (migration 0010).
    __table_args__ = (
        Index(
            "ix_documents_queue",
            "review",
            "is_new",
            "relevant",
            "first_seen",
            "id",
            "source_id",
            "language",
        ),
        Index("ix_documents_language", "language"),
    )


class DocumentUrl(Base):
    """Every URL known to lead to a document (feed link, redirect target, canonical URL)."""

    __tablename__ = "document_urls"
    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )


class Revision(Base):
    """One distinct version of a document's text; number 1 is the first seen."""

    __tablename__ = "revisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    text_hash: Mapped[str] = mapped_column(String(64))
    fetched: Mapped[datetime] = mapped_column(UTCDateTime())
    # The raw response this revision was read from (`storage.snapshots`): a WARC file in the
    # snapshots folder, the offset of its records and their length. None for seeds, imports
    # and revisions stored before snapshots were kept.
    snapshot_file: Mapped[str | None] = mapped_column(String(255))
    snapshot_offset: Mapped[int | None] = mapped_column(BigInteger)
    snapshot_length: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (UniqueConstraint("document_id", "number"),)


class Match(Base):
    """A relation from one document to another; each pair is stored in both directions."""

    __tablename__ = "matches"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    other_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    relation: Mapped[str] = mapped_column(String(20))
    score: Mapped[float] = mapped_column(Float)

    __table_args__ = (UniqueConstraint("document_id", "other_id"),)


class CrawlRun(Base):
    """One `amur crawl` pass (or one scheduled run of the service)."""

    __tablename__ = "crawl_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trigger: Mapped[str] = mapped_column(String(20))
    started: Mapped[datetime] = mapped_column(UTCDateTime())
    finished: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # running | ok | failed | interrupted
    status: Mapped[str] = mapped_column(String(20))
    # The process running it (`storage.owners`): only a run whose owner is gone is interrupted.
    owner: Mapped[str | None] = mapped_column(String(200))


class SourceRun(Base):
    """What one run did for one source: the counts of the crawl summary."""

    __tablename__ = "source_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id", ondelete="CASCADE"))
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), index=True)
    started: Mapped[datetime] = mapped_column(UTCDateTime())
    finished: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20))
    fetched: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    irrelevant: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    found: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    revised: Mapped[int] = mapped_column(Integer, default=0)
    known: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (UniqueConstraint("run_id", "source_id"),)


class FetchError(Base):
    """A failure recorded against its source: HTTP status, timeout, bad feed, bad body..."""

    __tablename__ = "fetch_errors"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_run_id: Mapped[int] = mapped_column(
        ForeignKey("source_runs.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str | None] = mapped_column(String(2048))
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class Site(Base):
    """A registrable domain that fingerprint holders are on (`storage.urls.site`), by number.

    The dedup index names each holder's site, so telling a site's boilerplate (a hash many of
    its pages hold) reads no URLs; a small number keeps the index rows short.
    """

    __tablename__ = "sites"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String, unique=True)


class Fingerprint(Base):
    """A winnowed shingle hash of a document's current text (`storage.shingles`): dedup's index.

    Keyed by hash first, so candidate lookup is an index range per hash; without a rowid on
    SQLite the table is that index, and PostgreSQL's key index carries the site too, so a lookup
    reads the index alone. A hash keeps rows for its earliest ``storage.dedup.MAX_DF`` holders
    only (the originals of a much-reprinted text), so its range stays short. ``site_id`` is the
    holder's site (migration 0012), none for a document without a host; no foreign key, as a
    site is never deleted and a check per row would slow every store.
    """

    __tablename__ = "fingerprints"
    hash: Mapped[int] = mapped_column(BigInteger, autoincrement=False)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), autoincrement=False, index=True
    )
    # Token index where the hash was first picked: lets a reader locate the shared passage.
    position: Mapped[int] = mapped_column(Integer)
    site_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        PrimaryKeyConstraint("hash", "document_id", postgresql_include=["site_id"]),
        {"sqlite_with_rowid": False},
    )


class SourceState(Base):
    """A source's schedule between runs: the lease that keeps two crawls off it, and waits.

    A lease names its holder (`host:pid`), so a process that finds the holder dead on its own
    host takes the lease over at once instead of waiting for it to expire.
    """

    __tablename__ = "source_state"
    source_id: Mapped[int] = mapped_column(
        ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The earliest next run the source itself asked for (Cache-Control max-age, Retry-After,
    # a feed's TTL): a lower bound on the schedule, never a reason to run sooner.
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime())
    next_run: Mapped[datetime | None] = mapped_column(UTCDateTime())


class HttpValidator(Base):
    """What a source last saw at a revalidated URL, for conditional requests and body comparison.

    Keyed by source and URL: two sources watching one URL each keep their own.
    """

    __tablename__ = "http_validators"
    source_id: Mapped[int] = mapped_column(
        ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    body_hash: Mapped[str | None] = mapped_column(String(64))
    checked: Mapped[datetime] = mapped_column(UTCDateTime())


class SearchText(Base):
    """A document's title and text folded for full-text search (`storage.search`).

    Folded by `storage.shingles.normalize` (width, case, Traditional to Simplified,
    punctuation to spaces), so a query folded the same way matches any script and case. The
    `*_grams` columns list the text's CJK character pairs, so two-character Chinese words
    (中俄, 普京) have an index too: trigram indexes cannot find a string shorter than three.
    On SQLite, FTS5 tables index these columns; on PostgreSQL, GIN indexes (migration 0007).
    """

    __tablename__ = "search_text"
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    title: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text)
    title_grams: Mapped[str] = mapped_column(Text, default="")
    body_grams: Mapped[str] = mapped_column(Text, default="")
